package io.rsyscall4j.itests.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Once fdcore is stopped and uninstalled, and the children it made are gone, nothing of
 * rsyscall4j keeps its class loader: it is collectable at once, not when some idle thread times
 * out. The framework is Felix, started here (not by Pax Exam, whose probe bundle would wire to
 * fdcore and keep it); fdcore is driven by reflection, so this test holds none of its classes.
 */
class FdcoreUnloadIT {
    private static final String[] BUNDLES = {
        "org.osgi.util.function", "org.osgi.util.promise", "org.osgi.service.component", "org.apache.felix.scr",
        "jna", "rsyscall4j-api", "rsyscall4j-provider-ffm", "rsyscall4j-provider-jna", "rsyscall4j-fdcore",
    };
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(20);

    @Test
    void fdcoresClassLoaderIsCollectableAtOnceAfterItsChildrenAreGoneAndItIsUninstalled() throws Exception {
        Path storage = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "fdcore-unload");
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        Framework felix = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        felix.start();
        try {
            WeakReference<ClassLoader> loader = useFdcoreThenUninstallIt(felix.getBundleContext());
            until("fdcore's class loader is collected", () -> {
                System.gc();
                return loader.refersTo(null);
            });
        } finally {
            felix.stop();
            felix.waitForStop(TimeUnit.SECONDS.toMillis(20));
            deleteTree(storage);
        }
    }

    /**
     * Runs programs and child tasks through fdcore — a program waited for, a program and a child
     * task dropped, a grandchild reaped through its parent — waits until every one of them is
     * gone, then stops, uninstalls and refreshes fdcore. Returns a weak reference to its loader.
     */
    private static WeakReference<ClassLoader> useFdcoreThenUninstallIt(BundleContext context) throws Exception {
        List<Bundle> installed = new ArrayList<>();
        String dir = System.getProperty("rsyscall4j.itests.bundles");
        for (String name : BUNDLES) {
            installed.add(context.installBundle(new File(dir, name + ".jar").toURI().toString()));
        }
        for (Bundle b : installed) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                b.start();
            }
        }
        Bundle fdcore = installed.get(installed.size() - 1);
        ClassLoader fdcoreLoader = fdcore.adapt(BundleWiring.class).getClassLoader();
        List<Long> pids = new ArrayList<>();

        ServiceReference<?> ref = awaitService(context, "io.rsyscall4j.LocalTaskService");
        Object service = context.getService(ref);
        Object task = call(service, "task");
        Object noFlags = Array.newInstance(fdcore.loadClass("io.rsyscall4j.CloneFlag"), 0);

        Object waited = call(call(task, "clone", noFlags), "exec", "true", List.of("true"));
        pids.add(pid(waited));
        assertEquals(0, call(waited, "waitFor"));
        Object dropped = call(call(task, "clone", noFlags), "exec", "sh", List.of("sh", "-c", "exit 3"));
        pids.add(pid(dropped));
        Object droppedTask = call(task, "clone", noFlags);
        pids.add(pid(droppedTask));
        Object parent = call(task, "clone", noFlags);
        Object grandchild = call(call(parent, "clone", noFlags), "exec", "true", List.of("true"));
        pids.add(pid(grandchild));
        assertEquals(0, call(grandchild, "waitFor"));
        call(parent, "exit", 0);
        waited = null;
        dropped = null;
        droppedTask = null;
        grandchild = null;
        parent = null;
        task = null;
        noFlags = null;
        context.ungetService(ref);
        service = null;
        ref = null;
        until("every process fdcore made is reaped: " + pids, () -> {
            System.gc();
            return pids.stream().noneMatch(pid -> Files.exists(Path.of("/proc/" + pid)));
        });

        fdcore.stop();
        fdcore.uninstall();
        CountDownLatch refreshed = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(fdcore), event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                refreshed.countDown();
            }
        });
        assertTrue(refreshed.await(20, TimeUnit.SECONDS), "the framework refreshed fdcore away");
        return new WeakReference<>(fdcoreLoader);
    }

    private static ServiceReference<?> awaitService(BundleContext context, String type) throws Exception {
        long start = System.nanoTime();
        while (true) {
            // All: fdcore is on this JVM's class path too, so the system bundle's view of the
            // interface is not the bundle's, and the assignability check would hide the service.
            ServiceReference<?>[] refs = context.getAllServiceReferences(type, null);
            if (refs != null) {
                return refs[0];
            }
            if (System.nanoTime() - start > DEADLINE_NANOS) {
                StringBuilder states = new StringBuilder();
                for (Bundle b : context.getBundles()) {
                    states.append(' ').append(b.getSymbolicName()).append('=').append(b.getState());
                }
                throw new AssertionError("no " + type + " service within 20 s; bundles:" + states);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static long pid(Object process) throws Exception {
        return ((Number) call(process, "pid")).longValue();
    }

    /** Calls the public method {@code name} of {@code target} whose parameters fit {@code args}. */
    private static Object call(Object target, String name, Object... args) throws Exception {
        for (java.lang.reflect.Method m : target.getClass().getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == args.length && fits(m.getParameterTypes(), args)) {
                try {
                    return m.invoke(target, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause() instanceof Exception ex ? ex : e;
                }
            }
        }
        throw new AssertionError("no method " + name + " fitting " + args.length + " arguments in " + target.getClass());
    }

    private static boolean fits(Class<?>[] types, Object[] args) {
        for (int i = 0; i < types.length; i++) {
            Class<?> t = types[i] == int.class ? Integer.class : types[i];
            if (!t.isInstance(args[i])) {
                return false;
            }
        }
        return true;
    }

    private static void until(String what, BooleanSupplier condition) {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > DEADLINE_NANOS) {
                throw new AssertionError("not within 20 s: " + what + "; threads: "
                        + Thread.getAllStackTraces().keySet());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
