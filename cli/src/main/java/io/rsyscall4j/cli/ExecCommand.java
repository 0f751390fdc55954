package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.RLIMIT_NOFILE;

import io.rsyscall4j.CloneFlag;
import io.rsyscall4j.JvmDeathGuard;
import io.rsyscall4j.SignalForwarder;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rsyscall4j exec}: runs a program with exactly fds 0, 1, 2 and the ones asked for.
 *
 * <p>The fds are made in the JVM first (files opened, sockets bound and listening — all
 * close-on-exec handles of the local task), so that bad input fails before any process exists.
 * Then a child task is cloned with a copy of the JVM's table, inherits those handles, {@code dup2}s
 * each onto its number, and execs the program; fdcore marks every other fd close-on-exec, so the
 * program sees nothing of the JVM's ({@link Launch}). With {@code --listen-fds} the environment
 * says so as systemd's socket activation does ({@link ActivationOptions}); with {@code --accept}
 * the launcher keeps the listening sockets and runs the program per connection
 * ({@link AcceptLoop}). The JVM's own handles are closed as soon as the program runs; the exit
 * status is the program's.
 *
 * <p>From the start, {@code SIGTERM}, {@code SIGINT}, {@code SIGHUP}, {@code SIGQUIT},
 * {@code SIGUSR1}, {@code SIGUSR2} and {@code SIGWINCH} sent to the launcher go to the program
 * ({@link SignalForwarder}; those that arrive before the program runs are sent once it does): the
 * launcher keeps waiting for the program, cleans up (socket files it bound, only if still the
 * same file) and exits with the program's status. A {@link JvmDeathGuard} kills the program if
 * the JVM dies first, even a set-uid program, whose exec cleared its parent-death signal.
 */
@Command(name = "exec", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run PROGRAM with exactly fds 0, 1, 2 and those given with --fd.",
        footerHeading = "%nSPEC (of --fd N=SPEC):%n", footer = {
            "  file:PATH[:r|w|rw|a]    PATH opened to read (default), write (created and",
            "                          truncated), read-write (created) or append (created)",
            "  null                    /dev/null, to read and write",
            "  inherit:M               the launcher's own fd M, as its caller gave it",
            "  tcp-listen:[HOST:]PORT  a TCP socket bound to HOST (default 0.0.0.0) listening",
            "  tcp-connect:HOST:PORT   a TCP socket connected to HOST:PORT",
            "  udp:[HOST:]PORT         a UDP socket bound to HOST (default 0.0.0.0)",
            "  unix-listen:PATH        a Unix stream socket bound to PATH, listening",
            "  unix-seqpacket:PATH     a Unix seqpacket socket bound to PATH, listening",
            "  unix-dgram:PATH         a Unix datagram socket bound to PATH",
            "  unix-connect:PATH       a Unix stream socket connected to PATH",
            "HOST is an address ([::1] for IPv6) or a name. A PATH written @NAME is NAME",
            "in Linux's abstract namespace (no file); a socket file the launcher bound is",
            "removed when it ends, if it is still the same file.",
            "",
            "Exit status: the program's; 2 for bad input; 126 or 127 if PROGRAM cannot be",
            "run; with --accept, 128 + the signal that ended it."})
final class ExecCommand implements Callable<Integer> {
    private static final int FILE_MODE = 0666;

    private final RuntimeView runtime;
    private final PrintWriter err;

    @Option(names = "--provider", paramLabel = "P", description = "Use provider P (ffm or jna) rather than the best available.")
    String provider;

    @Option(names = "--fd", paramLabel = "N=SPEC", description = "Give the program fd N as SPEC says (see SPEC below). Repeatable.")
    List<String> fds = new ArrayList<>();

    @Mixin
    ActivationOptions activation = new ActivationOptions();

    @Option(names = "--trace", description = "Print each fd lifecycle event to stderr.")
    boolean trace;

    @Option(names = "--host", paramLabel = "[USER@]HOST", description = "Run PROGRAM on HOST, reached with the system's"
            + " ssh; the fds are opened there. Fds 0 and 1 not given with --fd are /dev/null there, 2 the ssh"
            + " session's stderr.")
    String host;

    @Option(names = "--ssh-option", paramLabel = "OPT", description = "Pass OPT to ssh before HOST (e.g."
            + " --ssh-option=-p --ssh-option=2222). Repeatable.")
    List<String> sshOptions = new ArrayList<>();

    @Mixin
    SandboxOptions sandbox = new SandboxOptions();

    @Parameters(arity = "1..*", paramLabel = "PROGRAM [ARGS...]", description = "The program and its arguments (after --).")
    List<String> command;

    /** The command over {@code runtime}; traces go to {@code err}. */
    ExecCommand(RuntimeView runtime, PrintWriter err) {
        this.runtime = runtime;
        this.err = err;
    }

    @Override
    public Integer call() throws IOException {
        List<FdRequest> requests = new ArrayList<>();
        Set<Integer> callerFds = Caller.openFds();
        try {
            for (String fd : fds) {
                requests.add(FdRequest.parse(fd));
            }
            FdRequest.checkAll(requests, activation.listenFds && !activation.accept, callerFds);
            activation.check(requests, RawText.environment());
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(RawText.show(e.getMessage()), CommandFailure.BAD_INPUT);
        }
        CloneFlag[] namespaces = sandbox.check();
        RemoteHost.check(this, requests);
        // Not Comparator.comparingInt: a lambda of the JDK's own, which the AOT cache does not keep.
        requests.sort((a, b) -> Integer.compare(a.number(), b.number()));
        Task local = runtime.localTask(provider);
        try (Trace tr = new Trace(err, trace);
             SignalForwarder signals = SignalForwarder.install(local, SignalForwarder.SUPERVISOR_SIGNALS);
             RemoteHost remote = RemoteHost.connect(host, sshOptions, local, tr)) {
            Task task = remote == null ? local : remote.task();
            try (Opened opened = new Opened(task, tr)) {
                if (remote == null) {
                    Caller.restoreUmask(local);
                }
                tr.event("local task pid %d through provider %s", local.pid(), local.sysif().provider());
                checkBelowFdLimit(task, requests);
                for (FdRequest r : requests) {
                    opened.add(r, open(task, r, tr));
                }
                opened.truncateWhenAllOpen(task, requests);
                Launch launch = new Launch(task, sandbox, namespaces, command, remote == null ? callerFds : null, tr);
                if (activation.accept) {
                    return acceptMode(task, launch, requests, opened, signals, tr);
                }
                boolean relay = remote != null && !activation.inetd && requests.stream().noneMatch(r -> r.number() == 1);
                try (RemoteOutput output = relay ? RemoteOutput.open(task) : null) {
                    return runOnce(launch, requests, opened, signals, output, tr);
                }
            }
        }
    }

    /**
     * Runs the program once with every fd asked for, and waits for it; returns its status. With
     * {@code output} (else null), its stdout is that pipe, copied to the launcher's until EOF first.
     */
    private int runOnce(Launch launch, List<FdRequest> requests, Opened opened, SignalForwarder signals,
            RemoteOutput output, Trace tr) throws IOException {
        List<Launch.Placement> placements = new ArrayList<>();
        if (output != null) {
            placements.add(new Launch.Placement(1, output.programEnd(), "1=the launcher's stdout, through a pipe"));
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            FdRequest r = requests.get(i);
            FileDescriptor fd = opened.fds.get(i);
            if (activation.inetd && r.number() >= ActivationOptions.LISTEN_FDS_START) {
                placements.add(new Launch.Placement(0, fd, r.text()));
                placements.add(new Launch.Placement(1, fd, r.text()));
            } else {
                placements.add(new Launch.Placement(r.number(), fd, r.text()));
            }
            if (r.number() >= ActivationOptions.LISTEN_FDS_START) {
                names.add(r.spec().name());
            }
        }
        List<byte[]> base = RawText.environment();
        Launch.Started started = launch.start(placements, pid -> activation.environment(base, names, pid));
        try {
            signals.forwardTo(started.program());
            opened.closeFds();
        } catch (IOException | RuntimeException e) {
            started.closeGuard();
            throw e;
        }
        if (output != null) {
            output.copyToStdout();
        }
        int status = started.waitFor();
        tr.event("pid %d ended with status %d", started.program().pid(), status);
        return status;
    }

    /** Accept mode: the fds from 3 on are listeners the launcher keeps; 0, 1 and 2 go to every program. */
    private int acceptMode(Task local, Launch launch, List<FdRequest> requests, Opened opened, SignalForwarder signals,
            Trace tr) throws IOException {
        List<Launch.Placement> stdio = new ArrayList<>();
        List<FdRequest> listenerRequests = new ArrayList<>();
        List<FileDescriptor> listeners = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            FdRequest r = requests.get(i);
            if (r.number() < ActivationOptions.LISTEN_FDS_START) {
                stdio.add(new Launch.Placement(r.number(), opened.fds.get(i), r.text()));
            } else {
                listenerRequests.add(r);
                listeners.add(opened.fds.get(i));
            }
        }
        return new AcceptLoop(local, launch, activation, tr).run(listenerRequests, listeners, stdio, signals);
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
            } else if (spec instanceof FdSpec.Socket socket) {
                fd = Sockets.open(local, socket);
            } else if (spec instanceof FdSpec.Inherit i) {
                fd = Launch.duplicate(local, i.fd(), 0);
            } else {
                throw new IllegalStateException("unknown SPEC " + spec);
            }
        } catch (ErrnoException e) {
            String subject = spec instanceof FdSpec.File f ? RawText.show(f.path())
                    : spec instanceof FdSpec.Socket s && s.path() != null ? RawText.show(s.path()) : e.subject();
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
}
