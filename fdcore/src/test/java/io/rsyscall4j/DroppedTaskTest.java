package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.SeekWhence;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A task the program drops is not kept alive by rsyscall4j's own bookkeeping: the fd tables track
 * handle states, and a state must not hold its task, or a child sharing the JVM's table (whose
 * table is reachable from a static) would be reachable forever through the states of its own
 * stdio, and its process would run as long as the JVM. Only live {@link FileDescriptor}s keep a
 * task: a handle's task is what closes its fd, and what its I/O runs in.
 *
 * <p>Each check is against the kernel: the process is gone from {@code /proc} (killed and reaped),
 * the fds it opened in the JVM's table are closed, and a child whose handle is still held serves.
 */
class DroppedTaskTest {
    private static final Duration CLEANUP = Duration.ofSeconds(20);
    private static final int FDS = 4;

    @TempDir
    Path dir;

    static Stream<Arguments> providersAndTables() {
        return Stream.of("ffm", "jna").flatMap(p -> Stream.of(Arguments.of(p, true), Arguments.of(p, false)));
    }

    /** A dropped child: its pid, and a reference that tells when the GC found its task unreachable. */
    private record Dropped(int pid, WeakReference<ChildTask> ref) {
    }

    @ParameterizedTest(name = "{0}, FILES {1}")
    @MethodSource("providersAndTables")
    void aDroppedChildWithItsHandlesIsKilledReapedAndItsFdsClosed(String provider, boolean files) throws Exception {
        Task local = Rsyscall.local(provider);
        Path file = Files.writeString(dir.resolve("dropped"), "dropped");
        Dropped d = cloneOpenAndDrop(local, files, file);
        Kernel.await("dropped child " + d.pid() + " (FILES " + files + ") is killed and reaped", CLEANUP, () -> {
            System.gc();
            return !Files.exists(Path.of("/proc/" + d.pid()));
        });
        assertTrue(d.ref().refersTo(null), "its task was collected");
        Kernel.await("the fds it opened in the JVM's table are closed", CLEANUP, () -> {
            System.gc();
            return Kernel.fdsUnder(dir).isEmpty();
        });
        assertStdioOpen();
    }

    @ParameterizedTest(name = "{0}, FILES {1}")
    @MethodSource("providersAndTables")
    void aDroppedChildWhoseHandleIsHeldKeepsServingUntilTheHandleIsDropped(String provider, boolean files)
            throws Exception {
        Task local = Rsyscall.local(provider);
        Path keptFile = Files.writeString(dir.resolve("kept"), "kept");
        Path siblingFile = Files.writeString(Files.createDirectory(dir.resolve("sibling")).resolve("f"), "sibling");
        ChildTask child = local.clone(files ? new CloneFlag[] {CloneFlag.FILES} : new CloneFlag[0]);
        int pid = child.pid();
        FileDescriptor held = child.open(keptFile.toString(), O_RDONLY);
        WeakReference<ChildTask> childRef = new WeakReference<>(child);
        child = null;
        // A sibling dropped at the same time, handles and all: once it is killed, the GC has run
        // and the janitor has had its turn, so a child it wrongly found unreachable would be dead too.
        Dropped sibling = cloneOpenAndDrop(local, files, siblingFile);
        Kernel.await("the dropped sibling " + sibling.pid() + " is killed and reaped", CLEANUP, () -> {
            System.gc();
            return !Files.exists(Path.of("/proc/" + sibling.pid()));
        });

        assertFalse(childRef.refersTo(null), "the held handle keeps its task reachable");
        assertFalse(Kernel.processEnded(pid), "child " + pid + " still runs");
        assertEquals(pid, held.task().sysif().syscall(Sys.GETPID), "and still serves syscalls");
        held.lseek(0, SeekWhence.SEEK_SET);
        assertArrayEquals("kept".getBytes(StandardCharsets.US_ASCII), held.read(16), "through the held handle too");
        if (files) {
            assertEquals(keptFile.toRealPath().toString(), Kernel.target(held.number()));
        } else {
            assertEquals(keptFile.toRealPath().toString(), ChildTestSupport.link(pid, held.number()));
        }

        WeakReference<FileDescriptor> heldRef = new WeakReference<>(held);
        held = null;
        Kernel.await("child " + pid + " is killed once its last handle is dropped", CLEANUP, () -> {
            System.gc();
            return !Files.exists(Path.of("/proc/" + pid));
        });
        assertTrue(heldRef.refersTo(null));
        Kernel.await("no fd of the test's files is left in the JVM's table", CLEANUP, () -> {
            System.gc();
            return Kernel.fdsUnder(dir).isEmpty();
        });
        assertStdioOpen();
    }

    @ParameterizedTest(name = "{0}, FILES {1}")
    @MethodSource("providersAndTables")
    void aDroppedChildWhoseOwnChildIsHeldKeepsRunningSoTheGrandchildLives(String provider, boolean files)
            throws Exception {
        Task local = Rsyscall.local(provider);
        Path file = Files.writeString(dir.resolve("f"), "f");
        ChildTask parent = local.clone();
        int parentPid = parent.pid();
        ChildTask grandchild = parent.clone(files ? new CloneFlag[] {CloneFlag.FILES} : new CloneFlag[0]);
        int grandchildPid = grandchild.pid();
        parent = null;
        Dropped sibling = cloneOpenAndDrop(local, false, file);
        Kernel.await("the dropped sibling " + sibling.pid() + " is killed and reaped", CLEANUP, () -> {
            System.gc();
            return !Files.exists(Path.of("/proc/" + sibling.pid()));
        });
        assertFalse(Kernel.processEnded(parentPid), "the parent " + parentPid + " still runs");
        assertEquals(grandchildPid, grandchild.sysif().syscall(Sys.GETPID), "and so does its child");

        grandchild = null;
        Kernel.await("both are killed and reaped once the grandchild is dropped too", CLEANUP, () -> {
            System.gc();
            return !Files.exists(Path.of("/proc/" + parentPid)) && !Files.exists(Path.of("/proc/" + grandchildPid));
        });
    }

    @BothProviders
    void aDroppedLocalTaskOverASyscallInterfaceIsCollectedAndItsFdsClosed(String provider) throws Exception {
        SyscallInterface sysif = ChildTestSupport.providers().filter(p -> p.provider().equals(provider))
                .findFirst().orElseThrow();
        Path file = Files.writeString(dir.resolve("local"), "local");
        WeakReference<Task> ref = openThroughNewLocalTaskAndDrop(sysif, file);
        Kernel.await("the dropped local task is collected", CLEANUP, () -> {
            System.gc();
            return ref.refersTo(null);
        });
        Kernel.await("its fds are closed through another task of the JVM's table", CLEANUP, () -> {
            System.gc();
            return Kernel.fdsUnder(dir).isEmpty();
        });
        assertStdioOpen();
        Task again = Rsyscall.local(sysif);
        assertEquals(ProcessHandle.current().pid(), again.sysif().syscall(Sys.GETPID));
        assertTrue(again.stdout().isValid(), "a later local task still gets fds 0, 1, 2");
    }

    // --- helpers, each in a frame of its own so what it made is unreachable once it returns ---

    private static Dropped cloneOpenAndDrop(Task parent, boolean files, Path file) throws IOException {
        ChildTask child = parent.clone(files ? new CloneFlag[] {CloneFlag.FILES} : new CloneFlag[0]);
        List<FileDescriptor> fds = new ArrayList<>();
        for (int i = 0; i < FDS; i++) {
            fds.add(child.open(file.toString(), O_RDONLY));
        }
        assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
        // Checked here, while the child and its handles are still reachable: once this returns, a
        // GC may collect them at any moment.
        if (files) {
            assertEquals(FDS, fdsOn(ProcessHandle.current().pid(), file), "the child's fds are in the JVM's table");
        } else {
            assertEquals(FDS, fdsOn(child.pid(), file), "the child's fds are in its own table");
            assertEquals(0, fdsOn(ProcessHandle.current().pid(), file), "and none is in the JVM's");
        }
        java.lang.ref.Reference.reachabilityFence(fds);
        return new Dropped(child.pid(), new WeakReference<>(child));
    }

    private static WeakReference<Task> openThroughNewLocalTaskAndDrop(SyscallInterface sysif, Path file)
            throws IOException {
        Task task = Rsyscall.local(sysif);
        List<FileDescriptor> fds = new ArrayList<>();
        for (int i = 0; i < FDS; i++) {
            fds.add(task.open(file.toString(), O_RDONLY));
        }
        assertNotNull(task.stdin());
        assertEquals(FDS, fdsOn(ProcessHandle.current().pid(), file));
        java.lang.ref.Reference.reachabilityFence(fds);
        return new WeakReference<>(task);
    }

    /** How many fds of process {@code pid} refer to {@code file}. */
    private static long fdsOn(long pid, Path file) throws IOException {
        String target = file.toRealPath().toString();
        Map<Integer, String> fds = ChildTestSupport.fds(pid);
        return fds.values().stream().filter(target::equals).count();
    }

    /** The JVM's own fds 0, 1, 2, which every local task has handles to, are never collected. */
    private static void assertStdioOpen() {
        for (int n = 0; n <= 2; n++) {
            assertNotNull(Kernel.target(n), "fd " + n + " of the JVM is still open");
        }
    }
}
