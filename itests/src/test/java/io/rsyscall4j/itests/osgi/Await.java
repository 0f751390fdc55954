package io.rsyscall4j.itests.osgi;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/** Waits for a condition with a deadline, polling (never a fixed sleep). */
final class Await {
    private Await() {}

    /** Returns once {@code value} supplies {@code expected}; fails naming both after 20 s. */
    static <T> void until(String what, Supplier<T> value, T expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        T last = value.get();
        while (!expected.equals(last)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(what + ": expected " + expected + " but still " + last + " after 20 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            last = value.get();
        }
    }
}
