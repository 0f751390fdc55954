package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.SIGHUP;
import static io.rsyscall4j.api.Linux.SIGINT;
import static io.rsyscall4j.api.Linux.SIGQUIT;
import static io.rsyscall4j.api.Linux.SIGTERM;

import io.rsyscall4j.SignalForwarder;
import io.rsyscall4j.Sockets;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Accept mode ({@code exec --accept}): the launcher keeps the listening sockets and starts the
 * program once per connection, the connection at fd 3 ({@code --inetd}: at fds 0 and 1), as
 * {@code systemd-socket-activate --accept} does. One thread per listener accepts; the launcher's
 * own thread starts the programs one after another; a thread per program waits for it.
 *
 * <p>{@code SIGTERM}, {@code SIGINT}, {@code SIGHUP} and {@code SIGQUIT} end it: the signal goes
 * to every program still running, no connection is accepted any more, and once all the programs
 * have ended the launcher exits with 128 + the signal. A failure (a program that cannot be
 * started, an accept that fails for good) ends it too, with {@code SIGTERM} to the programs. The other forwarded signals go to every
 * running program. A signal the terminal sent to the whole process group is not sent again.
 */
final class AcceptLoop {
    private static final Set<Integer> ENDING = Set.of(SIGTERM, SIGINT, SIGHUP, SIGQUIT);

    /** What the launcher's thread acts on next. */
    private sealed interface Event {}

    private record Connection(FileDescriptor fd, FdRequest listener) implements Event {}

    private record Signal(int signal, boolean fromKernel) implements Event {}

    private record Failed(FdRequest listener, IOException cause) implements Event {}

    private final Task local;
    private final Launch launch;
    private final ActivationOptions activation;
    private final Trace tr;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Map<Launch.Started, Thread> running = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    AcceptLoop(Task local, Launch launch, ActivationOptions activation, Trace tr) {
        this.local = local;
        this.launch = launch;
        this.activation = activation;
        this.tr = tr;
    }

    /**
     * Accepts on {@code listeners} (the JVM's handles for {@code requests}) until an ending
     * signal; each program also gets {@code stdio}. Returns 128 + that signal.
     */
    int run(List<FdRequest> requests, List<FileDescriptor> listeners, List<Launch.Placement> stdio,
            SignalForwarder signals) throws IOException {
        signals.deliverTo((sig, fromKernel) -> events.add(new Signal(sig, fromKernel)));
        List<Thread> acceptors = new ArrayList<>();
        for (int i = 0; i < listeners.size(); i++) {
            FdRequest r = requests.get(i);
            FileDescriptor listener = listeners.get(i);
            Thread t = new Thread(() -> acceptLoop(r, listener), "rsyscall4j-accept-" + r.number());
            t.setDaemon(true);
            acceptors.add(t);
            t.start();
            tr.event("accepting connections on fd %d of the JVM (%s)", listener.number(), r.text());
        }
        Event stop = null;
        try {
            stop = serve(stdio);
        } finally {
            stopping = true;
            for (FileDescriptor listener : listeners) {
                shutdownQuietly(listener);
            }
            join(acceptors);
            for (Event e : events) {
                if (e instanceof Connection c) {
                    c.fd().invalidate();
                }
            }
            if (!(stop instanceof Signal)) {
                forward(new Signal(SIGTERM, false)); // a failure ends the launcher: its programs end too
            }
            join(new ArrayList<>(running.values()));
        }
        if (stop instanceof Failed f) {
            throw new CommandFailure("--accept: accepting on --fd " + f.listener().text() + " failed: "
                    + f.cause().getMessage(), 1, f.cause());
        }
        return 128 + ((Signal) stop).signal();
    }

    /** Starts a program per connection until a stop or a failure, which it returns. */
    private Event serve(List<Launch.Placement> stdio) throws IOException {
        while (true) {
            Event e;
            try {
                e = events.take();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new CommandFailure("--accept: interrupted", 1, interrupted);
            }
            if (e instanceof Signal sig) {
                forward(sig);
                if (ENDING.contains(sig.signal())) {
                    return sig;
                }
                continue;
            }
            if (!(e instanceof Connection c)) {
                return e;
            }
            try {
                start(stdio, c);
            } finally {
                c.fd().invalidate();
            }
        }
    }

    private void start(List<Launch.Placement> stdio, Connection c) throws IOException {
        List<Launch.Placement> placements = new ArrayList<>(stdio);
        String what = "connection on " + c.listener().text();
        if (activation.inetd) {
            placements.add(new Launch.Placement(0, c.fd(), what));
            placements.add(new Launch.Placement(1, c.fd(), what));
        } else {
            placements.add(new Launch.Placement(ActivationOptions.LISTEN_FDS_START, c.fd(), what));
        }
        List<byte[]> base = RawText.environment();
        List<String> names = List.of(ActivationOptions.CONNECTION_NAME);
        Launch.Started started = launch.start(placements, pid -> activation.environment(base, names, pid));
        Thread waiter = new Thread(() -> {
            try {
                int status = started.waitFor();
                tr.event("pid %d ended with status %d", started.program().pid(), status);
            } catch (IOException e) {
                tr.event("waiting for pid %d failed: %s", started.program().pid(), e.getMessage());
            } finally {
                running.remove(started);
            }
        }, "rsyscall4j-wait-" + started.program().pid());
        waiter.setDaemon(true);
        running.put(started, waiter);
        waiter.start();
    }

    private void acceptLoop(FdRequest r, FileDescriptor listener) {
        while (!stopping) {
            try {
                events.add(new Connection(local.accept(listener), r));
            } catch (ErrnoException e) {
                if (stopping) {
                    return;
                }
                if (!acceptAgain(e.errno())) {
                    events.add(new Failed(r, e));
                    return;
                }
                tr.event("accept on fd %d: %s (accepting on)", listener.number(), e.getMessage());
            } catch (IOException | RuntimeException e) {
                if (!stopping) {
                    events.add(new Failed(r, e instanceof IOException io ? io : new IOException(e)));
                }
                return;
            }
        }
    }

    /** The errors after which accept is simply tried again: the connection went, or a signal came. */
    private static boolean acceptAgain(int errno) {
        return errno == Errno.EINTR || errno == Errno.byName("ECONNABORTED") || errno == Errno.EAGAIN
                || errno == Errno.byName("EPROTO") || errno == Errno.byName("ENETDOWN")
                || errno == Errno.byName("EHOSTUNREACH") || errno == Errno.byName("ENETUNREACH");
    }

    /**
     * A signal the launcher received, sent on to every program running; on the launcher's own
     * thread, which alone starts programs, so none started meanwhile misses it.
     */
    private void forward(Signal sig) {
        if (sig.fromKernel()) {
            return;
        }
        for (Launch.Started s : running.keySet()) {
            try {
                s.program().kill(sig.signal());
            } catch (IOException | RuntimeException e) {
                tr.event("signal %d to pid %d failed: %s", sig.signal(), s.program().pid(), e.getMessage());
            }
        }
    }

    private void shutdownQuietly(FileDescriptor listener) {
        try {
            Sockets.shutdown(listener, Sockets.SHUT_RDWR);
        } catch (IOException | RuntimeException e) {
            tr.event("shutdown of fd %d: %s", listener.number(), e.getMessage());
        }
    }

    private static void join(List<Thread> threads) {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
