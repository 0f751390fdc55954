package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.FIONREAD;
import static io.rsyscall4j.api.Linux.SA_ONSTACK;
import static io.rsyscall4j.api.Linux.SA_RESTART;
import static io.rsyscall4j.api.Linux.SA_SIGINFO;
import static io.rsyscall4j.api.Linux.SIGBUS;
import static io.rsyscall4j.api.Linux.SIGFPE;
import static io.rsyscall4j.api.Linux.SIGHUP;
import static io.rsyscall4j.api.Linux.SIGILL;
import static io.rsyscall4j.api.Linux.SIGINT;
import static io.rsyscall4j.api.Linux.SIGKILL;
import static io.rsyscall4j.api.Linux.SIGQUIT;
import static io.rsyscall4j.api.Linux.SIGRTMAX;
import static io.rsyscall4j.api.Linux.SIGSEGV;
import static io.rsyscall4j.api.Linux.SIGSTOP;
import static io.rsyscall4j.api.Linux.SIGTERM;
import static io.rsyscall4j.api.Linux.SIGTRAP;
import static io.rsyscall4j.api.Linux.SIGUSR1;
import static io.rsyscall4j.api.Linux.SIGUSR2;
import static io.rsyscall4j.api.Linux.SIGWINCH;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Takes chosen signals away from the JVM and passes each one on to a program the JVM supervises,
 * as a process supervisor must: {@code docker stop} and {@code systemctl stop} send
 * {@code SIGTERM} to the launcher, and the program should get it and shut down gracefully, rather
 * than the JVM shutting down and the program dying of its parent-death signal.
 *
 * <p>While installed, each of the signals is handled by rsyscall4j's own native handler instead
 * of the JVM's: no shutdown hook runs for {@code SIGTERM}, {@code SIGINT} or {@code SIGHUP}, and
 * {@code SIGQUIT} prints no thread dump. The handler writes the signal's number to a pipe and a
 * Java thread ({@code rsyscall4j-signal-forwarder}) sends it on through the program's pidfd.
 * Signals that arrive before {@link #forwardTo} names the program are held and sent then, in
 * order, so a supervisor can install the forwarder before it starts the program and lose none.
 * {@link #close} restores the handlers that were installed before, exactly.
 *
 * <p>Two signals are not sent on. A {@code SIGUSR2} that a thread of the JVM directed at another
 * of its threads is HotSpot's own thread suspend/resume signal, and goes to the handler that was
 * there before. A signal the kernel itself sent ({@code si_code SI_KERNEL}: a terminal's
 * {@code ^C}, {@code ^\}, a window size change, a hangup) reached every process of the terminal's
 * foreground process group, the program too if it is still in the JVM's group: sending it again
 * would make one {@code ^C} two.
 *
 * <p>One forwarder can be installed at a time in a JVM (signal dispositions are the process's);
 * the JVM must not install handlers of its own for the same signals meanwhile
 * ({@code sun.misc.Signal}), which {@link #close} would overwrite. Synchronous signals the JVM
 * itself relies on ({@code SIGSEGV}, {@code SIGBUS}, {@code SIGFPE}, {@code SIGILL},
 * {@code SIGTRAP}) and {@code SIGKILL}, {@code SIGSTOP} are refused. While {@code SIGQUIT} is
 * forwarded, the JDK's attach mechanism, which {@code jcmd} and {@code jstack} start with a
 * {@code SIGQUIT}, does not answer. x86_64 only. The handler's code and a pipe (two fds,
 * close-on-exec) are made on first use and kept for the JVM's life.
 */
public final class SignalForwarder implements AutoCloseable {
    /**
     * The signals a supervisor passes on to its program: {@code SIGHUP}, {@code SIGINT},
     * {@code SIGQUIT}, {@code SIGUSR1}, {@code SIGUSR2}, {@code SIGTERM} and {@code SIGWINCH}.
     */
    public static final Set<Integer> SUPERVISOR_SIGNALS = Set.of(SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM,
            SIGWINCH);

    private static final Set<Integer> REFUSED = Set.of(SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGKILL, SIGSEGV, SIGSTOP);
    /** The kernel's {@code struct sigaction}: handler, flags, restorer, mask. */
    private static final int SIGACTION_SIZE = 32;
    /** The kernel's flag for {@code sa_restorer} (its {@code asm/signal.h}; glibc keeps it to itself). */
    private static final long SA_RESTORER = 0x04000000;
    /** The byte that tells the reader to stop; no signal is 0. */
    private static final int STOP = 0;
    /** Set in a byte when the kernel sent the signal ({@code SI_KERNEL}). */
    private static final int FROM_KERNEL = 0x80;
    /** Scratch layout in the data page: the sigaction read back, the new one, the reader's buffer. */
    private static final int OLD_ACTION = 0;
    private static final int NEW_ACTION = 64;
    private static final int READ_BUFFER = 128;
    private static final int READ_SIZE = 64;
    private static final long JOIN_MS = 10_000;
    private static final System.Logger LOG = System.getLogger(SignalForwarder.class.getName());

    /** The installed forwarder, if any (guarded by the class). */
    private static SignalForwarder active;

    private final SignalCode code;
    private final SyscallInterface local;
    private final int[] signals;
    /** The previous action of each signal, as the kernel gave it (32 bytes each). */
    private final byte[][] previous;
    private final Thread reader;
    /** Signals received while no sink is set, in order (guarded by this). */
    private final List<Integer> held = new ArrayList<>();
    private Sink sink;
    private boolean closed;

    /** Where the signals go when they are not for one program (e.g. several, or a supervisor's own loop). */
    @FunctionalInterface
    public interface Sink {
        /** Called on the forwarder's thread for each signal received; {@code fromKernel}: si_code SI_KERNEL. */
        void signal(int sig, boolean fromKernel) throws IOException;
    }

    private SignalForwarder(SignalCode code, SyscallInterface local, int[] signals) {
        this.code = code;
        this.local = local;
        this.signals = signals;
        this.previous = new byte[signals.length][];
        this.reader = new Thread(this::readLoop, "rsyscall4j-signal-forwarder");
        reader.setDaemon(true);
        reader.setContextClassLoader(null);
    }

    /**
     * Installs rsyscall4j's handler for {@code signals} in the JVM ({@code local} must be a task of
     * the JVM itself, not a child task): from now on they are held until {@link #forwardTo} names
     * where they go.
     *
     * @throws IllegalArgumentException a signal out of 1..64 or refused (see above), or
     *     {@code local} is a child task
     * @throws IllegalStateException a forwarder is installed already
     */
    public static SignalForwarder install(Task local, Collection<Integer> signals) throws IOException {
        Objects.requireNonNull(local, "local");
        if (local instanceof ChildTask) {
            throw new IllegalArgumentException("signals are forwarded from the JVM's own task, not from child task "
                    + local.pid());
        }
        TreeSet<Integer> sorted = new TreeSet<>();
        for (Integer sig : Objects.requireNonNull(signals, "signals")) {
            Objects.requireNonNull(sig, "signal");
            if (sig < 1 || sig > SIGRTMAX || REFUSED.contains(sig)) {
                throw new IllegalArgumentException("signal " + sig + " cannot be forwarded"
                        + (REFUSED.contains(sig) ? " (the JVM needs it, or it cannot be caught)" : " (not 1..64)"));
            }
            sorted.add(sig);
        }
        synchronized (SignalForwarder.class) {
            if (active != null) {
                throw new IllegalStateException("a SignalForwarder is installed already: close it first");
            }
            SignalCode code = SignalCode.load(local.sysif());
            SignalForwarder f = new SignalForwarder(code, local.sysif(), sorted.stream().mapToInt(Integer::intValue).toArray());
            f.drainStale();
            try {
                for (int i = 0; i < f.signals.length; i++) {
                    f.previous[i] = f.replace(f.signals[i]);
                }
            } catch (SyscallException | RuntimeException e) {
                try {
                    f.restore();
                } catch (SyscallException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            f.reader.start();
            active = f;
            return f;
        }
    }

    /**
     * From now on sends each signal to {@code program} (through its pidfd), first those held so
     * far. A signal the kernel sent to the terminal's foreground process group is not sent again
     * while the program is in the JVM's process group (it got that signal itself). Signals for a
     * program that has ended are dropped.
     */
    public void forwardTo(ChildProcess program) throws IOException {
        Objects.requireNonNull(program, "program");
        deliverTo((sig, fromKernel) -> {
            if (fromKernel && sameProcessGroup((int) program.pid())) {
                return;
            }
            program.kill(sig);
        });
    }

    /**
     * From now on hands each signal to {@code to} (on the forwarder's thread), first those held so
     * far. An exception from {@code to} is logged and the next signal still goes there.
     */
    public synchronized void deliverTo(Sink to) throws IOException {
        Objects.requireNonNull(to, "to");
        if (closed) {
            throw new IllegalStateException("this SignalForwarder is closed");
        }
        sink = to;
        // Under the lock: a signal arriving meanwhile waits, and goes after these.
        List<Integer> pending = new ArrayList<>(held);
        held.clear();
        for (int b : pending) {
            to.signal(b & ~FROM_KERNEL, (b & FROM_KERNEL) != 0);
        }
    }

    /** How many signals are held for want of a sink (for tests). */
    synchronized int heldCount() {
        return held.size();
    }

    /** The signals this forwarder handles, in increasing order. */
    public Set<Integer> signals() {
        TreeSet<Integer> out = new TreeSet<>();
        for (int s : signals) {
            out.add(s);
        }
        return out;
    }

    /**
     * Restores the handlers that were installed before, then stops the forwarder's thread once it
     * has sent on every signal received until then. Idempotent.
     */
    @Override
    public void close() throws IOException {
        synchronized (SignalForwarder.class) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            try {
                restore();
                wakeReaderToStop();
                reader.join(JOIN_MS);
                if (reader.isAlive()) {
                    LOG.log(System.Logger.Level.WARNING, "rsyscall4j: the signal forwarder's thread did not end within "
                            + JOIN_MS + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                active = null;
            }
        }
    }

    /** Installs the handler for {@code sig}; returns the action it replaced. */
    private byte[] replace(int sig) throws SyscallException {
        long scratch = code.scratch();
        local.syscall(Sys.RT_SIGACTION, sig, 0, scratch + OLD_ACTION, 8);
        byte[] old = new byte[SIGACTION_SIZE];
        local.readMemory(scratch + OLD_ACTION, old, 0, SIGACTION_SIZE);
        ByteBuffer o = ByteBuffer.wrap(old).order(ByteOrder.LITTLE_ENDIAN);
        if (sig == SIGUSR2) {
            byte[] slot = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(o.getLong(0)).array();
            local.writeMemory(code.previousUsr2Slot(), slot, 0, 8);
        }
        // The previous action's mask (so a handler passed on runs as it would have), our flags.
        byte[] action = ByteBuffer.allocate(SIGACTION_SIZE).order(ByteOrder.LITTLE_ENDIAN).putLong(code.handler())
                .putLong(SA_SIGINFO | SA_RESTORER | SA_RESTART | (o.getLong(8) & SA_ONSTACK))
                .putLong(code.restorer()).putLong(o.getLong(24)).array();
        local.writeMemory(scratch + NEW_ACTION, action, 0, SIGACTION_SIZE);
        local.syscall(Sys.RT_SIGACTION, sig, scratch + NEW_ACTION, scratch + OLD_ACTION, 8);
        local.readMemory(scratch + OLD_ACTION, old, 0, SIGACTION_SIZE);
        return old;
    }

    /** Puts back every action replaced so far; the first failure is thrown after trying them all. */
    private void restore() throws SyscallException {
        SyscallException failure = null;
        long at = code.scratch() + NEW_ACTION;
        for (int i = 0; i < signals.length; i++) {
            if (previous[i] == null) {
                continue;
            }
            try {
                local.writeMemory(at, previous[i], 0, SIGACTION_SIZE);
                local.syscall(Sys.RT_SIGACTION, signals[i], at, 0, 8);
            } catch (SyscallException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Discards bytes a handler wrote after the previous forwarder stopped reading (a signal that
     * raced with its close): they belong to no one now.
     */
    private void drainStale() throws SyscallException {
        long at = code.scratch() + READ_BUFFER;
        local.syscall(Sys.IOCTL, code.pipeRead(), FIONREAD, at);
        byte[] n = new byte[4];
        local.readMemory(at, n, 0, 4);
        int stale = ByteBuffer.wrap(n).order(ByteOrder.LITTLE_ENDIAN).getInt();
        while (stale > 0) {
            stale -= (int) local.syscall(Sys.READ, code.pipeRead(), at, Math.min(stale, READ_SIZE));
        }
    }

    private void wakeReaderToStop() throws SyscallException {
        long at = code.scratch() + NEW_ACTION;
        local.writeMemory(at, new byte[] {STOP}, 0, 1);
        while (true) {
            try {
                local.syscall(Sys.WRITE, code.pipeWrite(), at, 1);
                return;
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EAGAIN && e.errno() != Errno.EINTR) {
                    throw e;
                }
                Thread.onSpinWait(); // the pipe is full: the reader is emptying it
            }
        }
    }

    private void readLoop() {
        long buf = code.scratch() + READ_BUFFER;
        byte[] bytes = new byte[READ_SIZE];
        while (true) {
            int n;
            try {
                n = (int) local.syscall(Sys.READ, code.pipeRead(), buf, READ_SIZE);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EINTR) {
                    continue;
                }
                LOG.log(System.Logger.Level.WARNING, "rsyscall4j: the signal forwarder cannot read its pipe", e);
                return;
            } catch (SyscallException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "rsyscall4j: the signal forwarder cannot read its pipe", e);
                return;
            }
            local.readMemory(buf, bytes, 0, n);
            for (int i = 0; i < n; i++) {
                int b = bytes[i] & 0xff;
                if (b == STOP) {
                    return;
                }
                dispatch(b);
            }
        }
    }

    private synchronized void dispatch(int b) {
        if (sink == null) {
            held.add(b);
            return;
        }
        int sig = b & ~FROM_KERNEL;
        try {
            sink.signal(sig, (b & FROM_KERNEL) != 0);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "rsyscall4j: forwarding signal " + sig + " failed", e);
        }
    }

    private boolean sameProcessGroup(int pid) {
        try {
            return local.syscall(Sys.GETPGID, pid) == local.syscall(Sys.GETPGID, 0);
        } catch (SyscallException e) {
            return false; // gone: the kill that follows is a no-op
        }
    }
}
