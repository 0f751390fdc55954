package io.rsyscall4j.itests.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A syscall that blocks (here a read of an empty pipe) must not hold up the rest of the JVM: a
 * provider that took a shortcut for it (an FFM critical downcall) would stall every garbage
 * collection until the syscall returned. Run in a separate JVM, which is killed if it hangs.
 */
final class BlockedSyscallTest {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ffm", "jna"})
    void garbageCollectionRunsWhileASyscallIsBlocked(String provider, @TempDir Path tmp) throws Exception {
        Probe.Output out = Probe.run(tmp, List.of(JAVA, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), BlockedSyscallGcProbe.class.getName(), provider));
        assertEquals(List.of("gc done while a read was blocked"), out.lines());
        assertTrue(out.stderr().isEmpty(), out.stderr());
    }
}
