package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.F_DUPFD_CLOEXEC;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How a {@link Command} starts: the files and pipes are made in the parent task, a child is
 * cloned, its fds put at their numbers, its process set up, then the exec. If any step fails the
 * child exits and every fd made for it is closed: nothing runs, nothing leaks.
 */
final class Launch {
    private static final int FILE_MODE = 0666;

    private Launch() {}

    /** A started program and the JVM's ends of its pipes (null where not a pipe). */
    record Started(ChildProcess process, FileDescriptor[] pipes) {}

    static ChildProcess start(Command c, Task parent) throws IOException {
        return launch(c, parent, false).process();
    }

    static ProcessOutput output(Command c, Task parent) throws IOException, InterruptedException {
        Started s = launch(c, parent, true);
        byte[][] both;
        try {
            both = OutputReader.readBoth(parent, s.pipes()[1], s.pipes()[2]);
        } catch (IOException | RuntimeException | Error e) {
            s.process().destroyForcibly();
            throw e;
        }
        return new ProcessOutput(s.process().waitFor(), both[0], both[1]);
    }

    /**
     * Starts {@code c}; {@code forOutput}: stdin empty, and the caller reads the pipes itself, so
     * the process gets no streams over them.
     */
    private static Started launch(Command c, Task parent, boolean forOutput) throws IOException {
        List<String> argv = checkedArgv(c.argv());
        Map<String, String> env = checkedEnv(c.env());
        c.setup.check();
        Map<Integer, FileDescriptor> given = c.fds;
        for (Map.Entry<Integer, FileDescriptor> e : given.entrySet()) {
            if (!e.getValue().isValid()) {
                throw new IllegalArgumentException("fd " + e.getKey() + ": its source " + e.getValue() + " is invalid");
            }
        }
        boolean errToOut = c.redirectErrorStream() && !given.containsKey(2);
        FileDescriptor[] pipes = new FileDescriptor[3];
        List<FileDescriptor> childEnds = new ArrayList<>();
        Map<Integer, FileDescriptor> requests = new TreeMap<>();
        boolean started = false;
        try {
            for (int stream = 0; stream < 3; stream++) {
                if (given.containsKey(stream) || (stream == 2 && errToOut)) {
                    continue;
                }
                FileDescriptor end = open(parent, c.redirect(stream), stream, forOutput, pipes);
                if (end != null) {
                    childEnds.add(end);
                    requests.put(stream, end);
                }
            }
            requests.putAll(given);
            ChildProcess.Pipes ends = forOutput ? ChildProcess.Pipes.NONE
                    : new ChildProcess.Pipes(pipes[0], pipes[1], pipes[2]);
            ChildProcess direct = DirectSpawn.fits(c, parent)
                    ? DirectSpawn.start(c, parent, ExecArgs.of(argv.get(0), argv, env), requests, errToOut, ends) : null;
            if (direct != null) {
                started = true;
                return new Started(direct, pipes);
            }
            ChildTask child = Cloning.child(parent, false, c.setup.namespaces()); // it execs at once
            ChildProcess process;
            try {
                // The fds go in place with the exec's preparation, in one round trip, unless a
                // step before the exec may use the child's table or its limit on fd numbers.
                FdPlacement.Plan plan = c.setup.touchesFdTable() ? null : FdPlacement.plan(child, requests, errToOut);
                if (plan == null) {
                    placeFds(child, requests, errToOut);
                }
                c.setup.apply(parent, child, c.directory());
                process = child.exec(argv.get(0), argv, env, ends, plan);
            } catch (IOException | RuntimeException | Error e) {
                if (child.state() == ChildTask.State.ALIVE) {
                    try {
                        child.exit(0);
                    } catch (IOException | RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
            started = true;
            return new Started(process, pipes);
        } finally {
            // The child has its copies (or is gone): the parent's must go, or no EOF ever comes.
            List<FileDescriptor> all = new ArrayList<>(childEnds);
            if (!started) {
                all.addAll(Arrays.asList(pipes));
            }
            for (FileDescriptor fd : all) {
                if (fd != null) {
                    try {
                        fd.invalidate();
                    } catch (IOException | RuntimeException e) {
                        // close(2) releases the number whatever it says; the program is what matters
                    }
                }
            }
        }
    }

    /**
     * Opens what stream {@code stream}'s redirect needs in {@code parent}: returns the end the
     * program gets (null for INHERIT: the child's stdio is the parent's already); a pipe's other end
     * goes to {@code pipes[stream]}.
     */
    private static FileDescriptor open(Task parent, Redirect r, int stream, boolean emptyStdin, FileDescriptor[] pipes)
            throws IOException {
        switch (r.type()) {
            case INHERIT:
                return null;
            case PIPE:
                if (stream == 0 && emptyStdin) {
                    return parent.open("/dev/null", OpenFlags.O_RDONLY);
                }
                Pipe p = parent.pipe();
                pipes[stream] = stream == 0 ? p.write() : p.read();
                return stream == 0 ? p.read() : p.write();
            case READ:
                return parent.open(r.file().getPath(), OpenFlags.O_RDONLY);
            case WRITE:
                return parent.open(r.file().getPath(), OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC,
                        FILE_MODE);
            case APPEND:
                return parent.open(r.file().getPath(), OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND,
                        FILE_MODE);
            default:
                throw new IllegalArgumentException("unknown redirect " + r);
        }
    }

    /**
     * Puts each requested file at its number in the child (close-on-exec clear): first the
     * child's copies that sit on another request's number move out of the way (above every
     * number asked for), then each is {@code dup2}'d to its number and the copy dropped.
     */
    private static void placeFds(ChildTask child, Map<Integer, FileDescriptor> requests, boolean errToOut)
            throws IOException {
        TreeSet<Integer> targets = new TreeSet<>(requests.keySet());
        if (errToOut) {
            targets.add(2);
        }
        Map<Integer, FileDescriptor> copies = new TreeMap<>();
        for (Map.Entry<Integer, FileDescriptor> e : requests.entrySet()) {
            copies.put(e.getKey(), child.inheritFd(e.getValue()));
        }
        int floor = targets.isEmpty() ? 3 : Math.max(3, targets.last() + 1);
        for (Map.Entry<Integer, FileDescriptor> e : copies.entrySet()) {
            FileDescriptor copy = e.getValue();
            if (copy.number() != e.getKey() && targets.contains(copy.number())) {
                e.setValue(dupAbove(child, copy, floor));
                copy.invalidate();
            }
        }
        for (Map.Entry<Integer, FileDescriptor> e : copies.entrySet()) {
            FileDescriptor copy = e.getValue();
            if (copy.number() == e.getKey()) {
                copy.disableCloexec();
            } else {
                copy.dup2(target(child, e.getKey()));
                copy.invalidate();
            }
        }
        if (errToOut) {
            child.stdout().dup2(target(child, 2));
        }
    }

    /** The child's only handle for number {@code n}, to {@code dup2} onto. */
    private static FileDescriptor target(ChildTask child, int n) {
        FileDescriptor stdio = n == 0 ? child.stdin() : n == 1 ? child.stdout() : n == 2 ? child.stderr() : null;
        if (stdio != null && stdio.isValid()) {
            return stdio;
        }
        try {
            return child.makeFdHandle(n);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("fd " + n + " can't be given to the program: " + e.getMessage(), e);
        }
    }

    /** A new handle of {@code child} for {@code fd}'s file at the lowest free number from {@code floor}. */
    private static FileDescriptor dupAbove(ChildTask child, FileDescriptor fd, int floor) throws IOException {
        FDTable madeIn = child.fdTable();
        long n;
        try (Borrowed b = fd.borrow(child)) {
            n = child.sysif().syscall(Sys.FCNTL, b.number(), F_DUPFD_CLOEXEC, floor);
        }
        return child.adopt(madeIn, "move fd", Integer.toString(fd.number()), (int) n)[0];
    }

    private static List<String> checkedArgv(List<String> command) {
        List<String> argv = new ArrayList<>(command);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command: no program to run");
        }
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a == null) {
                throw new NullPointerException((i == 0 ? "program" : "argument " + i) + " of " + argv + " is null");
            }
            if (a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException((i == 0 ? "program" : "argument " + i) + " contains a NUL character: \""
                        + a.replace("\0", "\\0") + "\"");
            }
        }
        if (argv.get(0).isEmpty()) {
            throw new IllegalArgumentException("empty program name in " + argv);
        }
        return argv;
    }

    /**
     * A copy of {@code env}, checked; the JVM's environment itself, which never changes and whose
     * every entry the JVM parsed from {@code NAME=VALUE} strings (so passes), is neither copied
     * nor checked.
     */
    private static Map<String, String> checkedEnv(Map<String, String> env) {
        if (env == System.getenv()) {
            return env;
        }
        Map<String, String> copy = new HashMap<>(env);
        for (Map.Entry<String, String> e : copy.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (k == null || v == null) {
                throw new NullPointerException("environment entry " + k + "=" + v + " has a null");
            }
            if (k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid environment variable name: \"" + k.replace("\0", "\\0") + "\"");
            }
            if (v.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("environment variable " + k + " contains a NUL character: \""
                        + v.replace("\0", "\\0") + "\"");
            }
        }
        return copy;
    }
}
