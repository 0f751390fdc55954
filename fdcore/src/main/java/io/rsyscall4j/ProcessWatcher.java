package io.rsyscall4j;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * One thread that watches the pidfds of every process rsyscall4j made, and runs an action for
 * each once it ends: the pidfds are in one {@code epoll} set, so however many processes are
 * pending — waited for, with {@code onExit()} futures, or dropped while running — one thread
 * waits for all of them.
 *
 * <p>A pidfd polls readable once its process has ended; each is registered
 * {@code EPOLLONESHOT}, so its action runs once. Actions run on the watcher thread and must not
 * block (reaping a child of the JVM with {@code WNOHANG} is fine; anything that waits on a child
 * task's server goes to {@link ChildJanitor}). Registering is an {@code epoll_ctl} from the
 * registering thread, which does not wake the watcher.
 *
 * <p>The thread starts with the first registration and lives until {@link #stopIfIdle} finds no
 * registration pending (fdcore's bundle stopping): a thread that never ends would keep fdcore's
 * class loader. The next registration starts a new one.
 */
final class ProcessWatcher {
    static final String THREAD_NAME = "rsyscall4j-process-watcher";
    private static final System.Logger LOG = System.getLogger(ProcessWatcher.class.getName());
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLLIN = 0x1;
    private static final int EPOLLONESHOT = 1 << 30;
    private static final int EPOLL_CLOEXEC = Linux.O_CLOEXEC;
    private static final int EFD_CLOEXEC = Linux.O_CLOEXEC;
    /** {@code struct epoll_event} is packed on x86_64: a 32-bit mask, then 64 bits of data. */
    private static final int EVENT_SIZE = 12;
    private static final int MAX_EVENTS = 256;
    /** The page: the events {@code epoll_wait} fills, then one event for registrations, then 8 bytes for the eventfd. */
    private static final int CTL_EVENT = MAX_EVENTS * EVENT_SIZE;
    private static final int COUNTER = CTL_EVENT + 16;
    private static final int PAGE = Linux.PAGE_SIZE;
    /** The data of the eventfd's event: a stop request. Registrations count from 1. */
    private static final long STOP = 0;

    private static final Object LIFE = new Object();
    /** The running watcher, or null. Guarded by {@link #LIFE}. */
    private static Watcher current;

    private ProcessWatcher() {}

    /**
     * Runs {@code onExit} on the watcher thread once the process of {@code pidfd} (a pidfd in
     * the JVM's table, which the caller keeps open at least until then) has ended.
     */
    static void watch(SyscallInterface local, int pidfd, Runnable onExit) throws SyscallException {
        synchronized (LIFE) {
            if (current == null) {
                current = Watcher.start(local);
            }
            current.add(pidfd, onExit);
        }
    }

    /**
     * Ends the watcher thread if no process is registered, waiting up to {@code timeout}; returns
     * whether no watcher thread is left running.
     */
    static boolean stopIfIdle(Duration timeout) {
        Watcher w;
        synchronized (LIFE) {
            if (current == null) {
                return true;
            }
            if (!current.actions.isEmpty()) {
                return false;
            }
            w = current;
            current = null;
            w.requestStop();
        }
        try {
            w.thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !w.thread.isAlive();
    }

    /** Whether a watcher thread runs now. */
    static boolean isRunning() {
        synchronized (LIFE) {
            return current != null && current.thread.isAlive();
        }
    }

    /** How many processes are registered and not ended yet (for tests). */
    static int pending() {
        synchronized (LIFE) {
            return current == null ? 0 : current.actions.size();
        }
    }

    /** One watcher: its epoll set, its stop eventfd, its memory, its thread. */
    private static final class Watcher {
        private final SyscallInterface local;
        private final int epfd;
        private final int stopFd;
        private final long page;
        /** Actions by registration number. Guarded by {@link #LIFE}. */
        private final Map<Long, Runnable> actions = new HashMap<>();
        private long next = 1;
        private Thread thread;

        private Watcher(SyscallInterface local, int epfd, int stopFd, long page) {
            this.local = local;
            this.epfd = epfd;
            this.stopFd = stopFd;
            this.page = page;
        }

        static Watcher start(SyscallInterface local) throws SyscallException {
            int epfd = (int) local.syscall(Sys.EPOLL_CREATE1, EPOLL_CLOEXEC);
            int stopFd = -1;
            long page = 0;
            try {
                stopFd = (int) local.syscall(Sys.EVENTFD2, 0, EFD_CLOEXEC);
                page = local.syscall(Sys.MMAP, 0, PAGE, Linux.PROT_READ | Linux.PROT_WRITE,
                        Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS, -1, 0);
                Watcher w = new Watcher(local, epfd, stopFd, page);
                w.ctlAdd(stopFd, EPOLLIN, STOP);
                Thread t = new Thread(w::run, THREAD_NAME);
                t.setDaemon(true);
                t.setContextClassLoader(null);
                w.thread = t;
                t.start();
                return w;
            } catch (SyscallException | RuntimeException | Error e) {
                closeQuietly(local, stopFd);
                closeQuietly(local, epfd);
                if (page != 0) {
                    try {
                        local.syscall(Sys.MUNMAP, page, PAGE);
                    } catch (SyscallException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }

        /** Guarded by {@link #LIFE} (the event in the page is shared by registrations). */
        void add(int pidfd, Runnable onExit) throws SyscallException {
            long id = next++;
            actions.put(id, onExit);
            try {
                ctlAdd(pidfd, EPOLLIN | EPOLLONESHOT, id);
            } catch (SyscallException | RuntimeException e) {
                actions.remove(id);
                throw e;
            }
        }

        private void ctlAdd(int fd, int events, long data) throws SyscallException {
            byte[] event = ByteBuffer.allocate(EVENT_SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(events)
                    .putLong(data).array();
            local.writeMemory(page + CTL_EVENT, event, 0, EVENT_SIZE);
            local.syscall(Sys.EPOLL_CTL, epfd, EPOLL_CTL_ADD, fd, page + CTL_EVENT);
        }

        /** Guarded by {@link #LIFE}: the watcher is no longer {@link #current}. */
        void requestStop() {
            byte[] one = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1).array();
            try {
                local.writeMemory(page + COUNTER, one, 0, 8);
                local.syscall(Sys.WRITE, stopFd, page + COUNTER, 8);
            } catch (SyscallException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "rsyscall4j: can't wake the process watcher to stop it", e);
            }
        }

        private void run() {
            byte[] events = new byte[MAX_EVENTS * EVENT_SIZE];
            ByteBuffer buf = ByteBuffer.wrap(events).order(ByteOrder.LITTLE_ENDIAN);
            while (true) {
                int n;
                try {
                    n = (int) local.syscall(Sys.EPOLL_WAIT, epfd, page, MAX_EVENTS, -1);
                } catch (ErrnoException e) {
                    if (e.errno() == Errno.EINTR) {
                        continue;
                    }
                    LOG.log(System.Logger.Level.ERROR, "rsyscall4j: the process watcher failed; it stops", e);
                    return;
                } catch (SyscallException | RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "rsyscall4j: the process watcher failed; it stops", e);
                    return;
                }
                local.readMemory(page, events, 0, n * EVENT_SIZE);
                boolean stop = false;
                for (int i = 0; i < n; i++) {
                    long id = buf.getLong(i * EVENT_SIZE + 4);
                    if (id == STOP) {
                        stop = true;
                        continue;
                    }
                    Runnable action;
                    synchronized (LIFE) {
                        action = actions.remove(id);
                    }
                    if (action != null) {
                        try {
                            action.run();
                        } catch (RuntimeException | Error e) {
                            LOG.log(System.Logger.Level.WARNING, "rsyscall4j: a process exit action failed", e);
                        }
                    }
                }
                if (stop) {
                    release();
                    return;
                }
            }
        }

        /** Once stopped: nothing can register any more (it is not {@link #current}). */
        private void release() {
            closeQuietly(local, stopFd);
            closeQuietly(local, epfd);
            try {
                local.syscall(Sys.MUNMAP, page, PAGE);
            } catch (SyscallException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "unmapping the process watcher's page", e);
            }
        }
    }

    private static void closeQuietly(SyscallInterface local, int fd) {
        if (fd < 0) {
            return;
        }
        try {
            local.syscall(Sys.CLOSE, fd);
        } catch (SyscallException | RuntimeException e) {
            // the number is released whatever close says
        }
    }
}
