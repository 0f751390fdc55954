package io.rsyscall4j.itests.osgi;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.rsyscall4j.ChildProcess;
import io.rsyscall4j.ChildTask;
import io.rsyscall4j.LocalTaskService;
import io.rsyscall4j.Pipe;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.osgi.framework.BundleContext;

/**
 * The fd lifecycle through the {@link LocalTaskService} of the fdcore bundle, with one provider
 * bundle installed. One test class per provider calls these (Pax Exam runs inherited test methods
 * in the wrong container, so the scenarios are plain methods, not an abstract test class).
 */
final class LocalTaskScenarios {
    private final BundleContext context;
    private final String provider;

    LocalTaskScenarios(BundleContext context, String provider) {
        this.context = context;
        this.provider = provider;
    }

    private String provider() {
        return provider;
    }

    LocalTaskService service() throws InterruptedException {
        return Services.await(context, LocalTaskService.class, "(component.name=io.rsyscall4j.local)");
    }

    void theLocalTaskIsTheJvmServedByTheInstalledProvider() throws Exception {
        LocalTaskService service = service();
        Await.until("provider", service::provider, provider());
        Task task = service.task();
        assertEquals(ProcessHandle.current().pid(), task.pid());
        assertEquals(provider(), task.sysif().provider());
    }

    void aFileOpenedThroughTheServiceIsWrittenReadAndClosedOnce() throws Exception {
        Task task = service().task();
        Path file = Files.createTempFile("rsyscall4j-osgi", ".txt");
        try {
            FileDescriptor fd = task.open(file.toString(), OpenFlags.O_RDWR);
            assertEquals(file.toRealPath().toString(), Kernel.fdTarget(fd.number()));
            fd.writeAll("through OSGi".getBytes(StandardCharsets.UTF_8));
            fd.lseek(0, 0);
            assertArrayEquals("through OSGi".getBytes(StandardCharsets.UTF_8), fd.read(100));
            int number = fd.number();
            fd.close();
            assertFalse(fd.isValid());
            assertNull("closed, as the kernel sees it", Kernel.fdTarget(number));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    void aPipeIsClosedWhenItsLastHandleIsInvalidated() throws Exception {
        Task task = service().task();
        Pipe pipe = task.pipe();
        FileDescriptor second = pipe.write().forTask(task);
        int number = pipe.write().number();
        String target = Kernel.fdTarget(number);
        assertNotNull(target);
        assertTrue(target.startsWith("pipe:"));

        second.writeAll(new byte[] {42});
        assertArrayEquals(new byte[] {42}, pipe.read().read(1));

        assertFalse("another handle remains", pipe.write().invalidate());
        assertEquals("still open", target, Kernel.fdTarget(number));
        assertTrue("the last handle closes it", second.invalidate());
        assertNull(Kernel.fdTarget(number));
        assertTrue(pipe.read().invalidate());
    }

    void eachGetOfTheServiceGivesTheSameTask() throws Exception {
        Task a = service().task();
        Task b = service().task();
        assertTrue(a == b);
        assertNotEquals(0, a.pid());
    }

    void aChildTaskRunsSyscallsInItsOwnProcess() throws Exception {
        Task task = service().task();
        ChildTask child = task.clone();
        try {
            assertNotEquals(task.pid(), child.pid());
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
            assertEquals("child(" + provider() + ")", child.sysif().provider());
        } finally {
            child.exit(0);
        }
    }

    void aProgramExecdByAChildHasExactlyTheFdsItWasGiven() throws Exception {
        Task task = service().task();
        Pipe pipe = task.pipe();
        String pipeTarget = Kernel.fdTarget(pipe.write().number());
        ChildTask child = task.clone();
        FileDescriptor write = child.inheritFd(pipe.write());
        // Held until the exec: a dropped handle's fd may be closed by the GC at any time.
        FileDescriptor three = write.dup2(child.makeFdHandle(3));
        write.invalidate();
        ChildProcess program = child.exec("sleep", java.util.List.of("sleep", "600"));
        java.lang.ref.Reference.reachabilityFence(three);
        try {
            // Read from outside (a shell listing itself would see its own redirections); the kernel
            // may still be closing the close-on-exec fds when exec is seen, so wait for the result.
            java.util.Map<Integer, String> expected = new java.util.TreeMap<>(java.util.Map.of(
                    0, Kernel.fdTarget(0), 1, Kernel.fdTarget(1), 2, Kernel.fdTarget(2), 3, pipeTarget));
            Await.until("the program's fds, as the kernel lists them", () -> Kernel.fds((int) program.pid()), expected);
        } finally {
            program.kill(9);
        }
        assertEquals(128 + 9, program.waitFor());
        pipe.read().close();
        pipe.write().close();
    }
}
