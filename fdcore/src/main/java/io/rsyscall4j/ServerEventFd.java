package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.O_CLOEXEC;
import static io.rsyscall4j.api.Linux.O_NONBLOCK;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;

/**
 * The one fd of a child task's connection, an eventfd, by its two numbers: {@link #server} in the
 * child's table, which the server writes when a batch asks to be told that way (a virtual thread
 * waiting in the poller), and {@link #jvm}, the JVM's own, which it waits on and closes with the
 * connection. Everything else passes through memory ({@link Mailbox}).
 */
record ServerEventFd(int server, int jvm) {
    /**
     * {@code EFD_CLOEXEC | EFD_NONBLOCK} (the same bits as the {@code O_} flags): a program the
     * child execs gets exactly the fds its caller set up; and the JVM's read that resets it never
     * blocks, while the server's write of 1 never does either.
     */
    private static final int FLAGS = O_CLOEXEC | O_NONBLOCK;

    /** Makes an eventfd in the table of {@code sysif}'s task; returns its number. */
    static int make(SyscallInterface sysif) throws SyscallException {
        return (int) sysif.syscall(Sys.EVENTFD2, 0, FLAGS);
    }

    /** Closes both numbers through {@code sysif} (both in its table); failures are added to {@code failure}. */
    void closeQuietly(SyscallInterface sysif, Exception failure) {
        RawFd.closeQuietly(sysif, server, failure);
        RawFd.closeQuietly(sysif, jvm, failure);
    }
}
