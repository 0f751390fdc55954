package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.api.SyscallInterface;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Closing a child's connection twice (the death cleanup and the reaping both do) must touch the
 * pipes once: by the second time their numbers may be another child's connection, which a second
 * close cut off (with the socket of old: that child read EOF and exited right after its clone;
 * with pipes: it would be sent an exit request).
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
            int number = eventFd(first);
            first.sysif().close();
            ClonedChild second = Spawner.cloneLocal(local, files);
            assertEquals(number, eventFd(second), "the kernel hands the closed number to the next connection");
            first.sysif().close();
            assertEquals(second.pid(), second.sysif().syscall(Sys.GETPID), "the next child still answers");
            assertThrows(SyscallSendError.class, () -> first.sysif().syscall(Sys.GETPID));
            first.waitFor();
            assertThrows(io.rsyscall4j.api.SyscallHangup.class, () -> second.sysif().syscall(Sys.EXIT, 0));
            second.waitFor();
        }
    }

    private static int eventFd(ClonedChild child) {
        return ((ChildSyscallInterface) child.sysif()).eventFd();
    }
}
