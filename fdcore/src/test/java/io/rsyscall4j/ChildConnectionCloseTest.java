package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.api.SyscallInterface;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Closing a child's connection twice (the death cleanup and the reaping both do) must touch the
 * socket once: by the second time its number may be another child's connection, which a second
 * shutdown cut off (that child read EOF and exited right after its clone).
 */
class ChildConnectionCloseTest {
    static List<SyscallInterface> providers() {
        return ChildTestSupport.providers().toList();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void closingAConnectionAgainLeavesTheNumbersNextOwnerAlone(SyscallInterface local) throws Exception {
        for (boolean files : new boolean[] {false, true}) {
            ClonedChild first = Spawner.cloneLocal(local, files);
            int number = first.sysif().socketFd();
            first.sysif().close();
            ClonedChild second = Spawner.cloneLocal(local, files);
            assertEquals(number, second.sysif().socketFd(), "the kernel hands the closed number to the next connection");
            first.sysif().close();
            assertEquals(second.pid(), second.sysif().syscall(Sys.GETPID), "the next child still answers");
            assertThrows(SyscallSendError.class, () -> first.sysif().syscall(Sys.GETPID));
            first.waitFor();
            assertThrows(io.rsyscall4j.api.SyscallHangup.class, () -> second.sysif().syscall(Sys.EXIT, 0));
            second.waitFor();
        }
    }
}
