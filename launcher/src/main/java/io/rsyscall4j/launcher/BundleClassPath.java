package io.rsyscall4j.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;

/**
 * The launcher's way without a framework: the bundle jars of {@code classpath.list} on one class
 * path. Those the launcher jar's manifest put on the JVM's class path ({@link BesideJar}) are
 * there already; the others (all, with no {@code bundles/} beside the launcher jar; else JNA and
 * its provider) are read from the launcher jar into memory and put on a {@link BundleClassLoader}
 * whose parent is the JVM's class path loader (or only the JDK's, when it has no bundle). The
 * command line is the cli bundle's {@code ServiceLoader} provider of {@code ToIntFunction}, and
 * fdcore finds the syscall providers with {@code ServiceLoader} through the context loader, as on
 * any class path.
 *
 * <p>It writes nothing, unless a native library must be a file (JNA's, when the JNA provider is
 * used): then it makes the launcher's private directory ({@link PrivateCache}) and writes the
 * library there, and deletes the directory when closed or at exit. JNA itself is told never to
 * unpack anything ({@code jna.nounpack}), so no other directory is used: that is why JNA is
 * never on the JVM's class path.
 */
final class BundleClassPath implements AutoCloseable {
    private static final String JAR_LIST = "classpath.list";
    private static final String NATIVE_DIR = "native";

    private final BundleClassLoader loader;
    private final Object cacheLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread cleanupAtExit = new Thread(this::deleteCache, "rsyscall4j-cache-cleanup");
    /** Guarded by {@link #cacheLock}. */
    private Path cache;
    /** Guarded by {@link #cacheLock}. */
    private ClassLoader libraries;

    private BundleClassPath(List<NestedJar> jars, ClassLoader parent, List<String> later) {
        this.loader = new BundleClassLoader(jars, parent, this::writeNative,
                later.isEmpty() ? null : () -> libraries(later, parent));
    }

    /**
     * Reads the jars of {@code classpath.list} but those in {@code onClassPath} (file names, as
     * {@link BesideJar#check()} returns them) out of the launcher jar and makes their class loader.
     * With some on the class path, only the first of the others (JNA's provider) is read now; the
     * rest (JNA), which only it uses, are read by the loader of their own it reaches for classes
     * ({@link #libraries}), on its first class lookup: an exec through FFM never reads JNA's 2 MB.
     */
    static BundleClassPath open(List<String> onClassPath) {
        // Before any JNA class runs: a library JNA needs is a file BundleClassLoader wrote, never one JNA unpacked.
        System.setProperty("jna.nounpack", "true");
        List<String> names = new ArrayList<>();
        try {
            for (String name : LauncherJar.listed(JAR_LIST)) {
                if (!onClassPath.contains(name)) {
                    names.add(name);
                }
            }
        } catch (IOException e) {
            throw new LaunchFailure("cannot read the bundle list inside the launcher jar", e);
        }
        if (onClassPath.isEmpty()) {
            return new BundleClassPath(read(names), ClassLoader.getPlatformClassLoader(), List.of());
        }
        int now = Math.min(1, names.size());
        return new BundleClassPath(read(names.subList(0, now)), BundleClassPath.class.getClassLoader(),
                names.subList(now, names.size()));
    }

    private static List<NestedJar> read(List<String> names) {
        List<NestedJar> jars = new ArrayList<>();
        try {
            for (String name : names) {
                try (InputStream in = LauncherJar.open("/bundles/" + name)) {
                    jars.add(NestedJar.read(name, in.readAllBytes()));
                }
            }
        } catch (IOException e) {
            throw new LaunchFailure("cannot read the bundles inside the launcher jar", e);
        }
        return jars;
    }

    /** The loader of the jars {@code names}, read when first asked for. */
    private ClassLoader libraries(List<String> names, ClassLoader parent) {
        synchronized (cacheLock) {
            if (libraries == null) {
                libraries = new BundleClassLoader(read(names), parent, this::writeNative, null);
            }
            return libraries;
        }
    }

    /** The command line: arguments in, exit status out; commands run with the bundles' loader as context loader. */
    @SuppressWarnings("unchecked")
    ToIntFunction<String[]> commandLine() {
        Thread.currentThread().setContextClassLoader(loader);
        var found = ServiceLoader.load(ToIntFunction.class, loader).iterator();
        try {
            if (!found.hasNext()) {
                throw new LaunchFailure("the command line bundle io.rsyscall4j.cli provides no command line", null);
            }
            return (ToIntFunction<String[]>) found.next();
        } catch (ServiceConfigurationError e) {
            throw new LaunchFailure("cannot load the command line bundle io.rsyscall4j.cli", e);
        }
    }

    private Path writeNative(String entry, byte[] bytes) throws IOException {
        synchronized (cacheLock) {
            if (closed.get()) {
                throw new IOException("the launcher is closing");
            }
            if (cache == null) {
                cache = PrivateCache.create(PrivateCache.tmpdir());
                Runtime.getRuntime().addShutdownHook(cleanupAtExit);
                try {
                    PrivateCache.removeStale(PrivateCache.tmpdir(), cache);
                } catch (IOException e) {
                    System.err.println("rsyscall4j: could not look for stale caches in " + PrivateCache.tmpdir()
                            + ": " + e.getMessage());
                }
                Files.createDirectory(cache.resolve(NATIVE_DIR));
            }
            // One flat name per entry: no directories to make, and none shared between libraries.
            Path file = cache.resolve(NATIVE_DIR).resolve(entry.replace('/', '-'));
            Files.write(file, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return file;
        }
    }

    @Override
    public void close() {
        deleteCache();
        synchronized (cacheLock) {
            if (cache != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
                } catch (IllegalStateException alreadyExiting) {
                    // the hook is running or has run: it did the same work
                }
            }
        }
    }

    private void deleteCache() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (cacheLock) {
            if (cache != null) {
                try {
                    PrivateCache.delete(cache);
                } catch (IOException e) {
                    System.err.println("rsyscall4j: could not delete the private cache " + cache + ": " + e.getMessage());
                }
            }
        }
    }
}
