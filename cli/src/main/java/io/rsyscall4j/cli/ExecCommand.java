package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.F_DUPFD_CLOEXEC;
import static io.rsyscall4j.api.Linux.F_GETFD;
import static io.rsyscall4j.api.Linux.RLIMIT_NOFILE;

import io.rsyscall4j.ChildProcess;
import io.rsyscall4j.ChildTask;
import io.rsyscall4j.CloneFlag;
import io.rsyscall4j.JvmDeathGuard;
import io.rsyscall4j.SignalForwarder;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rsyscall4j exec}: runs a program with exactly fds 0, 1, 2 and the ones asked for.
 *
 * <p>The fds are made in the JVM first (files opened, sockets bound and listening — all
 * close-on-exec handles of the local task), so that bad input fails before any process exists.
 * Then a child task is cloned with a copy of the JVM's table, inherits those handles, {@code dup2}s
 * each onto its number, and execs the program; fdcore marks every other fd close-on-exec, so the
 * program sees nothing of the JVM's. With {@code --listen-fds} the environment says so as systemd's
 * socket activation does: {@code LISTEN_PID} is the child task's pid, which is the program's pid
 * once it execs. The JVM's own handles are closed as soon as the program runs; the exit status is
 * the program's.
 *
 * <p>From the start, {@code SIGTERM}, {@code SIGINT}, {@code SIGHUP}, {@code SIGQUIT},
 * {@code SIGUSR1}, {@code SIGUSR2} and {@code SIGWINCH} sent to the launcher go to the program
 * ({@link SignalForwarder}; those that arrive before the program runs are sent once it does): the
 * launcher keeps waiting for the program, cleans up (socket files it bound, only if still the
 * same file) and exits with the program's status. A {@link JvmDeathGuard} kills the program if
 * the JVM dies first, even a set-uid program, whose exec cleared its parent-death signal.
 */
@Command(name = "exec", description = "Run PROGRAM with exactly fds 0, 1, 2 and those given with --fd.")
final class ExecCommand implements Callable<Integer> {
    private static final int FILE_MODE = 0666;
    /** The first fd socket activation passes (SD_LISTEN_FDS_START). */
    private static final int LISTEN_FDS_START = 3;
    private static final List<String> LISTEN_VARIABLES = List.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES");

    private final RuntimeView runtime;

    @Spec
    CommandSpec spec;

    @Option(names = "--provider", paramLabel = "P", description = "Use provider P (ffm or jna) rather than the best available.")
    String provider;

    @Option(names = "--fd", paramLabel = "N=SPEC", description = {
        "Give the program fd N: file:PATH[:r|w|rw|a], tcp-listen:[HOST:]PORT, unix-listen:PATH, null,",
        "or inherit:M (fd M of the launcher's caller). Repeatable."})
    List<String> fds = new ArrayList<>();

    @Option(names = "--listen-fds", description = "Set LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (systemd socket activation) for fds 3 and up.")
    boolean listenFds;

    @Option(names = "--trace", description = "Print each fd lifecycle event to stderr.")
    boolean trace;

    @Mixin
    SandboxOptions sandbox = new SandboxOptions();

    @Parameters(arity = "1..*", paramLabel = "PROGRAM [ARGS...]", description = "The program and its arguments (after --).")
    List<String> command;

    ExecCommand(RuntimeView runtime) {
        this.runtime = runtime;
    }

    @Override
    public Integer call() throws IOException {
        List<FdRequest> requests = new ArrayList<>();
        Set<Integer> callerFds = Caller.openFds();
        try {
            for (String fd : fds) {
                requests.add(FdRequest.parse(fd));
            }
            FdRequest.checkAll(requests, listenFds, callerFds);
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(RawText.show(e.getMessage()), CommandFailure.BAD_INPUT);
        }
        CloneFlag[] namespaces = sandbox.check();
        requests.sort(Comparator.comparingInt(FdRequest::number));
        PrintWriter err = spec.commandLine().getErr();
        Task local = runtime.localTask(provider);
        try (Trace tr = new Trace(err, trace);
             SignalForwarder signals = SignalForwarder.install(local, SignalForwarder.SUPERVISOR_SIGNALS);
             Opened opened = new Opened(local, tr)) {
            Caller.restoreUmask(local);
            tr.event("local task pid %d through provider %s", local.pid(), local.sysif().provider());
            checkBelowFdLimit(local, requests);
            for (FdRequest r : requests) {
                opened.add(r, open(local, r, tr));
            }
            opened.truncateWhenAllOpen(local, requests);
            opened.moveAwayFromTargets(local);
            return run(local, requests, callerFds, opened, signals, tr, namespaces);
        }
    }

    @SuppressWarnings("try") // the reserved numbers are held for the clone, never referenced
    private int run(Task local, List<FdRequest> requests, Set<Integer> callerFds, Opened opened,
            SignalForwarder signals, Trace tr, CloneFlag[] namespaces)
            throws IOException {
        ChildTask child;
        try (Reserved reserved = Reserved.targets(local, requests, tr)) {
            child = SandboxOptions.clone(local, namespaces);
        }
        tr.event("child task %d cloned (a copy of the JVM's fd table)", child.pid());
        boolean execed = false;
        JvmDeathGuard guard = null;
        try {
            for (int i = 0; i < requests.size(); i++) {
                FdRequest r = requests.get(i);
                FileDescriptor source = child.inheritFd(opened.fds.get(i));
                FileDescriptor target = target(child, r.number());
                source.dup2(target);
                tr.event("child %d: fd %d -> fd %d (%s), close-on-exec cleared", child.pid(), source.number(),
                        r.number(), r.text());
                source.invalidate();
            }
            closeStdioTheCallerHadClosed(child, requests, callerFds, tr);
            sandbox.apply(local, child, tr);
            List<byte[]> env = environment(requests, child.pid());
            ChildProcess program;
            guard = JvmDeathGuard.guard(child);
            try {
                program = child.exec(RawText.bytes(command.get(0)),
                        command.stream().map(RawText::bytes).collect(Collectors.toList()), env);
            } catch (ErrnoException e) {
                throw execFailure(e);
            }
            execed = true;
            tr.event("exec %s as pid %d with fds %s", RawText.show(String.join(" ", command)), program.pid(),
                    fdList(requests));
            signals.forwardTo(program);
            opened.closeFds();
            int status = program.waitFor();
            tr.event("pid %d ended with status %d", program.pid(), status);
            return status;
        } finally {
            if (guard != null) {
                guard.close();
            }
            if (!execed) {
                child.exit(0);
                tr.event("child task %d exited (nothing was exec'd)", child.pid());
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
     * Closes in the child each of fds 0, 1 and 2 that the caller had closed and no {@code --fd}
     * gives: the JVM opened its own files at those numbers, and they must not reach the program.
     * Unknown without the script ({@code callerFds} null): then 0, 1 and 2 are passed on as they are.
     */
    private static void closeStdioTheCallerHadClosed(ChildTask child, List<FdRequest> requests, Set<Integer> callerFds,
            Trace tr) throws IOException {
        if (callerFds == null) {
            return;
        }
        for (int n = 0; n < 3; n++) {
            int fd = n;
            if (callerFds.contains(fd) || requests.stream().anyMatch(r -> r.number() == fd)) {
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

    /**
     * The launcher's environment, byte for byte ({@link RawText#environment}); with --listen-fds,
     * the socket activation variables for fds 3 and up.
     */
    private List<byte[]> environment(List<FdRequest> requests, int pid) {
        List<byte[]> env = new ArrayList<>();
        for (byte[] entry : RawText.environment()) {
            String text = RawText.string(entry);
            if (LISTEN_VARIABLES.stream().noneMatch(v -> text.startsWith(v + "="))) {
                env.add(entry);
            }
        }
        if (listenFds) {
            List<FdRequest> passed = requests.stream().filter(r -> r.number() >= LISTEN_FDS_START)
                    .collect(Collectors.toList());
            env.add(RawText.bytes("LISTEN_PID=" + pid));
            env.add(RawText.bytes("LISTEN_FDS=" + passed.size()));
            env.add(RawText.bytes("LISTEN_FDNAMES=" + passed.stream().map(r -> r.spec().name()).collect(Collectors.joining(":"))));
        }
        return env;
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

    private static String fdList(List<FdRequest> requests) {
        TreeSet<Integer> all = new TreeSet<>(List.of(0, 1, 2));
        requests.forEach(r -> all.add(r.number()));
        return all.toString();
    }

    /** Opens what {@code r} asks for as a close-on-exec fd of the local task. */
    private static FileDescriptor open(Task local, FdRequest r, Trace tr) throws IOException {
        FdSpec spec = r.spec();
        FileDescriptor fd;
        try {
            if (spec instanceof FdSpec.File f) {
                fd = local.open(RawText.bytes(f.path()), flags(f.mode()), FILE_MODE);
            } else if (spec instanceof FdSpec.Null) {
                fd = local.open("/dev/null", OpenFlags.O_RDWR);
            } else if (spec instanceof FdSpec.TcpListen t) {
                fd = Sockets.listenTcp(local, t.host(), t.port());
            } else if (spec instanceof FdSpec.UnixListen u) {
                fd = Sockets.listenUnix(local, u.path());
            } else if (spec instanceof FdSpec.Inherit i) {
                fd = duplicate(local, i.fd(), 0);
            } else {
                throw new IllegalStateException("unknown SPEC " + spec);
            }
        } catch (ErrnoException e) {
            String subject = spec instanceof FdSpec.File f ? RawText.show(f.path())
                    : spec instanceof FdSpec.UnixListen u ? RawText.show(u.path()) : e.subject();
            throw new CommandFailure("--fd " + RawText.show(r.text()) + ": " + e.withSubject(subject).getMessage(), 1, e);
        } catch (IllegalArgumentException e) {
            throw new CommandFailure("--fd " + RawText.show(r.text()) + ": " + RawText.show(e.getMessage()),
                    CommandFailure.BAD_INPUT, e);
        }
        tr.event("opened %s as fd %d of the JVM", RawText.show(r.text().substring(r.text().indexOf('=') + 1)), fd.number());
        return fd;
    }

    private static int flags(FdSpec.Mode mode) {
        switch (mode) {
            case WRITE:
                // truncated only once every --fd is open (Opened.truncateWhenAllOpen)
                return OpenFlags.O_WRONLY | OpenFlags.O_CREAT;
            case READ_WRITE:
                return OpenFlags.O_RDWR | OpenFlags.O_CREAT;
            case APPEND:
                return OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND;
            default:
                return OpenFlags.O_RDONLY;
        }
    }

    /**
     * Refuses an {@code --fd N} that no fd table of this process can hold: N at or above the soft
     * {@code RLIMIT_NOFILE} (which the program inherits).
     */
    private static void checkBelowFdLimit(Task local, List<FdRequest> requests) throws IOException {
        long limit;
        try (SyscallMemory rlimit = SyscallMemory.map(local)) {
            local.sysif().syscall(Sys.GETRLIMIT, RLIMIT_NOFILE, rlimit.address());
            byte[] current = new byte[8];
            rlimit.read(0, current, 0, 8);
            limit = ByteBuffer.wrap(current).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }
        for (FdRequest r : requests) {
            if (limit >= 0 && r.number() >= limit) {
                throw new CommandFailure("--fd " + RawText.show(r.text()) + ": fd " + r.number()
                        + " is beyond the limit of open fds (RLIMIT_NOFILE " + limit + ": fds 0 to " + (limit - 1) + ")",
                        CommandFailure.BAD_INPUT);
            }
        }
    }

    /**
     * A new close-on-exec fd of the local task, at {@code minimum} or above, for the same open file
     * as the raw fd {@code fd} ({@code fcntl(F_DUPFD_CLOEXEC)}): the launcher's own fd M stays as it
     * was, owned by whoever owned it.
     */
    private static FileDescriptor duplicate(Task local, int fd, int minimum) throws SyscallException {
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

        static Reserved targets(Task local, List<FdRequest> requests, Trace tr) throws IOException {
            Reserved reserved = new Reserved();
            try {
                FileDescriptor devNull = local.open("/dev/null", OpenFlags.O_RDONLY);
                reserved.held.add(devNull);
                for (FdRequest r : requests) {
                    if (r.number() < 3) {
                        continue;
                    }
                    FileDescriptor copy;
                    try (Borrowed b = devNull.borrow(local)) {
                        copy = duplicate(local, b.number(), r.number());
                    }
                    reserved.held.add(copy);
                    if (copy.number() == r.number()) {
                        tr.event("fd %d held free in the JVM while the child task is cloned", r.number());
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

    /**
     * The launcher's fds made for the program, closed at the end, and the Unix socket files it
     * bound, removed at the end if each is still the file the bind made.
     */
    private static final class Opened implements AutoCloseable {
        final List<FileDescriptor> fds = new ArrayList<>();
        final List<SocketFile> socketFiles = new ArrayList<>();
        final List<Integer> targets = new ArrayList<>();
        private final Task local;
        private final Trace tr;

        Opened(Task local, Trace tr) {
            this.local = local;
            this.tr = tr;
        }

        /**
         * Truncates the files opened for writing ({@code file:PATH:w}), once every {@code --fd}
         * opened: a refused one leaves every file as it was. Files that cannot be truncated
         * (a FIFO, a terminal, {@code /dev/null}) are left as {@code O_TRUNC} leaves them.
         */
        void truncateWhenAllOpen(Task local, List<FdRequest> requests) throws IOException {
            for (int i = 0; i < requests.size(); i++) {
                if (requests.get(i).spec() instanceof FdSpec.File f && f.mode() == FdSpec.Mode.WRITE) {
                    try (Borrowed b = fds.get(i).borrow(local)) {
                        local.sysif().syscall(Sys.FTRUNCATE, b.number(), 0);
                    } catch (ErrnoException e) {
                        if (e.errno() != Errno.EINVAL) {
                            throw new CommandFailure("--fd " + RawText.show(requests.get(i).text()) + ": "
                                    + e.withSubject(RawText.show(f.path())).getMessage(), 1, e);
                        }
                    }
                }
            }
        }

        void add(FdRequest r, FileDescriptor fd) throws IOException {
            fds.add(fd);
            targets.add(r.number());
            if (r.spec() instanceof FdSpec.UnixListen u) {
                socketFiles.add(SocketFile.boundAt(local, u.path()));
            }
        }

        /**
         * The child inherits these fds at the numbers they have here; one that sits on a number
         * some request wants would be overwritten by that request's dup2 before its own turn. Move
         * such fds above every wanted number first.
         */
        void moveAwayFromTargets(Task local) throws IOException {
            int above = targets.stream().mapToInt(Integer::intValue).max().orElse(2) + 1;
            for (int i = 0; i < fds.size(); i++) {
                FileDescriptor fd = fds.get(i);
                if (targets.contains(fd.number())) {
                    FileDescriptor moved;
                    try (Borrowed b = fd.borrow(local)) {
                        moved = duplicate(local, b.number(), above);
                    }
                    tr.event("fd %d of the JVM moved to fd %d (its number is wanted by the program)", fd.number(),
                            moved.number());
                    fd.close();
                    fds.set(i, moved);
                }
            }
        }

        /** Closes the launcher's fds (once the program has its own); socket files stay until {@link #close}. */
        void closeFds() throws IOException {
            IOException failure = null;
            for (FileDescriptor fd : fds) {
                if (fd.isValid()) {
                    int n = fd.number();
                    try {
                        fd.invalidate();
                        tr.event("fd %d of the JVM closed", n);
                    } catch (IOException e) {
                        failure = failure == null ? e : failure;
                    }
                }
            }
            fds.clear();
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void close() throws IOException {
            closeFds();
            for (SocketFile f : socketFiles) {
                if (f.removeIfStillOurs(local)) {
                    tr.event("removed socket file %s", RawText.show(f.path()));
                } else {
                    tr.event("left %s alone: it is no longer the socket file the launcher bound", RawText.show(f.path()));
                }
            }
            socketFiles.clear();
        }
    }
}
