package io.rsyscall4j.cli;

import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * The runtime as a plain class path shows it, with no framework: the providers are those fdcore's
 * {@link Rsyscall} finds with {@code ServiceLoader} and that work here, the local task is
 * {@link Rsyscall#local()}'s (FFM if it works on this JVM, else JNA; the same choice the OSGi
 * rankings make), and the bundles are the jars whose manifests name one, on the class path.
 */
final class PlainRuntimeView implements RuntimeView {
    private static final Pattern PROVIDER_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final String ON_CLASS_PATH = "ON CLASS PATH";

    private final ClassLoader loader;

    /** A view of the jars {@code loader} sees (the loader of this bundle's classes, as a rule). */
    PlainRuntimeView(ClassLoader loader) {
        this.loader = loader;
    }

    @Override
    public String container() {
        return "class path (no OSGi framework), Java " + System.getProperty("java.specification.version");
    }

    /** The working providers in the order {@link Rsyscall#local()} prefers them; ranking 0, as there is none. */
    @Override
    public List<ProviderInfo> providers() {
        List<String> names = new ArrayList<>(Rsyscall.availableProviders());
        String best = names.isEmpty() ? null : Rsyscall.local().sysif().provider();
        if (best != null && names.remove(best)) {
            names.add(0, best);
        }
        List<ProviderInfo> result = new ArrayList<>();
        for (String name : names) {
            result.add(new ProviderInfo(name, 0, "the class path"));
        }
        return result;
    }

    @Override
    public Task localTask(String name) {
        if (name != null && !PROVIDER_NAME.matcher(name).matches()) {
            throw new CommandFailure("bad provider name \"" + name + "\"", CommandFailure.BAD_INPUT);
        }
        try {
            return name == null ? Rsyscall.local() : Rsyscall.local(name);
        } catch (IllegalArgumentException e) {
            String names = String.join(", ", Rsyscall.availableProviders());
            throw new CommandFailure("provider " + name + " is not available (registered: "
                    + (names.isEmpty() ? "none" : names) + ")", CommandFailure.BAD_INPUT, e);
        } catch (IllegalStateException e) {
            throw new CommandFailure("no SyscallInterface provider is available: " + e.getMessage(),
                    CommandFailure.BAD_INPUT, e);
        }
    }

    /** The jars on the class path whose manifests name a bundle, all {@code ON CLASS PATH}. */
    @Override
    public List<BundleInfo> bundles() {
        List<BundleInfo> result = new ArrayList<>();
        try {
            Enumeration<URL> manifests = loader.getResources("META-INF/MANIFEST.MF");
            while (manifests.hasMoreElements()) {
                Attributes main;
                try (InputStream in = manifests.nextElement().openStream()) {
                    main = new Manifest(in).getMainAttributes();
                }
                String name = main.getValue("Bundle-SymbolicName");
                if (name != null) {
                    String version = main.getValue("Bundle-Version");
                    result.add(new BundleInfo(name.split(";", 2)[0].strip(), version == null ? "0.0.0" : version,
                            ON_CLASS_PATH, ""));
                }
            }
        } catch (IOException e) {
            throw new CommandFailure("cannot read the manifests on the class path: " + e.getMessage(), 1, e);
        }
        return result;
    }
}
