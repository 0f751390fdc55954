package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.CLD_EXITED;
import static io.rsyscall4j.api.Linux.P_PID;
import static io.rsyscall4j.api.Linux.P_PIDFD;
import static io.rsyscall4j.api.Linux.SIGKILL;
import static io.rsyscall4j.api.Linux.WEXITED;
import static io.rsyscall4j.api.Linux.WNOHANG;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The syscalls that wait for a {@link ClonedChild} to end and reap it, each run through the
 * interface of the task that can: {@code local} (the JVM, or a remote task for its own children)
 * holds the pidfd; only a child's parent can {@code waitid} for it. {@code info} is 128 bytes of
 * scratch in {@code local}'s memory for the {@code siginfo_t}, zeroed by the caller.
 */
final class Reaping {
    private Reaping() {}

    /**
     * Blocks until the pidfd {@code pidfd} of {@code local}'s table is readable: its process has
     * ended. On another host, in slices ({@link RemoteConnection#WAIT_SLICE_NANOS}).
     */
    static void awaitEnd(SyscallInterface local, int pidfd, long scratch) throws SyscallException {
        byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(pidfd).putShort((short) 1).array();
        int timeout = ChildTransport.inJvm(local) ? -1 : (int) (RemoteConnection.WAIT_SLICE_NANOS / 1_000_000);
        while (true) {
            local.writeMemory(scratch, b, 0, 8);
            try {
                if (local.syscall(Sys.POLL, scratch, 1, timeout) > 0) {
                    return;
                }
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }

    /** Reaps process {@code pid}, a child of {@code local}'s task that has ended; returns its status. */
    static int reap(SyscallInterface local, int pidfd, int pid, long info) throws SyscallException {
        while (true) {
            try {
                local.syscall(Sys.WAITID, P_PIDFD, pidfd, info, WEXITED | WNOHANG, 0);
                break;
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e.withSubject("pid " + pid);
                }
            }
        }
        if (readInt(local, info, 16) == 0) {
            throw new IllegalStateException("child " + pid + "'s pidfd polled readable, but waitid found it running");
        }
        return decode(local, info);
    }

    /**
     * Reaps process {@code pid} ({@code pidInParent} there) through its parent's server; if the
     * parent is gone, the process was reparented and killed by its parent-death signal: that
     * status, 128 + SIGKILL. {@code info} is in the memory of the parent's address space.
     */
    static int waitThroughParent(ChildTransport parent, int pidInParent, int pid, long info) throws SyscallException {
        try {
            parent.syscall(Sys.WAITID, P_PID, pidInParent, info, WEXITED, 0);
            return decode(parent, info);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ECHILD) {
                throw e.withSubject("pid " + pid);
            }
        } catch (SyscallException parentGone) {
            // the parent is gone; the process was reparented and killed
        }
        return 128 + SIGKILL;
    }

    /** The status in a {@code siginfo_t}: the exit status, or 128 + the signal (as a shell reports it). */
    private static int decode(SyscallInterface memory, long info) {
        int code = readInt(memory, info, 8);
        int st = readInt(memory, info, 24);
        return code == CLD_EXITED ? st : 128 + st;
    }

    /** The pid, in the JVM's pid namespace, of the process of the JVM's pidfd {@code fd}. */
    static int pidOf(int fd) throws SyscallException {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("Pid:")) {
                    return Integer.parseInt(line.substring(4).trim());
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            throw new SyscallSendError("reading the pid of pidfd " + fd + ": " + e, e);
        }
        throw new SyscallSendError("/proc/self/fdinfo/" + fd + " names no pid");
    }

    private static int readInt(SyscallInterface memory, long address, long offset) {
        byte[] b = new byte[4];
        memory.readMemory(address + offset, b, 0, 4);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }
}
