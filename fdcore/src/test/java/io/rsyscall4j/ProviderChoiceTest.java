package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Sys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM that chooses the JNA provider never initialises the FFM one: no restricted method of
 * {@code java.lang.foreign} is called, so the JDK prints no warning about one (checked in a fresh
 * JVM without {@code --enable-native-access}, where the first such call would be announced).
 */
class ProviderChoiceTest {

    /** Makes a getpid through the provider named by the first argument. */
    static final class Main {
        public static void main(String[] args) throws Exception {
            Task task = Rsyscall.local(args[0]);
            System.out.println("pid " + task.sysif().syscall(Sys.GETPID));
        }
    }

    @Test
    void choosingJnaCallsNoRestrictedMethodOfTheFfmProvider() throws Exception {
        String err = run("jna");
        assertFalse(err.contains("java.lang.foreign"), "a warning about java.lang.foreign:\n" + err);
    }

    @Test
    void choosingFfmDoesAndTheJdkSaysSo() throws Exception {
        // The control: the check above would see the FFM provider's first restricted call.
        String err = run("ffm");
        assertTrue(err.contains("restricted method in java.lang.foreign"), "no warning:\n" + err);
    }

    /** Runs {@link Main} with {@code provider} in a fresh JVM; returns its stderr. */
    private static String run(String provider) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), provider)).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the JVM ended");
        assertEquals(0, p.exitValue(), out + err);
        assertEquals("pid " + p.pid(), out.strip());
        return err;
    }
}
