package io.rsyscall4j.fd;

import static io.rsyscall4j.api.Linux.CLOSE_RANGE_ALL;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.lang.System.Logger.Level;

/** {@code close_range(2)} (Linux 5.9), asked for once per JVM: a kernel without it is remembered. */
final class CloseRange {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");
    private static volatile boolean missing;

    private CloseRange() {}

    /**
     * Closes {@code first..last} through {@code sysif}; false, with nothing closed, where the
     * kernel has no {@code close_range} (the caller closes one number at a time, or leaves them).
     * Any other failure is thrown.
     */
    static boolean close(SyscallInterface sysif, long first, long last) throws SyscallException {
        if (missing) {
            return false;
        }
        try {
            sysif.syscall(Sys.CLOSE_RANGE, first, last, 0);
            return true;
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOSYS) {
                throw e;
            }
            missing = true;
            LOG.log(Level.WARNING, "rsyscall4j: no close_range(2) in this kernel: garbage fds are closed one at a"
                    + " time, and fds a task does not own after unshareFiles stay open until exec");
            return false;
        }
    }

    /**
     * Closes every fd of {@code sysif}'s table but {@code owned} (ascending): the gaps between
     * them, each with one {@code close_range}. A gap whose {@code close_range} reports an errno
     * does not stop the others: each gap is closed once, never retried, and the first error is
     * thrown at the end. A hangup or send error (the task is gone, and its table with it) stops at
     * once.
     */
    static void closeAllBut(SyscallInterface sysif, int[] owned) throws SyscallException {
        ErrnoException first = null;
        long next = 0;
        for (int n : owned) {
            if (n > next) {
                first = closeGap(sysif, next, n - 1L, first);
            }
            next = n + 1L;
        }
        if (next <= CLOSE_RANGE_ALL) {
            first = closeGap(sysif, next, CLOSE_RANGE_ALL, first);
        }
        if (first != null) {
            throw first;
        }
    }

    /** Closes {@code first..last}; returns the first errno met so far (this one's, if it is the first). */
    private static ErrnoException closeGap(SyscallInterface sysif, long first, long last, ErrnoException earlier)
            throws SyscallException {
        try {
            close(sysif, first, last);
            return earlier;
        } catch (ErrnoException e) {
            ErrnoException named = e.withSubject(first + ".." + last);
            if (earlier == null) {
                return named;
            }
            earlier.addSuppressed(named);
            return earlier;
        }
    }
}
