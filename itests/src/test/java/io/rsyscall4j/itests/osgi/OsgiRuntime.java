package io.rsyscall4j.itests.osgi;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.ops4j.pax.exam.Option;

/**
 * The bundle set every OSGi test starts from: Felix SCR and ConfigAdmin with what they need, JNA,
 * and rsyscall4j's own bundles, installed from {@code target/bundles} with {@code file:} URLs (so
 * the tests use what this build made, never an installed snapshot).
 */
final class OsgiRuntime {
    /** Symbolic names of our bundles, as the tests look them up. */
    static final String API = "io.rsyscall4j.api";
    static final String PROVIDER_FFM = "io.rsyscall4j.provider.ffm";
    static final String PROVIDER_JNA = "io.rsyscall4j.provider.jna";
    static final String FDCORE = "io.rsyscall4j.fdcore";

    private static final String[] RUNTIME = {
        "org.osgi.util.function", "org.osgi.util.promise", "org.osgi.service.component",
        "org.apache.felix.scr", "org.apache.felix.configadmin", "jna",
    };

    private OsgiRuntime() {}

    /** The runtime plus the named project bundles (artifact ids without the {@code rsyscall4j-} prefix). */
    static Option withBundles(String... projectModules) {
        return withJna("jna", projectModules);
    }

    /**
     * {@link #withBundles} with the JNA bundle from {@code jnaJar} ({@code "jna"}, the build's own,
     * or {@code "jna-floor"}, the oldest one provider-jna admits).
     */
    static Option withJna(String jnaJar, String... projectModules) {
        List<Option> options = new ArrayList<>();
        options.add(junitBundles());
        for (String name : RUNTIME) {
            options.add(bundle(url(name.equals("jna") ? jnaJar : name)));
        }
        for (String module : projectModules) {
            options.add(bundle(url("rsyscall4j-" + module)));
        }
        return composite(options.toArray(new Option[0]));
    }

    /** The whole bundle set: api, both providers, fdcore. */
    static Option all() {
        return withBundles("api", "provider-ffm", "provider-jna", "fdcore");
    }

    private static String url(String artifactId) {
        String dir = System.getProperty("rsyscall4j.itests.bundles");
        if (dir == null) {
            throw new IllegalStateException("system property rsyscall4j.itests.bundles is not set (run through Maven)");
        }
        File jar = new File(dir, artifactId + ".jar");
        if (!jar.isFile()) {
            throw new IllegalStateException("bundle " + jar + " is missing (copied by the itests build)");
        }
        return jar.toURI().toString();
    }
}
