package io.rsyscall4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class SysTest {

    /** The syscalls issue 2 names, with their numbers in the kernel's x86_64 {@code unistd_64.h}. */
    private static final Map<Sys, Integer> X86_64 = Map.ofEntries(
            Map.entry(Sys.READ, 0), Map.entry(Sys.WRITE, 1), Map.entry(Sys.CLOSE, 3), Map.entry(Sys.LSEEK, 8),
            Map.entry(Sys.MMAP, 9), Map.entry(Sys.MPROTECT, 10), Map.entry(Sys.MUNMAP, 11),
            Map.entry(Sys.RT_SIGPROCMASK, 14), Map.entry(Sys.DUP, 32), Map.entry(Sys.GETPID, 39),
            Map.entry(Sys.SENDMSG, 46), Map.entry(Sys.RECVMSG, 47), Map.entry(Sys.SOCKETPAIR, 53), Map.entry(Sys.SCHED_SETSCHEDULER, 144),
            Map.entry(Sys.CLONE, 56), Map.entry(Sys.EXECVE, 59), Map.entry(Sys.EXIT, 60), Map.entry(Sys.WAIT4, 61),
            Map.entry(Sys.KILL, 62), Map.entry(Sys.FCNTL, 72), Map.entry(Sys.PRCTL, 157), Map.entry(Sys.GETTID, 186),
            Map.entry(Sys.FUTEX, 202), Map.entry(Sys.GETDENTS64, 217), Map.entry(Sys.EXIT_GROUP, 231),
            Map.entry(Sys.WAITID, 247), Map.entry(Sys.OPENAT, 257), Map.entry(Sys.UNSHARE, 272),
            Map.entry(Sys.EVENTFD2, 290), Map.entry(Sys.DUP3, 292), Map.entry(Sys.PIPE2, 293),
            Map.entry(Sys.MEMFD_CREATE, 319), Map.entry(Sys.STATX, 332), Map.entry(Sys.PIDFD_SEND_SIGNAL, 424),
            Map.entry(Sys.PIDFD_OPEN, 434), Map.entry(Sys.CLOSE_RANGE, 436));

    @Test
    void theSyscallsTheProjectUsesHaveTheirX8664Numbers() {
        X86_64.forEach((sys, nr) -> assertEquals(nr, sys.number(), sys.syscallName()));
    }

    @Test
    void everySyscallHasItsOwnNumber() {
        Set<Integer> seen = new HashSet<>();
        for (Sys sys : Sys.values()) {
            assertTrue(seen.add(sys.number()), sys + " shares number " + sys.number());
        }
    }

    @Test
    void syscallNamesAreLowerCaseAsInTheManPages() {
        assertEquals("close_range", Sys.CLOSE_RANGE.syscallName());
        assertEquals("pidfd_send_signal", Sys.PIDFD_SEND_SIGNAL.syscallName());
    }

    @Test
    void callsWhoseFirstArgumentIsAnFdSaySo() {
        for (Sys fd : new Sys[] {Sys.READ, Sys.WRITE, Sys.CLOSE, Sys.DUP, Sys.DUP3, Sys.FCNTL, Sys.LSEEK,
                Sys.SENDMSG, Sys.RECVMSG, Sys.GETDENTS64, Sys.PIDFD_SEND_SIGNAL}) {
            assertTrue(fd.firstArgIsFd(), fd.syscallName());
        }
        for (Sys notFd : new Sys[] {Sys.OPENAT, Sys.MMAP, Sys.GETPID, Sys.CLOSE_RANGE, Sys.PIPE2, Sys.KILL,
                Sys.PIDFD_OPEN, Sys.MEMFD_CREATE, Sys.STATX}) {
            assertTrue(!notFd.firstArgIsFd(), notFd.syscallName());
        }
    }
}
