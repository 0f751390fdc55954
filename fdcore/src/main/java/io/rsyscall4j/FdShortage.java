package io.rsyscall4j;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import java.io.IOException;

/**
 * What every fd-creating call of a {@link Task} does when the table or the system is out of fds:
 * frees the fds of handles already dropped and tries once more, so a program that only drops
 * handles never sees {@code EMFILE} because of its garbage.
 */
final class FdShortage {
    private FdShortage() {}

    /** One fd-creating syscall (or setup of several), returning what it made. */
    @FunctionalInterface
    interface FdCall<T> {
        T run() throws IOException;
    }

    /** How many collections {@link #retrying} has made: threads short of fds at once share one. */
    private static long collections;
    private static final Object LOCK = new Object();

    /**
     * Runs {@code call} in {@code task}; on {@code EMFILE} or {@code ENFILE} the fds of handles
     * already dropped are freed — one {@code System.gc()} (shared by the threads that ran short
     * meanwhile) and one {@link Task#runFdTableGc()} of the task's table — and the call is tried
     * once more; its second failure is thrown, the first suppressed in it. ({@code ENFILE} is the
     * whole system's: the other tables' garbage is closed by the background reaper after the same
     * collection, maybe not before the retry.) {@code call} must leave nothing behind when it
     * fails.
     */
    static <T> T retrying(Task task, FdCall<T> call) throws IOException {
        try {
            return call.run();
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EMFILE && e.errno() != Errno.ENFILE) {
                throw e;
            }
            long seen;
            synchronized (LOCK) {
                seen = collections;
            }
            freeGarbage(task, seen);
            try {
                return call.run();
            } catch (ErrnoException again) {
                again.addSuppressed(e);
                throw again;
            }
        }
    }

    /** Collects unreachable handles (unless another thread has since {@code seen}) and closes the task's table's. */
    private static void freeGarbage(Task task, long seen) throws IOException {
        synchronized (LOCK) {
            if (collections == seen) {
                System.gc();
                collections++;
            }
        }
        task.runFdTableGc();
    }
}
