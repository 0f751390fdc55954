package io.rsyscall4j;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The one long-lived platform thread on which the JVM clones its own children, never the caller's:
 * {@code PR_SET_PDEATHSIG} fires when the <em>thread</em> that made the child exits, so a child
 * cloned from a short-lived thread (or a virtual thread's carrier) would be killed with it.
 * Children of children are cloned by their parent's server, whose thread is the parent itself.
 *
 * <p>The thread lives as long as any child it made does (counting the programs they exec'd, whom
 * the signal follows), and as long as a clone is queued for it. Once none is left it may be
 * {@linkplain #stopIfIdle stopped}, so that a container unloading fdcore is not kept from it by a
 * thread that never ends; the next clone starts a new one.
 */
final class SpawnerThread {
    static final String THREAD_NAME = "rsyscall4j-spawner";
    private static final System.Logger LOG = System.getLogger(SpawnerThread.class.getName());
    /** The job that ends a spawner thread: queued only when it has no child and no other job. */
    private static final Runnable STOP = () -> { };
    private static final Object LIFE = new Object();
    /** The spawner thread and its queue of clones, or null when none runs. Guarded by {@link #LIFE}. */
    private static Worker worker;
    /**
     * Clones queued for or running on the spawner thread, plus the children they made that are
     * not reaped yet: while above zero the thread must not end. Guarded by {@link #LIFE}.
     */
    private static int inUse;

    private SpawnerThread() {}

    /** A clone, run on the spawner thread: returns the child's pid, or -errno. */
    @FunctionalInterface
    interface SpawnCall {
        long run();
    }

    /** One spawner thread and the queue only it takes from (a stopping thread never takes a new job). */
    private record Worker(Thread thread, BlockingQueue<Runnable> work) {
        static Worker start() {
            BlockingQueue<Runnable> work = new LinkedBlockingQueue<>();
            Thread t = new Thread(() -> serve(work), THREAD_NAME);
            t.setDaemon(true);
            t.setContextClassLoader(SpawnerThread.class.getClassLoader());
            t.start();
            return new Worker(t, work);
        }
    }

    /**
     * A spawner thread's loop, until it takes {@link #STOP}, which is queued only once no child of
     * it is alive: before that it must not end, or its children would all die with it.
     */
    private static void serve(BlockingQueue<Runnable> work) {
        while (true) {
            try {
                Runnable job = work.take();
                if (job == STOP) {
                    return;
                }
                job.run();
            } catch (Throwable t) {
                // Every job catches its own failures, so this is a bug; the thread stays alive
                // all the same, for the children it made.
                LOG.log(System.Logger.Level.ERROR, "rsyscall4j: a job of the spawner thread failed", t);
            }
        }
    }

    /**
     * Ends the spawner thread if no child it made is alive and no clone is queued, waiting up to
     * {@code timeout}; the next clone starts a new thread. Returns whether no spawner thread is
     * left running (also true if none ever ran).
     */
    static boolean stopIfIdle(Duration timeout) {
        Worker w;
        synchronized (LIFE) {
            if (worker == null) {
                return true;
            }
            if (inUse > 0) {
                return false;
            }
            w = worker;
            worker = null;
            w.work().add(STOP);
        }
        try {
            w.thread().join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !w.thread().isAlive();
    }

    /** Whether a spawner thread runs now. */
    static boolean isRunning() {
        synchronized (LIFE) {
            return worker != null && worker.thread().isAlive();
        }
    }

    /** A child of the JVM (made on the spawner thread) was reaped: it no longer needs the thread. */
    static void childReaped() {
        synchronized (LIFE) {
            inUse--;
        }
    }

    /**
     * Runs a clone on the spawner thread (starting one if none runs). The clone counts as in use
     * from now on; if it makes a child, the count passes to the child, until
     * {@link #childReaped}; if it does not (an exception, or a negative result), it ends here.
     */
    static long run(SpawnCall call) {
        return run(call, null);
    }

    /**
     * As {@link #run(SpawnCall)}, running {@code meanwhile} (unless null) on this thread once the
     * clone is queued, before it waits for the clone's result: a wait of its own that the child
     * (or {@code call}, failing) ends, so that this thread is woken once, not for the result and
     * then again for the child. It must not throw.
     */
    static long run(SpawnCall call, Runnable meanwhile) {
        BlockingQueue<Runnable> work;
        synchronized (LIFE) {
            if (worker == null) {
                worker = Worker.start();
            }
            work = worker.work();
            inUse++;
        }
        boolean madeChild = false;
        try {
            long pid = runOn(work, call, meanwhile);
            madeChild = pid > 0;
            return pid;
        } finally {
            if (!madeChild) {
                childReaped();
            }
        }
    }

    private static long runOn(BlockingQueue<Runnable> work, SpawnCall call, Runnable meanwhile) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        work.add(() -> {
            try {
                result.complete(call.run());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        if (meanwhile != null) {
            meanwhile.run();
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    // The clone may already be under way: its child must not be lost.
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException) {
                        throw (RuntimeException) cause;
                    }
                    if (cause instanceof Error) {
                        throw (Error) cause;
                    }
                    throw new IllegalStateException("spawning a child failed", cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
