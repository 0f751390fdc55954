package io.rsyscall4j;

import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.internal.EpollThread;
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

    private static final Object LIFE = new Object();
    /** The running watcher, or null. Guarded by {@link #LIFE}. */
    private static Watcher current;
    /**
     * The next registration's number, across watchers: a stale number never names a later
     * watcher's registration. Guarded by {@link #LIFE}.
     */
    private static long next = 1;

    private ProcessWatcher() {}

    /**
     * Runs {@code onExit} on the watcher thread once the process of {@code pidfd} (a pidfd in
     * the JVM's table, which the caller keeps open at least until then, or until it
     * {@linkplain #unwatch takes} the registration out) has ended. Returns the registration's
     * number, never 0.
     */
    static long watch(SyscallInterface local, int pidfd, Runnable onExit) throws SyscallException {
        synchronized (LIFE) {
            if (current == null) {
                current = Watcher.start(local);
            }
            return current.add(pidfd, onExit);
        }
    }

    /**
     * Takes registration {@code id} of {@code pidfd} out of the watch, for a caller that waits for
     * the process itself (the watcher then does not wake for it); returns whether it was there
     * to take out (false once its action ran).
     */
    static boolean unwatch(long id, int pidfd) {
        Watcher w;
        synchronized (LIFE) {
            w = current;
            if (w == null || w.actions.remove(id) == null) {
                return false;
            }
        }
        try {
            w.epoll.delete(pidfd); // outside the lock: the watcher finds no action if it fires meanwhile
        } catch (SyscallException | RuntimeException e) {
            // a watcher that stopped meanwhile (its set is gone); otherwise its event finds no action
        }
        return true;
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

    /** One watcher: its epoll thread and the actions registered with it. */
    private static final class Watcher {
        /** Actions by registration number. Guarded by {@link #LIFE}. */
        private final Map<Long, Runnable> actions = new HashMap<>();
        private EpollThread epoll;
        private Thread thread;

        static Watcher start(SyscallInterface local) throws SyscallException {
            Watcher w = new Watcher();
            w.epoll = EpollThread.start(local, "process watcher", THREAD_NAME, w::fired);
            w.thread = w.epoll.thread();
            return w;
        }

        /** Guarded by {@link #LIFE} (registrations share the epoll thread's event struct). */
        long add(int pidfd, Runnable onExit) throws SyscallException {
            long id = next++;
            actions.put(id, onExit);
            try {
                epoll.ctl(Linux.EPOLL_CTL_ADD, pidfd, Linux.POLLIN | Linux.EPOLLONESHOT, id);
            } catch (SyscallException | RuntimeException e) {
                actions.remove(id);
                throw e;
            }
            return id;
        }

        /** Guarded by {@link #LIFE}: the watcher is no longer {@link #current}. */
        void requestStop() {
            epoll.requestStop();
        }

        /** On the watcher thread: runs the actions of the processes that ended. */
        private void fired(long[] ids, int count) {
            for (int i = 0; i < count; i++) {
                Runnable action;
                synchronized (LIFE) {
                    action = actions.remove(ids[i]);
                }
                if (action != null) {
                    try {
                        action.run();
                    } catch (RuntimeException | Error e) {
                        LOG.log(System.Logger.Level.WARNING, "rsyscall4j: a process exit action failed", e);
                    }
                }
            }
        }
    }
}
