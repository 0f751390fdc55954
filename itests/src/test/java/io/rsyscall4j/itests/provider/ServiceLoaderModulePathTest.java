package io.rsyscall4j.itests.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the module path, the providers are found through their {@code provides} clauses. Each case
 * starts a fresh JVM whose module path holds exactly the built api and provider jars plus JNA.
 */
final class ServiceLoaderModulePathTest {
    /** The native-access grant the README gives; a missing or wrong one prints a warning. */
    static final String NATIVE_ACCESS = "--enable-native-access=io.rsyscall4j.provider.ffm,com.sun.jna";
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    /** No {@code --add-modules}: the probe module's {@code uses} clause alone binds the providers. */
    @Test
    void moduleResolutionBindsBothProvidersToAModuleThatUsesTheService(@TempDir Path tmp) throws Exception {
        Path classes = tmp.resolve("probe");
        Probe.compileModule(classes, BuiltJars.DIR.toString(), 25);
        Probe.Output out = Probe.run(tmp, List.of(JAVA, "--module-path", classes + File.pathSeparator + BuiltJars.DIR,
                NATIVE_ACCESS, "-m", Probe.MODULE_MAIN));
        assertEquals(out.expect("ffm", "io.rsyscall4j.provider.ffm", "jna", "io.rsyscall4j.provider.jna"), out.lines());
        assertEquals("", out.stderr(), "no warnings: native access granted to the right modules");
    }

    /** The README's smoke command, with absolute paths: the probe run by the source launcher. */
    @Test
    void theReadmeSmokeCommandPrintsBothProvidersAndThePid(@TempDir Path tmp) throws Exception {
        Probe.Output out = Probe.run(tmp, List.of(JAVA, "-p", BuiltJars.DIR.toString(), NATIVE_ACCESS,
                Probe.SOURCE.toString()));
        assertEquals(out.expect("ffm", "io.rsyscall4j.provider.ffm", "jna", "io.rsyscall4j.provider.jna"), out.lines());
        assertEquals("", out.stderr(), "no warnings: native access granted to the right modules");
    }
}
