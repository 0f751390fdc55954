package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.O_CLOEXEC;

import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;

/**
 * The four fds of a child task's connection, numbered in the table that made them: the request
 * pipe, which the JVM writes and the child's syscall server reads, and the answer pipe, which the
 * server writes and the JVM reads. The server's ends are {@link #requestRead} and
 * {@link #answerWrite}; the JVM's, {@link #requestWrite} and {@link #answerRead}.
 *
 * <p>All four are made {@code O_CLOEXEC}: a program the child execs must get exactly the fds its
 * caller set up, and the exec is how the server's ends go away with the server.
 */
record ServerPipes(int requestRead, int requestWrite, int answerRead, int answerWrite) {

    /**
     * Makes both pipes through {@code sysif}, in its task's table; {@code pipe2} stores the numbers
     * in {@code stack}. If the second pipe fails, the first is closed again.
     */
    static ServerPipes make(SyscallInterface sysif, ChildStack stack) throws SyscallException {
        sysif.syscall(Sys.PIPE2, stack.pipeAddress(0), O_CLOEXEC);
        try {
            sysif.syscall(Sys.PIPE2, stack.pipeAddress(1), O_CLOEXEC);
        } catch (SyscallException | RuntimeException e) {
            RawFd.closeQuietly(sysif, stack.pipeEnd(0, 0), e);
            RawFd.closeQuietly(sysif, stack.pipeEnd(0, 1), e);
            throw e;
        }
        return new ServerPipes(stack.pipeEnd(0, 0), stack.pipeEnd(0, 1), stack.pipeEnd(1, 0), stack.pipeEnd(1, 1));
    }

    /** These pipes, with the JVM's ends (request write, answer read) at new numbers. */
    ServerPipes withJvmEnds(int requestWriteFd, int answerReadFd) {
        return new ServerPipes(requestRead, requestWriteFd, answerReadFd, answerWrite);
    }

    /** These pipes, with the server's request end at a new number. */
    ServerPipes withRequestRead(int fd) {
        return new ServerPipes(fd, requestWrite, answerRead, answerWrite);
    }

    /** These pipes, with the server's answer end at a new number. */
    ServerPipes withAnswerWrite(int fd) {
        return new ServerPipes(requestRead, requestWrite, answerRead, fd);
    }

    /** Closes all four through {@code sysif}; failures are added to {@code failure}. */
    void closeQuietly(SyscallInterface sysif, Exception failure) {
        RawFd.closeQuietly(sysif, requestRead, failure);
        RawFd.closeQuietly(sysif, requestWrite, failure);
        RawFd.closeQuietly(sysif, answerRead, failure);
        RawFd.closeQuietly(sysif, answerWrite, failure);
    }
}
