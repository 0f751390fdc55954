package io.rsyscall4j;

import static io.rsyscall4j.ChildTestSupport.fds;
import static io.rsyscall4j.ChildTestSupport.onVirtualThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a child task costs the JVM's fd table. A child only platform threads call holds one fd of
 * the JVM's, its pidfd: the eventfd its server writes for a parked virtual thread is in the
 * child's own table, and the JVM takes its copy at a virtual thread's first call (which parks:
 * {@link VirtualThreadsTest}). So ten thousand idle children fit under an fd limit of twenty
 * thousand. A {@code FILES} child's own table is the JVM's, its eventfd in it.
 */
class ChildFdCostTest {
    private static final String PIDFD = "anon_inode:[pidfd]";
    private static final String EVENTFD = "anon_inode:[eventfd]";

    @BothProviders
    void aChildOnlyPlatformThreadsCallHoldsOneFdOfTheJvm(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        warmUp(local.clone());
        Map<Integer, String> before = jvmFds();
        ChildTask child = local.clone();
        for (int i = 0; i < 3; i++) {
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
        }
        assertEquals(List.of(PIDFD), added(before), "a platform thread's child holds its pidfd, and nothing else");
        assertEquals(child.pid(), onVirtualThread(child.sysif(), Sys.GETPID));
        assertEquals(List.of(EVENTFD, PIDFD), added(before), "a virtual thread's call takes a copy of the eventfd");
        assertEquals(child.pid(), onVirtualThread(child.sysif(), Sys.GETPID));
        assertEquals(List.of(EVENTFD, PIDFD), added(before), "once");
        child.exit(0);
    }

    @BothProviders
    void aFilesChildOnlyPlatformThreadsCallHoldsItsPidfdAndItsServersEventFd(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        warmUp(local.clone(CloneFlag.FILES));
        Map<Integer, String> before = jvmFds();
        ChildTask child = local.clone(CloneFlag.FILES);
        assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
        assertEquals(List.of(EVENTFD, PIDFD), added(before), "the table is the JVM's: the server's eventfd is in it");
        assertEquals(child.pid(), onVirtualThread(child.sysif(), Sys.GETPID));
        assertEquals(List.of(EVENTFD, EVENTFD, PIDFD), added(before),
                "and the JVM's copy, once a virtual thread calls");
        child.exit(0);
    }

    /**
     * A child whose server's eventfd can't be taken (here: closed in the child behind the
     * connection's back) still answers a virtual thread, which looks every millisecond instead.
     */
    @ParameterizedTest
    @MethodSource("io.rsyscall4j.ChildTestSupport#providers")
    void aVirtualThreadIsAnsweredWhenTheEventFdCannotBeTaken(SyscallInterface local) throws Exception {
        ClonedChild warm = Spawner.cloneLocal(local, false);
        onVirtualThread(warm.sysif(), Sys.POLL, 0, 0, 20); // the poller's own fds
        exit(warm);
        ClonedChild child = Spawner.cloneLocal(local, false);
        child.sysif().syscall(Sys.CLOSE, child.serverFd());
        Map<Integer, String> before = jvmFds();
        assertEquals(0, onVirtualThread(child.sysif(), Sys.POLL, 0, 0, 20), "poll(NULL, 0, 20 ms), answered");
        assertEquals(List.of(), added(before), "nothing taken");
        exit(child);
    }

    private static void exit(ClonedChild child) throws Exception {
        assertThrows(SyscallHangup.class, () -> child.sysif().syscall(Sys.EXIT, 0));
        child.waitFor();
    }

    /**
     * Makes the fds the JVM makes once, so they are not counted as a child's: the spawner's, the
     * process watcher's and the poller's (a virtual thread parked while the child sleeps 20 ms).
     */
    private static void warmUp(ChildTask child) throws Exception {
        onVirtualThread(child.sysif(), Sys.POLL, 0, 0, 20);
        child.exit(0);
    }

    /**
     * The JVM's fds: number -> what it refers to, an eventfd with its id and a pidfd with its
     * process, so that a number closed by another test's cleanup meanwhile and taken by this one's
     * child shows as added.
     */
    private static Map<Integer, String> jvmFds() {
        Map<Integer, String> fds = fds(ProcessHandle.current().pid());
        fds.replaceAll((n, target) -> target.equals(EVENTFD) ? target + " " + Kernel.fdinfo(n, "eventfd-id")
                : target.equals(PIDFD) ? target + " " + Kernel.fdinfo(n, "Pid") : target);
        return fds;
    }

    /**
     * What the JVM's table holds now that it did not at {@code before}, by kind, sorted; less the
     * pidfds of processes that ended meanwhile (their pid reads -1), which are not new.
     */
    private static List<String> added(Map<Integer, String> before) {
        Map<Integer, String> now = new TreeMap<>(jvmFds());
        now.entrySet().removeAll(before.entrySet());
        return now.values().stream().filter(v -> !v.equals(PIDFD + " -1")).map(v -> v.split(" ")[0]).sorted().toList();
    }
}
