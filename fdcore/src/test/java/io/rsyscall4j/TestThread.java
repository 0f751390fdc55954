package io.rsyscall4j;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A helper thread of a test whose failure fails the test: {@link #join} rethrows what its body
 * threw (a plain thread's uncaught AssertionError is only printed).
 */
final class TestThread {
    /** A thread's body, which may fail. */
    interface Body {
        void run() throws Exception;
    }

    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private TestThread(String name, Body body) {
        thread = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, name);
    }

    /** Starts {@code body} on a new platform thread named {@code name}. */
    static TestThread start(String name, Body body) {
        TestThread t = new TestThread(name, body);
        t.thread.start();
        return t;
    }

    /** Waits for the thread to end; throws if its body failed. */
    void join() throws InterruptedException {
        thread.join();
        Throwable e = failure.get();
        if (e != null) {
            throw new AssertionError(thread.getName() + " failed", e);
        }
    }
}
