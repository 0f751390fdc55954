package io.rsyscall4j;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * FAULT INJECTION: a real provider whose calls can be made to fail as a dead task's would (hangup,
 * send error) or with an errno. Everything not failed goes to the real provider.
 *
 * <p>Three ways to inject:
 * <ul>
 *   <li>{@link #closeFault}: every {@code close} and {@code close_range} fails with it;
 *   <li>{@link #failCall}: the {@code n}th syscall from now fails once;
 *   <li>{@link #clone3Fault}: stands in for every {@code clone3} made through {@code callFunction}.
 * </ul>
 * Both with kernel-faithful semantics: a send error runs nothing (it was never sent); a hangup
 * on {@code close}/{@code close_range} runs the close first (a hangup means "sent, and perhaps
 * run": the case where retrying would close a reused number), on any other syscall runs nothing;
 * an errno on {@code close}/{@code close_range} is reported <em>after</em> the real close ran
 * (Linux releases the fd even when close reports EINTR or EIO — the reason close must never be
 * retried), on any other syscall runs nothing (EMFILE from {@code openat} allocates no fd).
 *
 * <p>It also keeps a journal: close attempts per fd number, every close the kernel answered EBADF
 * (a close of a non-negative number that was not open: a double close), and the fds created through it.
 */
final class FaultInjectingSyscallInterface implements SyscallInterface {
    enum Fault {
        NONE, HANGUP, SEND_ERROR, EIO, EINTR, EMFILE;

        /** The errno this fault reports, or 0 for NONE, HANGUP and SEND_ERROR. */
        int errno() {
            return switch (this) {
                case EIO -> Errno.EIO;
                case EINTR -> Errno.EINTR;
                case EMFILE -> Errno.EMFILE;
                default -> 0;
            };
        }
    }

    /** What {@link #failCall} hit: the call, the fault, and whether the real call ran first. */
    record Injected(Sys nr, long[] args, Fault fault, boolean ran, String thread) {
        @Override
        public String toString() {
            return fault + " on " + nr.syscallName() + Arrays.toString(args) + (ran ? " (after running it)" : "")
                    + " on thread " + thread;
        }
    }

    private final SyscallInterface real;
    volatile Fault closeFault = Fault.NONE;
    /** Run by a {@link #closeFault} HANGUP after the real close, before the hangup is reported. */
    volatile SyscallAction afterHungUpClose = () -> {};

    /** Answers every {@code callFunction} that makes a {@code clone3} (its last argument) instead, unless null. */
    volatile LongSupplier clone3Fault;

    /** An action on the real kernel, run inside a faulty call. */
    interface SyscallAction {
        void run() throws SyscallException;
    }
    private final Map<Long, AtomicInteger> closeAttempts = new ConcurrentHashMap<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final Object cueLock = new Object();
    private int cueAt;
    private Fault cueFault = Fault.NONE;
    private volatile Injected injected;
    private final List<String> badCloses = new ArrayList<>();
    private final List<Integer> created = new ArrayList<>();

    FaultInjectingSyscallInterface(SyscallInterface real) {
        this.real = real;
    }

    /** Fails the {@code n}th syscall made through this interface from now on (1: the next one), once. */
    void failCall(int n, Fault fault) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1, got " + n);
        }
        synchronized (cueLock) {
            cueAt = calls.get() + n;
            cueFault = fault;
            injected = null;
        }
    }

    /** Cancels a {@link #failCall} that has not hit yet. */
    void disarm() {
        synchronized (cueLock) {
            cueFault = Fault.NONE;
        }
    }

    /** What the armed fault hit, or null if it has not hit (yet). */
    Injected injected() {
        return injected;
    }

    /** How many syscalls went through this interface so far. */
    int calls() {
        return calls.get();
    }

    int closeAttempts(int fd) {
        AtomicInteger n = closeAttempts.get((long) fd);
        return n == null ? 0 : n.get();
    }

    /** Every close or close_range the kernel answered with EBADF: a number closed that was not open. */
    List<String> badCloses() {
        synchronized (badCloses) {
            return List.copyOf(badCloses);
        }
    }

    /** The fd numbers the kernel handed out through this interface (openat, pipe2), in order. */
    List<Integer> created() {
        synchronized (created) {
            return List.copyOf(created);
        }
    }

    @Override
    public long syscall(Sys nr, long... args) throws SyscallException {
        int call = calls.incrementAndGet();
        Fault fault = Fault.NONE;
        synchronized (cueLock) {
            if (cueFault != Fault.NONE && call == cueAt) {
                fault = cueFault;
                cueFault = Fault.NONE;
            }
        }
        boolean isClose = nr == Sys.CLOSE || nr == Sys.CLOSE_RANGE;
        if (isClose) {
            long last = nr == Sys.CLOSE ? args[0] : args[1];
            for (long fd = args[0]; fd <= last && fd - args[0] < 4096; fd++) {
                closeAttempts.computeIfAbsent(fd, k -> new AtomicInteger()).incrementAndGet();
            }
            switch (closeFault) {
                case HANGUP:
                    realClose(nr, args);
                    afterHungUpClose.run();
                    throw new SyscallHangup("injected: task died before answering " + nr.syscallName());
                case SEND_ERROR:
                    throw new SyscallSendError("injected: could not send " + nr.syscallName());
                case EIO:
                case EINTR:
                case EMFILE:
                    realClose(nr, args);
                    throw ErrnoException.of(nr, closeFault.errno(), args);
                default:
                    break;
            }
        }
        if (fault == Fault.HANGUP && isClose) {
            realClose(nr, args);
            injected = new Injected(nr, args.clone(), fault, true, Thread.currentThread().getName());
            throw new SyscallHangup("injected: task died before answering " + nr.syscallName());
        }
        if (fault == Fault.HANGUP || fault == Fault.SEND_ERROR) {
            injected = new Injected(nr, args.clone(), fault, false, Thread.currentThread().getName());
            throw fault == Fault.HANGUP
                    ? new SyscallHangup("injected: task died before answering " + nr.syscallName())
                    : new SyscallSendError("injected: could not send " + nr.syscallName());
        }
        if (fault != Fault.NONE && !isClose) {
            injected = new Injected(nr, args.clone(), fault, false, Thread.currentThread().getName());
            throw ErrnoException.of(nr, fault.errno(), args);
        }
        long result;
        try {
            result = real.syscall(nr, args);
        } catch (ErrnoException e) {
            if (isClose && e.errno() == Errno.EBADF && args[0] >= 0) { // close(-1) is a deliberate probe
                synchronized (badCloses) {
                    badCloses.add(nr.syscallName() + Arrays.toString(args) + " on thread " + Thread.currentThread().getName());
                }
            }
            if (fault != Fault.NONE) {
                injected = new Injected(nr, args.clone(), fault, true, Thread.currentThread().getName());
            }
            throw e;
        }
        if (nr == Sys.OPENAT) {
            record((int) result);
        } else if (nr == Sys.PIPE2) {
            byte[] b = new byte[8];
            real.readMemory(args[0], b, 0, 8);
            record(intAt(b, 0));
            record(intAt(b, 4));
        }
        if (fault != Fault.NONE) {
            // close ran (and released the fd, as Linux does), yet reports an error
            injected = new Injected(nr, args.clone(), fault, true, Thread.currentThread().getName());
            throw ErrnoException.of(nr, fault.errno(), args);
        }
        return result;
    }

    /** Runs a close for real (its errno, if any, is dropped: the injected failure is what is reported). */
    private void realClose(Sys nr, long[] args) {
        try {
            real.syscall(nr, args);
        } catch (SyscallException e) {
            if (e instanceof ErrnoException ee && ee.errno() == Errno.EBADF && args[0] >= 0) {
                synchronized (badCloses) {
                    badCloses.add(nr.syscallName() + Arrays.toString(args) + " on thread " + Thread.currentThread().getName());
                }
            }
        }
    }

    private void record(int fd) {
        synchronized (created) {
            created.add(fd);
        }
    }

    private static int intAt(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    @Override
    public void writeMemory(long address, byte[] src, int off, int len) {
        real.writeMemory(address, src, off, len);
    }

    @Override
    public void readMemory(long address, byte[] dst, int off, int len) {
        real.readMemory(address, dst, off, len);
    }

    @Override
    public long callFunction(long address, long... args) {
        LongSupplier fault = clone3Fault;
        if (fault != null && args[args.length - 1] == Sys.CLONE3.number()) {
            return fault.getAsLong();
        }
        return real.callFunction(address, args);
    }

    @Override
    public String provider() {
        return "faulty(" + real.provider() + ")";
    }
}
