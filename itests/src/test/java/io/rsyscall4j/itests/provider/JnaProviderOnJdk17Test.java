package io.rsyscall4j.itests.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * provider-jna (with api and JNA) runs on JDK 17, the oldest JDK rsyscall4j supports, on the
 * module path and on the class path. provider-ffm needs JDK 22 and is left off.
 *
 * <p>The JDK 17 used is {@code -Drsyscall4j.itests.jdk17=...}, by default the one this project's
 * machines carry.
 */
final class JnaProviderOnJdk17Test {
    private static final Path JDK17 = Path.of(
            System.getProperty("rsyscall4j.itests.jdk17", "/usr/lib/jvm/java-17-openjdk-amd64"));

    @Test
    void jnaProviderIsBoundOnTheModulePathOfJdk17(@TempDir Path tmp) throws Exception {
        String jars = String.join(File.pathSeparator, BuiltJars.jar("rsyscall4j-api").toString(),
                BuiltJars.jar("rsyscall4j-provider-jna").toString(), BuiltJars.jar("jna").toString());
        Path classes = tmp.resolve("probe");
        Probe.compileModule(classes, jars, 17);
        Probe.Output out = Probe.run(tmp, List.of(java17(), "--module-path", classes + File.pathSeparator + jars,
                "-m", Probe.MODULE_MAIN));
        assertEquals(out.expect("jna", "io.rsyscall4j.provider.jna"), out.lines());
    }

    @Test
    void jnaProviderIsFoundOnTheClassPathOfJdk17(@TempDir Path tmp) throws Exception {
        String jars = String.join(File.pathSeparator, BuiltJars.jar("rsyscall4j-api").toString(),
                BuiltJars.jar("rsyscall4j-provider-jna").toString(), BuiltJars.jar("jna").toString());
        Probe.Output out = Probe.run(tmp, List.of(java17(), "--class-path", jars, Probe.SOURCE.toString()));
        assertEquals(out.expect("jna", "unnamed"), out.lines());
    }

    private static String java17() throws Exception {
        Path java = JDK17.resolve("bin/java");
        assertTrue(Files.isExecutable(java), "no JDK 17 at " + JDK17 + " (set -Drsyscall4j.itests.jdk17)");
        Process version = new ProcessBuilder(java.toString(), "-XshowSettings:properties", "-version")
                .redirectErrorStream(true).start();
        String settings = new String(version.getInputStream().readAllBytes());
        version.waitFor();
        assertTrue(settings.contains("java.specification.version = 17"), "JDK at " + JDK17 + " is not 17");
        return java.toString();
    }
}
