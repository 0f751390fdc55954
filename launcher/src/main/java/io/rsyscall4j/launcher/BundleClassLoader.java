package io.rsyscall4j.launcher;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One class loader over bundle jars held in memory, as if they were on a class path: a class or
 * resource comes from the first jar that has it, after its parent's (the JDK's own loader, so
 * that nothing of the launcher's class path — Felix — is seen, or the class path's loader when
 * some bundles are on the class path). Resources are
 * {@code rsyscall4j-bundle:} URLs read from memory, which is all {@code ServiceLoader} needs.
 *
 * <p>The one exception is a native library ({@code .so}): the dynamic linker loads only files, so
 * it is written, when first asked for, to a file that {@code nativeFile} makes — in the launcher's
 * private directory — and its URL is that file's.
 */
final class BundleClassLoader extends ClassLoader {
    static final String PROTOCOL = "rsyscall4j-bundle";

    static {
        registerAsParallelCapable();
    }

    /** Makes a native library a file: given its entry name and bytes, returns the file it wrote. */
    interface NativeFiles {
        Path write(String entry, byte[] bytes) throws IOException;
    }

    private final Map<String, NestedJar> jars = new LinkedHashMap<>();
    private final Map<String, ProtectionDomain> domains = new LinkedHashMap<>();
    private final Map<String, URL> nativeUrls = new LinkedHashMap<>();
    private final NativeFiles nativeFiles;
    /** Where the classes none of the jars has are looked for last (null: nowhere); never its resources. */
    private final Supplier<ClassLoader> libraries;
    private final URLStreamHandler handler = new Handler();

    BundleClassLoader(List<NestedJar> jars, ClassLoader parent, NativeFiles nativeFiles,
            Supplier<ClassLoader> libraries) {
        super("rsyscall4j-bundles", parent);
        this.nativeFiles = nativeFiles;
        this.libraries = libraries;
        for (NestedJar jar : jars) {
            this.jars.put(jar.name(), jar);
            CodeSource source = new CodeSource(url(jar.name(), ""), (Certificate[]) null);
            domains.put(jar.name(), new ProtectionDomain(source, null, this, null));
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        String entry = name.replace('.', '/') + ".class";
        for (NestedJar jar : jars.values()) {
            if (!jar.has(entry)) {
                continue;
            }
            byte[] bytes;
            try {
                bytes = jar.read(entry);
            } catch (IOException e) {
                throw new ClassNotFoundException(name + " in " + jar.name() + ": " + e.getMessage(), e);
            }
            int dot = name.lastIndexOf('.');
            if (dot > 0) {
                definePackageOnce(name.substring(0, dot));
            }
            return defineClass(name, bytes, 0, bytes.length, domains.get(jar.name()));
        }
        if (libraries != null) {
            try {
                return libraries.get().loadClass(name);
            } catch (LaunchFailure e) {
                throw new ClassNotFoundException(name + ": " + e.getMessage(), e);
            }
        }
        throw new ClassNotFoundException(name);
    }

    private void definePackageOnce(String pkg) {
        if (getDefinedPackage(pkg) == null) {
            try {
                definePackage(pkg, null, null, null, null, null, null, null);
            } catch (IllegalArgumentException definedMeanwhile) {
                // another thread defined it first: the same package
            }
        }
    }

    @Override
    protected URL findResource(String name) {
        for (NestedJar jar : jars.values()) {
            if (jar.has(name)) {
                return resource(jar, name);
            }
        }
        return null;
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        List<URL> found = new ArrayList<>();
        for (NestedJar jar : jars.values()) {
            if (jar.has(name)) {
                found.add(resource(jar, name));
            }
        }
        return Collections.enumeration(found);
    }

    private URL resource(NestedJar jar, String name) {
        if (!name.endsWith(".so")) {
            return url(jar.name(), name);
        }
        synchronized (nativeUrls) {
            String key = jar.name() + "!/" + name;
            URL file = nativeUrls.get(key);
            if (file == null) {
                try {
                    file = nativeFiles.write(name, jar.read(name)).toUri().toURL();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the native library " + key
                            + " to the launcher's private directory: " + e.getMessage(), e);
                }
                nativeUrls.put(key, file);
            }
            return file;
        }
    }

    /** {@code rsyscall4j-bundle:JAR!/ENTRY}, read from memory by {@link Handler}. */
    @SuppressWarnings("deprecation") // URL(String, String, int, String, URLStreamHandler): URL.of is JDK 20+
    private URL url(String jar, String entry) {
        try {
            return new URL(PROTOCOL, "", -1, jar + "!/" + entry, handler);
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(jar + "!/" + entry, e);
        }
    }

    /** Opens {@code rsyscall4j-bundle:} URLs: the entry's bytes, from the jar in memory. */
    private final class Handler extends URLStreamHandler {
        @Override
        protected URLConnection openConnection(URL u) throws IOException {
            String path = u.getPath();
            int bang = path.indexOf("!/");
            NestedJar jar = bang < 0 ? null : jars.get(path.substring(0, bang));
            byte[] bytes = jar == null ? null : jar.read(path.substring(bang + 2));
            if (bytes == null) {
                throw new FileNotFoundException(u.toString());
            }
            return new URLConnection(u) {
                @Override
                public void connect() {
                    connected = true;
                }

                @Override
                public InputStream getInputStream() {
                    return new ByteArrayInputStream(bytes);
                }

                @Override
                public int getContentLength() {
                    return bytes.length;
                }
            };
        }
    }
}
