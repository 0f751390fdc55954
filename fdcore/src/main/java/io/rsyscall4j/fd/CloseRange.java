package io.rsyscall4j.fd;

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
}
