package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.F_DUPFD_CLOEXEC;
import static io.rsyscall4j.api.Linux.F_SETFD;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.FileDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Where the fds of a child's connection go in the tables that hold them, and closing them there;
 * and a program's fds put at their numbers in the round trip before its exec ({@link Plan}).
 */
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
            if (ChildTransport.isErrno(results[i])) {
                throw ErrnoException.of(Sys.CLOSE, (int) -results[i], fds[i]);
            }
        }
    }

    /**
     * The requests that put a program's fds at their numbers, sent with the rest of the exec's
     * preparation ({@link ExecPreparation}) rather than one round trip per fd: a {@code dup3} to
     * each number (or, for a copy already there, clearing its close-on-exec flag), and
     * {@code dup3(1, 2)} for stderr going where stdout goes. The child's copies it takes them from
     * are left to the exec's close-on-exec marks. {@link #kept} says which numbers the marks must
     * spare. The plan holds the child's handles of the copies: until the exec they must not be
     * collected (which would close them).
     */
    record Plan(List<SyscallRequest> calls, int[] placed, List<FileDescriptor> copies) {
        /** {@code owned}, the numbers the task's handles own, without the copies and with the numbers placed. */
        int[] kept(int[] owned) {
            TreeSet<Integer> keep = new TreeSet<>();
            for (int n : owned) {
                keep.add(n);
            }
            for (FileDescriptor copy : copies) {
                keep.remove(copy.number());
            }
            for (int n : placed) {
                keep.add(n);
            }
            return keep.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /**
     * The plan that puts {@code requests} (target number to a handle of the task {@code child} was
     * cloned from, without {@code FILES}) at their numbers in {@code child}, stdout's file at 2 too
     * if {@code errToOut}; or null where it must be done a step at a time, in the child's
     * bookkeeping: a source that sits on another request's number, or a number above 2 that a
     * handle of the child owns (its connection's fd, say), which {@code dup2} through handles
     * refuses by name.
     */
    static Plan plan(ChildTask child, Map<Integer, FileDescriptor> requests, boolean errToOut) {
        TreeSet<Integer> targets = new TreeSet<>(requests.keySet());
        if (errToOut) {
            targets.add(2);
        }
        for (Map.Entry<Integer, FileDescriptor> e : requests.entrySet()) {
            int n = e.getValue().number();
            if (n != e.getKey() && targets.contains(n)) {
                return null;
            }
        }
        int[] owned = child.fdTable().trackedNumbers();
        for (int t : targets) {
            if (t > 2 && Arrays.binarySearch(owned, t) >= 0) {
                return null;
            }
        }
        List<SyscallRequest> calls = new ArrayList<>(targets.size());
        List<FileDescriptor> copies = new ArrayList<>(requests.size());
        for (Map.Entry<Integer, FileDescriptor> e : requests.entrySet()) {
            FileDescriptor copy = child.inheritFd(e.getValue()); // the source must have lived at the clone
            copies.add(copy);
            int n = copy.number();
            calls.add(n == e.getKey() ? SyscallRequest.of(Sys.FCNTL, n, F_SETFD, 0)
                    : SyscallRequest.of(Sys.DUP3, n, e.getKey(), 0));
        }
        if (errToOut) {
            calls.add(SyscallRequest.of(Sys.DUP3, 1, 2, 0));
        }
        return new Plan(calls, targets.stream().mapToInt(Integer::intValue).toArray(), copies);
    }
}
