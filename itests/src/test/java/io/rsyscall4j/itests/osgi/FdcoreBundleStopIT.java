package io.rsyscall4j.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.rsyscall4j.LocalTaskService;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
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
import org.osgi.framework.wiring.BundleWiring;

/**
 * Stopping the fdcore bundle (what a refresh or an uninstall starts with) leaves no thread of
 * rsyscall4j running: the fd reaper's thread would otherwise pin fdcore's class loader for the rest
 * of the JVM's life. Started again, fdcore works as before, and the reaper comes back to close
 * the fds of dropped handles in the background.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class FdcoreBundleStopIT {
    private static final String PID = "io.rsyscall4j.local";
    /** The fd reaper's thread name: the bundle does not export the machinery that knows it. */
    private static final String REAPER_THREAD_NAME = "rsyscall4j-fd-reaper";

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return options(OsgiRuntime.withBundles("api", "provider-ffm", "provider-jna", "fdcore"));
    }

    @Test
    public void stoppingFdcoreEndsItsReaperThreadAndStartingItAgainBringsTheReaperBack() throws Exception {
        // Threads of earlier tests' frameworks (in this JVM) are not this bundle's business.
        Set<Thread> earlier = rsyscall4jThreads();
        Bundle fdcore = Services.bundle(context, OsgiRuntime.FDCORE);
        ClassLoader fdcoreLoader = fdcore.adapt(BundleWiring.class).getClassLoader();
        Path file = Files.createTempFile("rsyscall4j-bundle-stop", ".txt");
        try {
            LocalTaskService service = Services.await(context, LocalTaskService.class, "(component.name=" + PID + ")");
            FileDescriptor fd = service.task().open(file.toString(), OpenFlags.O_RDONLY);
            assertEquals(file.toRealPath().toString(), Kernel.fdTarget(fd.number()));
            assertTrue("the reaper runs once a handle exists", reaperRunsIn(fdcoreLoader));
            assertTrue("it runs in fdcore's class loader", reaperThreads().stream()
                    .anyMatch(t -> t.getContextClassLoader() == fdcoreLoader));

            fdcore.stop();
            assertFalse("the deactivated component stopped the reaper", reaperRunsIn(fdcoreLoader));
            Set<Thread> left = threadsLeftSince(earlier);
            assertTrue("no rsyscall4j thread is left once fdcore stopped: " + left, left.isEmpty());
            assertEquals("a handle still in use keeps its fd", file.toRealPath().toString(),
                    Kernel.fdTarget(fd.number()));

            fdcore.start();
            LocalTaskService again = Services.await(context, LocalTaskService.class, "(component.name=" + PID + ")");
            int number = openAndDrop(again, file);
            assertTrue("the next handle started the reaper again",
                    reaperRunsIn(fdcore.adapt(BundleWiring.class).getClassLoader()));
            until("the restarted reaper closes fd " + number + " of a dropped handle, without runFdTableGc", () -> {
                System.gc();
                return !realPath(file).equals(Kernel.fdTarget(number));
            });
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    public void stoppingFdcoreOnceItsChildrenAreReapedEndsTheSpawnerThreadToo() throws Exception {
        Set<Thread> earlier = rsyscall4jThreads();
        Bundle fdcore = Services.bundle(context, OsgiRuntime.FDCORE);
        LocalTaskService service = Services.await(context, LocalTaskService.class, "(component.name=" + PID + ")");
        io.rsyscall4j.ChildTask child = service.task().clone();
        assertEquals(child.pid(), child.sysif().syscall(io.rsyscall4j.api.Sys.GETPID));
        service.task().clone().exec("true", java.util.List.of("true")).check();
        assertTrue("a clone ran the spawner thread", rsyscall4jThreads().stream()
                .anyMatch(t -> t.getName().equals("rsyscall4j-spawner")));
        child.exit(0);

        fdcore.stop();
        Set<Thread> left = threadsLeftSince(earlier);
        assertTrue("neither the reaper nor the spawner thread is left once fdcore stopped: " + left, left.isEmpty());
        for (Thread t : rsyscall4jThreads()) {
            assertFalse(t + " keeps fdcore's class loader as its context loader",
                    t.getContextClassLoader() == fdcore.adapt(BundleWiring.class).getClassLoader());
        }
    }

    /** Opens {@code file} and drops the handle (in a frame of its own); returns the fd number. */
    private static int openAndDrop(LocalTaskService service, Path file) throws Exception {
        FileDescriptor fd = service.task().open(file.toString(), OpenFlags.O_RDONLY);
        assertEquals(realPath(file), Kernel.fdTarget(fd.number()));
        return fd.number();
    }

    private static String realPath(Path file) {
        try {
            return file.toRealPath().toString();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Set<Thread> reaperThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals(REAPER_THREAD_NAME))
                .collect(Collectors.toSet());
    }

    /** Whether a reaper thread of the fdcore loaded by {@code loader} runs (not one of an earlier framework). */
    private static boolean reaperRunsIn(ClassLoader loader) {
        return reaperThreads().stream().anyMatch(t -> t.getContextClassLoader() == loader);
    }

    /**
     * The rsyscall4j threads running now that were not before, but the child janitor's: its
     * cleaner thread holds no class loader and ends once fdcore's classes are unloaded, and its
     * workers end a minute after their last job (a GC of an earlier test's children, in this JVM,
     * may start one at any time). Nothing else may be left.
     */
    private static Set<Thread> threadsLeftSince(Set<Thread> earlier) {
        Set<Thread> left = rsyscall4jThreads();
        left.removeAll(earlier);
        left.removeIf(t -> t.getName().startsWith("rsyscall4j-child-"));
        return left;
    }

    private static Set<Thread> rsyscall4jThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("rsyscall4j-"))
                .collect(Collectors.toSet());
    }

    private static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 20 s: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }
}
