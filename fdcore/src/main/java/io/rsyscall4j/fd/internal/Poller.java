package io.rsyscall4j.fd.internal;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.AddressSpace;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Parks a virtual thread that waits for an fd of the JVM's table to become ready, where a
 * syscall would block its carrier thread: one platform thread waits in {@code epoll_wait} for
 * every fd virtual threads wait for, and unparks their waiters.
 *
 * <p>Readiness is all it looks at: a caller waits here, then makes its ordinary blocking call,
 * which finds the data (or the room, or the connection) there. No fd's file status flags are ever
 * changed: {@code O_NONBLOCK} belongs to the open file description, which every process holding a
 * copy shares, so setting it would make a pipe given to an exec'd program non-blocking for that
 * program too. The price: if another reader (another thread, another process) takes what made
 * the fd ready between the wake-up and the call, the call blocks its carrier as it would without
 * this class, until more comes.
 *
 * <p>Each wait registers its fds ({@code EPOLLONESHOT}, keyed by number; several waiters of one
 * number share the registration) and removes them before it returns, while the caller still holds
 * the fds open (borrowed), so a registration never outlives its file. Platform threads never come
 * here: they block in the syscall, as before, at the same speed.
 *
 * <p>The thread starts with the first wait that has to park and lives until {@link #stopIfIdle}
 * finds no waiter (fdcore's bundle stopping); the next wait starts a new one.
 */
public final class Poller {
    /** The name of the poller's thread. */
    public static final String THREAD_NAME = "rsyscall4j-poller";
    private static final System.Logger LOG = System.getLogger(Poller.class.getName());
    /** {@code Thread::isVirtual}, JDK 21 and later; null on older JDKs, which have no virtual threads. */
    private static final MethodHandle IS_VIRTUAL = isVirtualHandle();

    private static final Object LIFE = new Object();
    /** The running poller, or null. Guarded by {@link #LIFE}. */
    private static Instance current;

    private Poller() {}

    /** Whether the calling thread is a virtual thread, so a wait should park it here. */
    public static boolean inVirtualThread() {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable t) {
            throw new IllegalStateException("Thread.isVirtual failed", t);
        }
    }

    /**
     * Returns once {@code fd} (a number in the JVM's table, which the caller holds open) polls
     * ready for {@code events} ({@code POLLIN}, {@code POLLOUT}), or hung up or in error, parking
     * the calling thread until then. Asks {@code poll(2)} first without waiting (through scratch
     * memory of {@code space}), so a ready fd costs one syscall and no thread switch; a regular
     * file is always ready.
     *
     * @throws InterruptedIOException the thread was interrupted before or while parked: nothing was
     *     read or written, and the interrupt status is cleared (as for {@link InterruptedException})
     */
    public static void await(SyscallInterface local, AddressSpace space, int fd, short events) throws IOException {
        if (pollNow(local, space, fd, events)) {
            return;
        }
        if (!park(local, new int[] {fd}, events, -1, true)) {
            throw new InterruptedIOException("interrupted while waiting for fd " + fd + " to be ready");
        }
    }

    /**
     * Parks the calling thread until one of {@code fds} (held open by the caller) is ready for
     * {@code events}, hung up or in error, or {@code timeoutNanos} passed (never, if negative);
     * spurious returns are allowed, so the caller polls afterwards to learn which. Not
     * interruptible: an interrupt is kept for the caller's caller and does not end the wait.
     */
    public static void awaitAny(SyscallInterface local, int[] fds, short events, long timeoutNanos)
            throws SyscallException {
        park(local, fds, events, timeoutNanos, false);
    }

    /** {@code poll(fd, events, 0)}: whether the fd is ready (or hung up, in error) right now. */
    private static boolean pollNow(SyscallInterface local, AddressSpace space, int fd, short events)
            throws SyscallException {
        try (ScratchBuffer s = FdInternals.scratch(space, local)) {
            byte[] pollfd = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(fd).putShort(events).array();
            s.write(0, pollfd, 0, 8);
            while (true) {
                try {
                    return local.syscall(Sys.POLL, s.address(), 1, 0) > 0;
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.EINTR) {
                        throw e;
                    }
                }
            }
        }
    }

    /** Returns false only if interrupted (and {@code interruptible}); true when woken or timed out. */
    private static boolean park(SyscallInterface local, int[] fds, short events, long timeoutNanos,
            boolean interruptible) throws SyscallException {
        Waiter w = new Waiter(Thread.currentThread());
        Instance p;
        synchronized (LIFE) {
            if (current == null) {
                current = Instance.start(local);
            }
            p = current;
            p.users++;
        }
        boolean interrupted = false;
        try {
            p.add(w, fds, events);
            long deadline = System.nanoTime() + timeoutNanos;
            while (!w.ready) {
                if (Thread.interrupted()) {
                    interrupted = true;
                    if (interruptible) {
                        return false;
                    }
                }
                if (timeoutNanos < 0) {
                    LockSupport.park(p);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    LockSupport.parkNanos(p, left);
                }
            }
            return true;
        } finally {
            p.remove(w, fds);
            synchronized (LIFE) {
                p.users--;
            }
            if (interrupted && !interruptible) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Ends the poller thread if no thread waits, waiting up to {@code timeout}; returns whether
     * no poller thread is left running.
     */
    public static boolean stopIfIdle(Duration timeout) {
        Instance p;
        synchronized (LIFE) {
            if (current == null) {
                return true;
            }
            if (current.users > 0) {
                return false;
            }
            p = current;
            current = null;
            p.requestStop();
        }
        try {
            p.thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !p.thread.isAlive();
    }

    /** Whether a poller thread runs now. */
    public static boolean isRunning() {
        synchronized (LIFE) {
            return current != null && current.thread.isAlive();
        }
    }

    private static MethodHandle isVirtualHandle() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null;
        }
    }

    /** One parked thread; woken once any of its fds fires. */
    private static final class Waiter {
        final Thread thread;
        volatile boolean ready;

        Waiter(Thread thread) {
            this.thread = thread;
        }
    }

    /** The waiters of one fd number and the events registered for them. */
    private static final class Entry {
        final List<Waiter> waiters = new ArrayList<>(1);
        int events;
    }

    /** One poller: its epoll thread and the waiters by fd number. */
    private static final class Instance {
        private EpollThread epoll;
        /** Guards {@link #entries} and the registrations. */
        private final ReentrantLock lock = new ReentrantLock();
        private final Map<Integer, Entry> entries = new HashMap<>();
        /** Threads between registering and having removed their registrations. Guarded by {@link #LIFE}. */
        int users;
        Thread thread;

        static Instance start(SyscallInterface local) throws SyscallException {
            Instance p = new Instance();
            p.epoll = EpollThread.start(local, "poller", THREAD_NAME, p::fired);
            p.thread = p.epoll.thread();
            return p;
        }

        /** Registers {@code w} for each of {@code fds}; on failure none stays registered. */
        void add(Waiter w, int[] fds, short events) throws SyscallException {
            lock.lock();
            try {
                for (int i = 0; i < fds.length; i++) {
                    int fd = fds[i];
                    Entry e = entries.get(fd);
                    try {
                        if (e == null) {
                            e = new Entry();
                            e.events = events;
                            ctl(Linux.EPOLL_CTL_ADD, fd, events | Linux.EPOLLONESHOT, fd);
                            entries.put(fd, e);
                        } else {
                            // Re-arms it too: the one-shot may have fired for waiters still leaving.
                            e.events |= events;
                            ctl(Linux.EPOLL_CTL_MOD, fd, e.events | Linux.EPOLLONESHOT, fd);
                        }
                    } catch (SyscallException | RuntimeException x) {
                        removeLocked(w, java.util.Arrays.copyOf(fds, i));
                        throw x;
                    }
                    e.waiters.add(w);
                }
            } finally {
                lock.unlock();
            }
        }

        /** Takes {@code w} off {@code fds}; the last waiter of a number deletes its registration. */
        void remove(Waiter w, int[] fds) {
            lock.lock();
            try {
                removeLocked(w, fds);
            } finally {
                lock.unlock();
            }
        }

        private void removeLocked(Waiter w, int[] fds) {
            for (int fd : fds) {
                Entry e = entries.get(fd);
                if (e != null && e.waiters.remove(w) && e.waiters.isEmpty()) {
                    entries.remove(fd);
                    try {
                        epoll.delete(fd);
                    } catch (SyscallException | RuntimeException x) {
                        LOG.log(System.Logger.Level.DEBUG, "removing fd {0} from the poller: {1}", fd, x.getMessage());
                    }
                }
            }
        }

        private void ctl(int op, int fd, int events, long data) throws SyscallException {
            epoll.ctl(op, fd, events, data);
        }

        /** Guarded by {@link #LIFE}: the poller is no longer {@link #current}. */
        void requestStop() {
            epoll.requestStop();
        }

        /** On the poller thread: unparks the waiters of the fds that fired. */
        private void fired(long[] fds, int count) {
            lock.lock();
            try {
                for (int i = 0; i < count; i++) {
                    Entry e = entries.get((int) fds[i]);
                    if (e != null) {
                        for (Waiter w : e.waiters) {
                            w.ready = true;
                            LockSupport.unpark(w.thread);
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
