package io.rsyscall4j.itests.osgi;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.rsyscall4j.LocalTaskService;
import io.rsyscall4j.Pipe;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The local task's provider changes under it — a bundle stops, a configuration selects another,
 * every provider goes — and its handles neither notice nor lose an fd: the kernel's
 * {@code /proc/self/fd} is the same before and after, and calls go on through the next provider.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class LocalTaskProviderSwapIT {
    private static final String PID = "io.rsyscall4j.local";

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return options(OsgiRuntime.withBundles("api", "provider-ffm", "provider-jna", "fdcore"));
    }

    @Test
    public void stoppingProviderFfmMovesTheTaskToJnaWithEveryHandleAndFdIntact() throws Exception {
        LocalTaskService service = localTask();
        Await.until("best provider first", service::provider, "ffm");
        Task task = service.task();
        try (OpenHandles open = OpenHandles.make(task)) {
            Map<Integer, String> before = open.kernelView();

            Bundle ffm = Services.bundle(context, OsgiRuntime.PROVIDER_FFM);
            ffm.stop();
            assertEquals("jna", service.provider());
            assertTrue(service.task() == task);
            open.assertIntactAndWorking(before);

            ffm.start();
            Await.until("ffm is bound again (greedy)", service::provider, "ffm");
            open.assertIntactAndWorking(before);
        }
    }

    @Test
    public void aChildTaskMadeBeforeTheSwapGoesOnAfterIt() throws Exception {
        LocalTaskService service = localTask();
        Await.until("best provider first", service::provider, "ffm");
        io.rsyscall4j.ChildTask child = service.task().clone();
        try {
            Services.bundle(context, OsgiRuntime.PROVIDER_FFM).stop();
            assertEquals("jna", service.provider());
            assertEquals("the child still answers, through the JVM's new provider", child.pid(),
                    child.sysif().syscall(io.rsyscall4j.api.Sys.GETPID));
        } finally {
            child.exit(0);
        }
    }

    @Test
    public void aConfigurationSelectsTheProviderAtRunTime() throws Exception {
        LocalTaskService service = localTask();
        Await.until("best provider first", service::provider, "ffm");
        Task task = service.task();
        try (OpenHandles open = OpenHandles.make(task)) {
            Map<Integer, String> before = open.kernelView();
            ConfigurationAdmin cm = Services.await(context, ConfigurationAdmin.class, "");
            org.osgi.service.cm.Configuration config = cm.getConfiguration(PID, null);
            Dictionary<String, Object> properties = new Hashtable<>();
            properties.put("provider.target", "(provider=jna)");
            config.update(properties);

            Await.until("configured provider", service::provider, "jna");
            assertTrue("the same task, not a new component", service.task() == task);
            assertEquals("jna", task.sysif().provider());
            open.assertIntactAndWorking(before);

            config.delete();
            Await.until("best provider once the configuration is gone", service::provider, "ffm");
            open.assertIntactAndWorking(before);
        }
    }

    @Test
    public void withNoProviderCallsFailWithSyscallSendErrorAndWorkAgainWhenOneReturns() throws Exception {
        LocalTaskService service = localTask();
        Await.until("best provider first", service::provider, "ffm");
        Task task = service.task();
        try (OpenHandles open = OpenHandles.make(task)) {
            Map<Integer, String> before = open.kernelView();
            Bundle ffm = Services.bundle(context, OsgiRuntime.PROVIDER_FFM);
            Bundle jna = Services.bundle(context, OsgiRuntime.PROVIDER_JNA);
            ffm.stop();
            jna.stop();
            assertEquals("none", service.provider());

            try {
                open.pipe.write().writeAll(new byte[] {1});
                fail("a write with no provider must not be sent");
            } catch (SyscallSendError e) {
                assertTrue(e.getMessage(), e.getMessage().contains("no SyscallInterface provider"));
            }
            assertTrue(open.pipe.write().isValid());
            assertEquals("no fd closed or lost", before, open.kernelView());

            jna.start();
            Await.until("a provider returned", service::provider, "jna");
            open.assertIntactAndWorking(before);
        }
    }

    @Test
    public void aTargetMatchingNoProviderLeavesTheTaskWithoutOneUntilItIsLifted() throws Exception {
        LocalTaskService service = localTask();
        Await.until("best provider first", service::provider, "ffm");
        Task task = service.task();
        try (OpenHandles open = OpenHandles.make(task)) {
            Map<Integer, String> before = open.kernelView();
            org.osgi.service.cm.Configuration config = Services.await(context, ConfigurationAdmin.class, "")
                    .getConfiguration(PID, null);
            Dictionary<String, Object> properties = new Hashtable<>();
            properties.put("provider.target", "(provider=nosuch)");
            config.update(properties);
            Await.until("no provider matches", service::provider, "none");
            try {
                open.pipe.read().read(1);
                fail("no provider: the read must not be sent");
            } catch (SyscallSendError e) {
                assertTrue(e.getMessage(), e.getMessage().contains("no SyscallInterface provider"));
            }
            assertEquals(before, open.kernelView());
            config.delete();
            Await.until("best provider again", service::provider, "ffm");
            open.assertIntactAndWorking(before);
        }
    }

    @Test
    public void theTaskServiceWaitsForItsFirstProvider() throws Exception {
        Bundle ffm = Services.bundle(context, OsgiRuntime.PROVIDER_FFM);
        Bundle jna = Services.bundle(context, OsgiRuntime.PROVIDER_JNA);
        Bundle fdcore = Services.bundle(context, OsgiRuntime.FDCORE);
        ffm.stop();
        jna.stop();
        fdcore.stop();
        fdcore.start();
        LocalTaskService service = localTask();
        assertEquals("none", service.provider());
        try {
            service.task();
            fail("no provider yet: no task");
        } catch (SyscallSendError e) {
            assertTrue(e.getMessage(), e.getMessage().contains("no SyscallInterface provider"));
        }
        jna.start();
        Await.until("first provider", service::provider, "jna");
        assertEquals(ProcessHandle.current().pid(), service.task().pid());
    }

    private LocalTaskService localTask() throws InterruptedException {
        return Services.await(context, LocalTaskService.class, "(component.name=" + PID + ")");
    }

    /** A pipe and a file opened through the task, checked against the kernel and closed at the end. */
    private static final class OpenHandles implements AutoCloseable {
        final Pipe pipe;
        final FileDescriptor file;
        final Path path;

        private OpenHandles(Pipe pipe, FileDescriptor file, Path path) {
            this.pipe = pipe;
            this.file = file;
            this.path = path;
        }

        static OpenHandles make(Task task) throws Exception {
            Path path = Files.createTempFile("rsyscall4j-swap", ".txt");
            Files.writeString(path, "0123456789");
            return new OpenHandles(task.pipe(), task.open(path.toString(), OpenFlags.O_RDONLY), path);
        }

        /** fd number to what it points at, for each handle, as {@code /proc/self/fd} says. */
        Map<Integer, String> kernelView() {
            Map<Integer, String> view = new LinkedHashMap<>();
            for (FileDescriptor fd : List.of(pipe.read(), pipe.write(), file)) {
                view.put(fd.number(), Kernel.fdTarget(fd.number()));
            }
            return view;
        }

        void assertIntactAndWorking(Map<Integer, String> before) throws Exception {
            for (FileDescriptor fd : List.of(pipe.read(), pipe.write(), file)) {
                assertTrue(fd + " still valid", fd.isValid());
            }
            assertEquals("no fd closed or lost", before, kernelView());
            byte[] data = "swap".getBytes(StandardCharsets.UTF_8);
            pipe.write().writeAll(data);
            assertArrayEquals(data, pipe.read().read(data.length));
            file.lseek(0, 0);
            assertArrayEquals("0123".getBytes(StandardCharsets.UTF_8), file.read(4));
        }

        @Override
        public void close() throws IOException {
            pipe.read().close();
            pipe.write().close();
            file.close();
            Files.deleteIfExists(path);
        }
    }
}
