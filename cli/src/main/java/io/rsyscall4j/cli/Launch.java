package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.F_DUPFD_CLOEXEC;
import static io.rsyscall4j.api.Linux.F_GETFD;

import io.rsyscall4j.ChildProcess;
import io.rsyscall4j.ChildTask;
import io.rsyscall4j.CloneFlag;
import io.rsyscall4j.JvmDeathGuard;
import io.rsyscall4j.RemoteTask;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * Starts the program once: a child task cloned with a copy of the JVM's fd table inherits the
 * launcher's handles, {@code dup2}s each onto the number the program is to have it at, is set up
 * as the sandbox options say, and execs the program; fdcore marks every other fd close-on-exec.
 * Shared by a single run and accept mode's run per connection.
 */
final class Launch {
    /** Put {@code source} (a handle of the JVM) at fd {@code number} of the program; {@code what} names it in a trace. */
    record Placement(int number, FileDescriptor source, String what) {}

    /**
     * A program running, and the guard that kills it if the JVM dies first (null on another
     * host, where the program dies with the ssh session).
     */
    record Started(ChildProcess program, JvmDeathGuard guard) {
        /** Ends the guard, if there is one. */
        void closeGuard() throws IOException {
            if (guard != null) {
                guard.close();
            }
        }

        /**
         * Waits for the program to end; returns its status (128 + signal if killed). Not
         * interruptible: the launcher lives as long as its program (signals go to the program).
         */
        int waitFor() throws IOException {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        return program.waitFor();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                closeGuard();
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private final Task local;
    private final SandboxOptions sandbox;
    private final CloneFlag[] namespaces;
    private final List<String> command;
    private final Set<Integer> callerFds;
    private final Trace tr;

    Launch(Task local, SandboxOptions sandbox, CloneFlag[] namespaces, List<String> command, Set<Integer> callerFds,
            Trace tr) {
        this.local = local;
        this.sandbox = sandbox;
        this.namespaces = namespaces;
        this.command = command;
        this.callerFds = callerFds;
        this.tr = tr;
    }

    /**
     * Starts the program with fds 0, 1, 2 (those the caller gave, unless {@code placements}
     * replace them) and {@code placements}; its environment is {@code environment} applied to the
     * program's own pid. The JVM's handles stay the caller's to close.
     */
    Started start(List<Placement> placements, IntFunction<List<byte[]>> environment) throws IOException {
        List<FileDescriptor> temporaries = new ArrayList<>();
        try {
            List<Placement> movedAway = moveAwayFromTargets(placements, temporaries);
            return startChild(movedAway, environment);
        } finally {
            for (FileDescriptor t : temporaries) {
                t.invalidate();
            }
        }
    }

    @SuppressWarnings("try") // the reserved numbers are held for the clone, never referenced
    private Started startChild(List<Placement> placements, IntFunction<List<byte[]>> environment)
            throws IOException {
        ChildTask child;
        try (Reserved reserved = Reserved.targets(local, placements, tr)) {
            child = SandboxOptions.clone(local, namespaces);
        }
        tr.event("child task %d cloned (a copy of the JVM's fd table)", child.pid());
        boolean execed = false;
        JvmDeathGuard guard = null;
        // The child's handles of the placed fds: a dropped one could be collected, and its fd
        // closed or marked close-on-exec, before the exec.
        List<FileDescriptor> placed = new ArrayList<>();
        try {
            Map<FileDescriptor, FileDescriptor> inherited = new IdentityHashMap<>();
            for (Placement p : placements) {
                FileDescriptor source = inherited.get(p.source());
                if (source == null) {
                    source = child.inheritFd(p.source());
                    inherited.put(p.source(), source);
                }
                int from = source.number();
                placed.add(source.dup2(target(child, p.number())));
                tr.event("child %d: fd %d -> fd %d (%s), close-on-exec cleared", child.pid(), from, p.number(),
                        RawText.show(p.what()));
            }
            for (FileDescriptor source : inherited.values()) {
                source.invalidate();
            }
            closeStdioTheCallerHadClosed(child, placements);
            sandbox.apply(local, child, tr);
            List<byte[]> env = environment.apply(child.ownPid());
            ChildProcess program;
            guard = local instanceof RemoteTask ? null : JvmDeathGuard.guard(child);
            try {
                program = child.exec(RawText.bytes(command.get(0)),
                        command.stream().map(RawText::bytes).collect(Collectors.toList()), env);
            } catch (ErrnoException e) {
                throw execFailure(e);
            }
            execed = true;
            tr.event("exec %s as pid %d with fds %s", RawText.show(String.join(" ", command)), program.pid(),
                    fdList(placements));
            return new Started(program, guard);
        } finally {
            Reference.reachabilityFence(placed);
            if (!execed) {
                if (guard != null) {
                    guard.close();
                }
                child.exit(0);
                tr.event("child task %d exited (nothing was exec'd)", child.pid());
            }
        }
    }

    /**
     * The child inherits the sources at the numbers they have in the JVM; one that sits on a
     * number some placement wants would be overwritten by that placement's dup2 before its own
     * turn (or clash with its own target). Such sources are duplicated above every wanted number
     * first; the duplicates go into {@code temporaries}.
     */
    private List<Placement> moveAwayFromTargets(List<Placement> placements, List<FileDescriptor> temporaries)
            throws IOException {
        Set<Integer> targets = new TreeSet<>();
        placements.forEach(p -> targets.add(p.number()));
        Map<FileDescriptor, FileDescriptor> moved = new IdentityHashMap<>();
        List<Placement> out = new ArrayList<>();
        for (Placement p : placements) {
            FileDescriptor source = moved.get(p.source());
            if (source == null) {
                source = p.source();
                if (targets.contains(source.number())) {
                    try (Borrowed b = source.borrow(local)) {
                        source = duplicateAvoiding(b.number(), targets, p);
                    }
                    temporaries.add(source);
                    tr.event("fd %d of the JVM copied to fd %d (its number is wanted by the program)",
                            p.source().number(), source.number());
                }
                moved.put(p.source(), source);
            }
            out.add(new Placement(p.number(), source, p.what()));
        }
        return out;
    }

    /**
     * A copy of the JVM's fd {@code fd} at the lowest free number that is not in {@code targets}
     * (the copies that land on a target hold it only until a free one is found); {@code p} is the
     * placement a failure names.
     */
    private FileDescriptor duplicateAvoiding(int fd, Set<Integer> targets, Placement p) throws IOException {
        List<FileDescriptor> onTargets = new ArrayList<>();
        try {
            while (true) {
                FileDescriptor copy;
                try {
                    copy = duplicate(local, fd, 0);
                } catch (ErrnoException e) {
                    throw new CommandFailure("--fd " + RawText.show(p.what()) + ": no fd number is free to move fd " + fd
                            + " of the launcher out of the way of the numbers the program wants: " + e.getMessage(), 1, e);
                }
                if (!targets.contains(copy.number())) {
                    return copy;
                }
                onTargets.add(copy);
            }
        } finally {
            for (FileDescriptor held : onTargets) {
                held.close();
            }
        }
    }

    /** The child's handle for fd {@code n}: its stdio handle for 0, 1, 2, else a new one for that number. */
    private static FileDescriptor target(ChildTask child, int n) {
        switch (n) {
            case 0:
                return child.stdin();
            case 1:
                return child.stdout();
            case 2:
                return child.stderr();
            default:
                try {
                    return child.makeFdHandle(n);
                } catch (RuntimeException e) {
                    throw new CommandFailure("fd " + n + " cannot be given to the program: " + e.getMessage(), 1, e);
                }
        }
    }

    /**
     * Closes in the child each of fds 0, 1 and 2 that the caller had closed and no placement
     * gives: the JVM opened its own files at those numbers, and they must not reach the program.
     * Unknown without the script ({@code callerFds} null): then 0, 1 and 2 are passed on as they are.
     */
    private void closeStdioTheCallerHadClosed(ChildTask child, List<Placement> placements) throws IOException {
        if (callerFds == null) {
            return;
        }
        for (int n = 0; n < 3; n++) {
            int fd = n;
            if (callerFds.contains(fd) || placements.stream().anyMatch(p -> p.number() == fd)) {
                continue;
            }
            FileDescriptor handle = target(child, fd);
            try {
                if (!(handle == null ? child.makeFdHandle(fd) : handle).invalidate()) {
                    throw new IllegalStateException("fd " + fd + " of child task " + child.pid() + " has other handles");
                }
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EBADF) {
                    throw e;
                }
            }
            tr.event("child %d: fd %d closed (the caller had closed it)", child.pid(), fd);
        }
    }

    private CommandFailure execFailure(ErrnoException e) {
        String program = RawText.show(command.get(0));
        if (e.errno() == Errno.ENOENT) {
            return new CommandFailure(program + ": program not found", 127, e);
        }
        if (e.errno() == Errno.EACCES) {
            return new CommandFailure(program + ": permission denied", 126, e);
        }
        return new CommandFailure("cannot exec " + program + ": " + e.withSubject(program).getMessage(), 126, e);
    }

    private static String fdList(List<Placement> placements) {
        TreeSet<Integer> all = new TreeSet<>(List.of(0, 1, 2));
        placements.forEach(p -> all.add(p.number()));
        return all.toString();
    }

    /**
     * A new close-on-exec fd of the local task, at {@code minimum} or above, for the same open file
     * as the raw fd {@code fd} ({@code fcntl(F_DUPFD_CLOEXEC)}): the launcher's own fd stays as it
     * was, owned by whoever owned it.
     */
    static FileDescriptor duplicate(Task local, int fd, int minimum) throws SyscallException {
        try {
            local.sysif().syscall(Sys.FCNTL, fd, F_GETFD);
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EBADF) {
                throw new IllegalArgumentException("fd " + fd + " is not open in the launcher");
            }
            throw e;
        }
        int copy = (int) local.sysif().syscall(Sys.FCNTL, fd, F_DUPFD_CLOEXEC, minimum);
        try {
            return local.makeFdHandle(copy);
        } catch (RuntimeException e) {
            local.sysif().syscall(Sys.CLOSE, copy);
            throw e;
        }
    }

    /**
     * The wanted fd numbers that are free in the JVM, held (by copies of {@code /dev/null}) while the
     * child task is cloned: the clone makes fds of its own (the child's end of its syscall
     * connection) at the lowest free numbers, and one of those must not be a number the program is
     * to get. {@code F_DUPFD_CLOEXEC} never replaces an open fd, so another JVM thread's fds are
     * safe: a number it took meanwhile is simply not held (and not free either).
     */
    private static final class Reserved implements AutoCloseable {
        private final List<FileDescriptor> held = new ArrayList<>();

        static Reserved targets(Task local, List<Placement> placements, Trace tr) throws IOException {
            Reserved reserved = new Reserved();
            try {
                FileDescriptor devNull = local.open("/dev/null", OpenFlags.O_RDONLY);
                reserved.held.add(devNull);
                for (Placement p : placements) {
                    if (p.number() < 3) {
                        continue;
                    }
                    FileDescriptor copy;
                    try (Borrowed b = devNull.borrow(local)) {
                        copy = duplicate(local, b.number(), p.number());
                    }
                    reserved.held.add(copy);
                    if (copy.number() == p.number()) {
                        tr.event("fd %d held free in the JVM while the child task is cloned", p.number());
                    }
                }
                return reserved;
            } catch (IOException | RuntimeException e) {
                reserved.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            for (FileDescriptor fd : held) {
                fd.close();
            }
            held.clear();
        }
    }
}
