package io.rsyscall4j;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a call on a helper thread and fails if it has not returned by a deadline: "no call hangs",
 * checked without timing how fast anything is. The call's own exception is rethrown as is.
 */
final class Deadline implements AutoCloseable {
    private final Duration limit;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "rsyscall4j-test-deadline");
        t.setDaemon(true);
        return t;
    });

    Deadline(Duration limit) {
        this.limit = limit;
    }

    /** {@code call()}, which must return (or throw) within the limit; {@code what} names it if not. */
    <T> T call(String what, Callable<T> call) throws Exception {
        Future<T> f = thread.submit(call);
        try {
            return f.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not return within " + limit + " (hung)", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw (Error) cause;
        }
    }

    /** As {@link #call} for a call without a result. */
    void run(String what, Step step) throws Exception {
        call(what, () -> {
            step.run();
            return null;
        });
    }

    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
