package io.rsyscall4j;

import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Background work for child tasks that nobody waits for: cleaning up after a child seen dead,
 * killing a child whose {@link ChildTask} became unreachable while the process still ran its
 * server, and reaping a child's child once it has ended.
 *
 * <p>That work can block (a child's child is reaped by a {@code waitid} that runs in its parent's
 * server, behind whatever that server is doing), so it runs on daemon threads of its own, never on
 * the thread whose syscall noticed the death, nor on the {@link Cleaner}'s thread, nor on the
 * {@link ProcessWatcher}'s. Waiting for a process to end is not such work: the watcher does that
 * for every process at once, and a job is submitted here only once its process has ended.
 *
 * <p>The worker threads end a minute after their last job, or at once when {@link #stopIfIdle}
 * finds none running (fdcore's bundle stopping): an idle worker holds the pool, and the pool its
 * thread factory, a class of fdcore's, which must not keep fdcore's class loader.
 */
final class ChildJanitor {
    static final String WORKER_NAME = "rsyscall4j-child-reaper";
    private static final System.Logger LOG = System.getLogger(ChildJanitor.class.getName());
    private static final Cleaner CLEANER = Cleaner.create(r -> daemon(r, "rsyscall4j-child-cleaner"));
    private static final Object LOCK = new Object();
    /** The worker pool, or null when none runs. Guarded by {@link #LOCK}. */
    private static ThreadPoolExecutor workers;

    private ChildJanitor() {}

    /** Runs {@code work} in the background; failures are logged. */
    static void submit(String what, Work work) {
        Runnable job = () -> {
            try {
                work.run();
            } catch (Exception | Error e) {
                LOG.log(System.Logger.Level.WARNING, "rsyscall4j: " + what + " failed", e);
            }
        };
        synchronized (LOCK) {
            if (workers == null) {
                workers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                        r -> daemon(r, WORKER_NAME));
            }
            workers.execute(job);
        }
    }

    /**
     * Runs the completions of {@code onExit()} futures and what users chained to them: user code
     * that may block, so neither on the {@link ProcessWatcher}'s thread nor one thread per process.
     */
    static void execute(Runnable r) {
        submit("completing a process's onExit future", r::run);
    }

    /**
     * Runs {@code action} on the cleaner's thread once {@code owner} is unreachable; it must not
     * block ({@link #submit} what may). The action must not refer to {@code owner}, or it never
     * will be. Failures are logged.
     */
    static Cleaner.Cleanable register(Object owner, String what, Work action) {
        return CLEANER.register(owner, () -> {
            try {
                action.run();
            } catch (Exception | Error e) {
                LOG.log(System.Logger.Level.WARNING, "rsyscall4j: " + what + " failed", e);
            }
        });
    }

    /**
     * Ends the worker threads if none is running a job, waiting up to {@code timeout}; the next
     * job starts new ones. Returns whether no worker is left.
     */
    static boolean stopIfIdle(Duration timeout) {
        ThreadPoolExecutor pool;
        synchronized (LOCK) {
            pool = workers;
            if (pool == null) {
                return true;
            }
            if (pool.getActiveCount() > 0) {
                return false;
            }
            workers = null;
            pool.shutdown();
        }
        try {
            return pool.awaitTermination(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        // Not the loader of whatever thread made the first child: the cleaner's thread outlives
        // everything here, and must not keep a class loader (fdcore's, or a caller's) from unloading.
        t.setContextClassLoader(null);
        return t;
    }
}
