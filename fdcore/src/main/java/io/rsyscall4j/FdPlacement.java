package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.F_DUPFD_CLOEXEC;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.util.ArrayList;
import java.util.List;

/** Where the fds of a child's connection go in the tables that hold them, and closing them there. */
final class FdPlacement {
    /**
     * Where the child's end of its connection goes: above the numbers callers set up for a
     * program, and low, so that a child's own table, once the copies it cannot use are closed,
     * stays small.
     */
    static final int[] SERVER_FLOORS = {64};
    /**
     * Where the JVM's end of every connection and the children's pidfds go, tried in turn (the fd
     * limit may be low): above the children's ends, so that thousands of children do not push the
     * next child's end (and so its table) up.
     */
    static final int[] JVM_FLOORS = {1024, 256};

    private FdPlacement() {}

    /**
     * Moves {@code fd} to the lowest free number above the first of {@code floors} that has room,
     * through {@code sysif} (the task whose table holds it), and returns it. A child's end of its
     * connection is an fd in the child its caller did not ask for, and the lowest free numbers,
     * where the kernel puts a new fd, are just where callers want the fds they set up for a program
     * (3, 4, ... in socket activation): there it would be in their way. Keeps {@code fd} where
     * it is if the fd limit leaves no room above the floors.
     */
    static int moveAbove(SyscallInterface sysif, int fd, int[] floors) throws SyscallException {
        for (int floor : floors) {
            try {
                int high = (int) sysif.syscall(Sys.FCNTL, fd, F_DUPFD_CLOEXEC, floor);
                sysif.syscall(Sys.CLOSE, fd);
                return high;
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINVAL && e.errno() != Errno.EMFILE) {
                    throw e;
                }
            }
        }
        return fd;
    }

    /** {@link #moveAbove}, keeping {@code fd} where it is if it cannot be moved. */
    static int moveAboveQuietly(SyscallInterface sysif, int fd, int[] floors) {
        try {
            return moveAbove(sysif, fd, floors);
        } catch (SyscallException | RuntimeException e) {
            return fd;
        }
    }

    /**
     * Closes {@code fds} in the child of {@code sysif} in one round trip; throws the first failure,
     * after all of them were tried.
     */
    static void closeAll(ChildTransport sysif, int... fds) throws SyscallException {
        List<SyscallRequest> closes = new ArrayList<>(fds.length);
        for (int fd : fds) {
            closes.add(SyscallRequest.of(Sys.CLOSE, fd));
        }
        long[] results = sysif.pipeline(closes);
        for (int i = 0; i < results.length; i++) {
            if (results[i] < 0 && results[i] >= -4095) {
                throw ErrnoException.of(Sys.CLOSE, (int) -results[i], fds[i]);
            }
        }
    }
}
