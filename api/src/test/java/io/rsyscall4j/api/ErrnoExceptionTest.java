package io.rsyscall4j.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import org.junit.jupiter.api.Test;

final class ErrnoExceptionTest {

    @Test
    void messageNamesSyscallSubjectErrnoNameAndDescription() {
        ErrnoException e = new ErrnoException(Sys.CLOSE, Errno.EBADF, "17");
        assertEquals("close(17): EBADF (Bad file descriptor)", e.getMessage());
        assertEquals(Sys.CLOSE, e.syscall());
        assertEquals(9, e.errno());
        assertEquals("EBADF", e.errnoName());
        assertEquals("17", e.subject());
    }

    @Test
    void syscallNamesAreTheManPageNames() {
        assertEquals("close_range(): EINVAL (Invalid argument)",
                new ErrnoException(Sys.CLOSE_RANGE, Errno.EINVAL, null).getMessage());
        assertEquals("pidfd_send_signal(5): ESRCH (No such process)",
                ErrnoException.of(Sys.PIDFD_SEND_SIGNAL, Errno.ESRCH, 5, 9, 0, 0).getMessage());
    }

    @Test
    void ofNamesTheFdWhenTheFirstArgumentIsOne() {
        assertEquals("close(-1): EBADF (Bad file descriptor)", ErrnoException.of(Sys.CLOSE, Errno.EBADF, -1).getMessage());
        assertEquals("dup3(42): EBADF (Bad file descriptor)",
                ErrnoException.of(Sys.DUP3, Errno.EBADF, 42, 7, 0x80000).getMessage());
        assertEquals("42", ErrnoException.of(Sys.WRITE, Errno.EPIPE, 42, 0x7f0000001000L, 10).subject());
    }

    /** A raw register holds an fd as a 32-bit int; the message shows the number the kernel saw. */
    @Test
    void ofShowsAnFdArgumentAsTheIntTheKernelSaw() {
        assertEquals("close(-1): EBADF (Bad file descriptor)",
                ErrnoException.of(Sys.CLOSE, Errno.EBADF, 0xFFFF_FFFFL).getMessage());
    }

    @Test
    void ofLeavesTheSubjectOutWhenTheFirstArgumentIsNoFd() {
        ErrnoException e = ErrnoException.of(Sys.OPENAT, Errno.ENOENT, -100, 0x7f0000001000L, 0);
        assertNull(e.subject());
        assertEquals("openat(): ENOENT (No such file or directory)", e.getMessage());
        assertEquals("close(): EBADF (Bad file descriptor)", ErrnoException.of(Sys.CLOSE, Errno.EBADF).getMessage());
    }

    @Test
    void withSubjectNamesTheNewSubjectAndKeepsTheErrorAndItsStack() {
        ErrnoException raw = ErrnoException.of(Sys.OPENAT, Errno.ENOENT, -100, 0x7f0000001000L, 0);
        ErrnoException named = raw.withSubject("/no/such");
        assertEquals("openat(/no/such): ENOENT (No such file or directory)", named.getMessage());
        assertEquals("/no/such", named.subject());
        assertEquals(Sys.OPENAT, named.syscall());
        assertEquals(Errno.ENOENT, named.errno());
        assertArrayEquals(raw.getStackTrace(), named.getStackTrace(), "the stack shows where the syscall failed");
        assertEquals("openat(): ENOENT (No such file or directory)", raw.getMessage(), "the original is unchanged");
    }

    @Test
    void unknownErrnoStillGetsANameInTheMessage() {
        assertEquals("close(3): E41 (Unknown error 41)", new ErrnoException(Sys.CLOSE, 41, "3").getMessage());
    }

    @Test
    void errnoExceptionIsAnIOExceptionThroughSyscallException() {
        IOException e = new ErrnoException(Sys.READ, Errno.EIO, "0");
        assertEquals(SyscallException.class, e.getClass().getSuperclass());
    }
}
