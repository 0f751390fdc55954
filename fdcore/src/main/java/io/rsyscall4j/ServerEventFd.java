package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.O_CLOEXEC;
import static io.rsyscall4j.api.Linux.O_NONBLOCK;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;

/**
 * The one fd of a child task's connection, an eventfd, by its two numbers: {@link #server} in the
 * child's table, which the server writes when a batch asks to be told that way (a virtual thread
 * waiting in the poller), and {@link #jvm}, the JVM's own copy, which it waits on and closes with
 * the connection, or -1 until a virtual thread's first call fetches it ({@link ParkedWait}).
 * For a direct spawn from a virtual thread it is a pipe instead, the server's number its write end
 * and the JVM's its read end, which hangs up at the exec ({@link Spawner#execWatchingPipe}).
 * Everything else passes through memory ({@link Mailbox}).
 */
record ServerEventFd(int server, int jvm) {
    /** No eventfd: for a child only the thread that made it calls, a platform thread. */
    static final ServerEventFd NONE = new ServerEventFd(-1, -1);

    /**
     * {@code EFD_CLOEXEC | EFD_NONBLOCK} (the same bits as the {@code O_} flags): a program the
     * child execs gets exactly the fds its caller set up; and the JVM's read that resets it never
     * blocks, while the server's write of 1 never does either.
     */
    static final int FLAGS = O_CLOEXEC | O_NONBLOCK;

    /** Makes an eventfd in the table of {@code sysif}'s task; returns its number. */
    static int make(SyscallInterface sysif) throws SyscallException {
        return (int) sysif.syscall(Sys.EVENTFD2, 0, FLAGS);
    }

    /**
     * Closes the numbers there are through {@code sysif} (all in its table); failures are added to
     * {@code failure}, if any. Loads no class: it runs when a clone fails at the fd limit, where
     * loading one fails too.
     */
    void closeQuietly(SyscallInterface sysif, Exception failure) {
        for (int fd : new int[] {server, jvm}) {
            try {
                if (fd >= 0) {
                    sysif.syscall(Sys.CLOSE, fd);
                }
            } catch (SyscallException | RuntimeException e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                }
            }
        }
    }
}
