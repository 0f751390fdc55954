package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.api.SyscallInterface;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Closing a child's connection twice (the death cleanup and the reaping both do) must close the
 * JVM's copy of its eventfd once: by the second time its number may be another child's fd (its
 * pidfd, or its eventfd), which a second close would take from it.
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
            int number = jvmCopyOfEventFd(first);
            first.sysif().close();
            ClonedChild second = Spawner.cloneLocal(local, files);
            jvmCopyOfEventFd(second);
            String owner = ChildTestSupport.kernelObjectFds().get(number);
            assertNotNull(owner, "the kernel hands the closed number to the next child's fds");
            first.sysif().close();
            assertEquals(owner, ChildTestSupport.kernelObjectFds().get(number), "the second close left it alone");
            assertEquals(second.pid(), ChildTestSupport.onVirtualThread(second.sysif(), Sys.GETPID),
                    "the next child still answers");
            assertThrows(SyscallSendError.class, () -> first.sysif().syscall(Sys.GETPID));
            first.waitFor();
            assertThrows(io.rsyscall4j.api.SyscallHangup.class, () -> second.sysif().syscall(Sys.EXIT, 0));
            second.waitFor();
        }
    }

    /** The JVM's number of {@code child}'s eventfd, which a call from a virtual thread makes it take. */
    private static int jvmCopyOfEventFd(ClonedChild child) throws Exception {
        assertEquals(child.pid(), ChildTestSupport.onVirtualThread(child.sysif(), Sys.GETPID));
        Set<Integer> numbers = ChildTestSupport.eventFdNumbers(ProcessHandle.current().pid(),
                ChildTestSupport.eventFdId(child.pid(), child.serverFd()));
        numbers.remove(child.serverFd()); // in the JVM's table too, for a FILES child
        assertEquals(1, numbers.size(), "the JVM's copy");
        return numbers.iterator().next();
    }
}
