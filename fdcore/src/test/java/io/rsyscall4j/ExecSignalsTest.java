package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * exec sets every signal to its default disposition before it unblocks signals — the JVM's
 * handlers the child inherited a copy of must not run in it, and what the child task ignored
 * would stay ignored in the program — as the kernel shows it in {@code /proc/<pid>/status}. It
 * resets only those caught or ignored ({@link ChildSignals}, from that same file), or all if it
 * can't tell; those the JVM's own process ignores stay ignored ({@link IgnoredSignalsTest}).
 */
class ExecSignalsTest {
    private static final int SIGUSR1 = 10;
    private static final int SIGUSR2 = 12;
    private static final long SIG_IGN = 1;
    private static final String NONE = "0000000000000000";
    private static final String EVERY_SIGNAL_BUT_KILL_AND_STOP = "fffffffffffbfeff";

    /** Sets {@code sig} to SIG_IGN in {@code child} (its memory is the JVM's: the sigaction is mapped here). */
    private static void ignore(ChildTask child, int sig) throws Exception {
        SyscallInterface local = Rsyscall.local().sysif();
        long page = local.syscall(Sys.MMAP, 0, 4096, 3, 0x22, -1, 0);
        try {
            byte[] action = new byte[32];
            action[0] = (byte) SIG_IGN; // sa_handler = SIG_IGN, little-endian; flags, restorer, mask 0
            local.writeMemory(page, action, 0, action.length);
            child.sysif().syscall(Sys.RT_SIGACTION, sig, page, 0, 8);
        } finally {
            local.syscall(Sys.MUNMAP, page, 4096);
        }
    }

    /** {@link ChildSignals#toReset} of {@code pid}, read through the local task into a page of its own. */
    private static long toReset(int pid) throws Exception {
        SyscallInterface local = Rsyscall.local().sysif();
        long page = local.syscall(Sys.MMAP, 0, 8192, 3, 0x22, -1, 0);
        try {
            return ChildSignals.toReset(local, pid, page, 8192);
        } finally {
            local.syscall(Sys.MUNMAP, page, 8192);
        }
    }

    private static long mask(long pid, String field) {
        return Long.parseUnsignedLong(ChildTestSupport.status(pid, field), 16);
    }

    @BothProviders
    void aFailedExecLeavesTheChildWithEveryCaughtAndIgnoredSignalAtItsDefault(String provider) throws Exception {
        ChildTask child = Rsyscall.local(provider).clone();
        ignore(child, SIGUSR1);
        long caught = mask(child.pid(), "SigCgt");
        assertNotEquals(0, caught, "the child has a copy of the JVM's handlers");
        assertEquals(1L << (SIGUSR1 - 1), mask(child.pid(), "SigIgn") & (1L << (SIGUSR1 - 1)), "SIGUSR1 ignored");
        long jvmIgnored = mask(ProcessHandle.current().pid(), "SigIgn");
        assertEquals(jvmIgnored, ChildSignals.jvmIgnored());
        assertEquals(caught | (mask(child.pid(), "SigIgn") & ~jvmIgnored), toReset(child.pid()),
                "what exec resets is what the kernel shows caught, or ignored where the JVM does not ignore it");

        ErrnoException e = assertThrows(ErrnoException.class, () -> child.exec("/no/such/program", List.of("x")));
        assertEquals("ENOENT", e.errnoName());
        assertEquals(NONE, ChildTestSupport.status(child.pid(), "SigCgt"), "no JVM handler left in the child");
        assertEquals(jvmIgnored, mask(child.pid(), "SigIgn"), "nothing ignored but what the JVM ignores");
        assertEquals(EVERY_SIGNAL_BUT_KILL_AND_STOP, ChildTestSupport.status(child.pid(), "SigBlk"), "blocked again");
        assertEquals(0, toReset(child.pid()));
        child.exec("true", List.of("true")).check();
    }

    @BothProviders
    void theProgramStartsWithNoSignalIgnoredOrBlocked(String provider) throws Exception {
        ChildTask child = Rsyscall.local(provider).clone();
        ignore(child, SIGUSR1);
        ignore(child, SIGUSR2);
        ChildProcess sleep = child.exec("sleep", List.of("sleep", "1000"));
        try {
            Kernel.await("sleep runs", Duration.ofSeconds(10),
                    () -> "sleep".equals(ChildTestSupport.status(sleep.pid(), "Name")));
            assertEquals(mask(ProcessHandle.current().pid(), "SigIgn"), mask(sleep.pid(), "SigIgn"),
                    "SIGUSR1 and SIGUSR2 at their defaults, what the JVM ignores ignored");
            assertEquals(NONE, ChildTestSupport.status(sleep.pid(), "SigBlk"));
        } finally {
            sleep.kill(SIGUSR1);
        }
        assertEquals(128 + SIGUSR1, sleep.waitFor(), "SIGUSR1's default action, termination");
    }

    @Test
    void aStatusFieldIsReadOnlyWhenWellFormed() {
        String status = "Name:\tx\nSigIgn:\t0000000000001000\nSigCgt:\t2000000101005cce\nSigBlk:\tzz\n";
        assertEquals(0x1000L, ChildSignals.field(status, "SigIgn:"));
        assertEquals(0x2000000101005cceL, ChildSignals.field(status, "SigCgt:"));
        assertEquals(-1, ChildSignals.field(status, "SigBlk:"), "malformed");
        assertEquals(-1, ChildSignals.field(status, "ShdPnd:"), "missing");
        assertEquals(-1, ChildSignals.field("SigCgt:\t12\n", "SigCgt:"), "too short");
        assertEquals(-1, ChildSignals.field("SigCgt:\t2000000101005cce", "SigCgt:"), "cut off before its line ends");
    }

    @Test
    void everyCatchableSignalButWhatTheJvmIgnoresIsResetWhenTheStatusCannotBeRead() throws Exception {
        assertEquals(ChildSignals.ALL_CATCHABLE & ~ChildSignals.jvmIgnored(), toReset(Integer.MAX_VALUE),
                "no such process: all but what the JVM ignores");
        assertEquals(0, ChildSignals.ALL_CATCHABLE & ((1L << 8) | (1L << 18)), "SIGKILL and SIGSTOP can't be reset");
        assertEquals(62, Long.bitCount(ChildSignals.ALL_CATCHABLE));
    }
}
