package io.rsyscall4j.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;
import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A Felix framework that lives as long as one command: its cache is in a fresh private directory
 * ({@link PrivateCache}), deleted when the framework stops (or the JVM exits), so a run leaves
 * nothing behind, two runs never share state, and no other user can touch what the framework
 * loads. The directories of launchers that were killed are removed at the next start.
 *
 * <p>Bundles come from the jar itself ({@code bundles/}, in the order of {@code bundles.list}).
 * A bundle that cannot resolve on this JVM — {@code provider-ffm} on Java 17, which requires
 * JavaSE 22 — is left installed and unresolved; the others start, and JNA serves.
 */
final class EmbeddedFelix implements AutoCloseable {
    private static final String BUNDLE_LIST = "bundles.list";
    private static final String CLI_FILTER = "(&(objectClass=java.util.function.ToIntFunction)(rsyscall4j.cli=main))";
    private static final long SERVICE_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(30);
    private static final long STOP_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(10);

    private final Framework framework;
    private final Path cache;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread cleanupAtExit;

    private EmbeddedFelix(Framework framework, Path cache) {
        this.framework = framework;
        this.cache = cache;
        this.cleanupAtExit = new Thread(this::stopQuietly, "rsyscall4j-felix-cleanup");
    }

    static EmbeddedFelix start() {
        Path tmpdir = PrivateCache.tmpdir();
        Path cache;
        try {
            cache = PrivateCache.create(tmpdir);
        } catch (IOException e) {
            throw new LaunchFailure("cannot create the private cache directory in " + tmpdir + ": " + e.getMessage(), e);
        }
        try {
            PrivateCache.removeStale(tmpdir, cache);
        } catch (IOException e) {
            System.err.println("rsyscall4j: could not look for stale caches in " + tmpdir + ": " + e.getMessage());
        }
        // JNA unpacks its native library here, inside the private directory (and deleted with it).
        System.setProperty("jna.tmpdir", cache.resolve(PrivateCache.JNA_DIR).toString());
        Map<String, String> config = new HashMap<>();
        // A fresh directory Felix creates inside the private one: no clean (which deletes and recreates) needed.
        config.put(Constants.FRAMEWORK_STORAGE, cache.resolve(PrivateCache.FELIX_DIR).toString());
        config.put("felix.log.level", "1");
        EmbeddedFelix felix = new EmbeddedFelix(new FrameworkFactory().newFramework(config), cache);
        Runtime.getRuntime().addShutdownHook(felix.cleanupAtExit);
        try {
            felix.boot();
        } catch (RuntimeException e) {
            felix.close();
            throw e;
        }
        return felix;
    }

    private void boot() {
        try {
            framework.init();
            BundleContext context = framework.getBundleContext();
            List<Bundle> installed = new ArrayList<>();
            for (String name : LauncherJar.listed(BUNDLE_LIST)) {
                try (InputStream in = LauncherJar.open("/bundles/" + name)) {
                    installed.add(context.installBundle("rsyscall4j:bundles/" + name, in));
                }
            }
            framework.start();
            framework.adapt(FrameworkWiring.class).resolveBundles(installed);
            for (Bundle b : installed) {
                boolean fragment = (b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
                if (!fragment && b.getState() == Bundle.RESOLVED) {
                    b.start();
                }
            }
        } catch (BundleException e) {
            throw new LaunchFailure("cannot start the embedded OSGi framework", e);
        } catch (IOException e) {
            throw new LaunchFailure("cannot read the bundles inside the launcher jar", e);
        }
    }

    /** The command line bundle's service: arguments in, exit status out. */
    @SuppressWarnings("unchecked")
    ToIntFunction<String[]> commandLine() {
        Filter filter;
        try {
            filter = FrameworkUtil.createFilter(CLI_FILTER);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(framework.getBundleContext(), filter, null);
        tracker.open();
        try {
            Object service = tracker.waitForService(SERVICE_TIMEOUT_MILLIS);
            if (service == null) {
                throw new LaunchFailure("the command line bundle io.rsyscall4j.cli did not start within "
                        + SERVICE_TIMEOUT_MILLIS + " ms", null);
            }
            return (ToIntFunction<String[]>) service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LaunchFailure("interrupted while waiting for the command line bundle", e);
        } finally {
            tracker.close();
        }
    }

    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
        } catch (IllegalStateException alreadyExiting) {
            // the hook is running or has run: it did the same work
        }
    }

    private void stopQuietly() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            framework.stop();
            framework.waitForStop(STOP_TIMEOUT_MILLIS);
        } catch (BundleException e) {
            System.err.println("rsyscall4j: stopping the embedded framework failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            deleteTree(cache);
        }
    }


    private static void deleteTree(Path root) {
        try {
            PrivateCache.delete(root);
        } catch (IOException e) {
            System.err.println("rsyscall4j: could not delete the framework cache " + root + ": " + e.getMessage());
        }
    }
}
