package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Command#environment()} and {@link Command#directory} do what {@code ProcessBuilder}'s do:
 * the JVM's environment to start with, changes reach the program, the directory is its working
 * directory; and {@link Command#output()} sees the same as reading a ProcessBuilder's streams.
 */
class CommandEnvironmentTest {
    @TempDir
    Path dir;

    @BothProviders
    void environmentChangesAndDirectoryReachTheProgram(String provider) throws Exception {
        String script = "echo \"A=$RSYSCALL4J_A B=${RSYSCALL4J_B-unset} PATHSET=${PATH:+yes}\"; pwd";
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).directory(dir.toFile());
        pb.environment().put("RSYSCALL4J_A", "é ü");
        pb.environment().remove("RSYSCALL4J_B");
        Command c = Command.of("sh", "-c", script).directory(dir);
        assertEquals(System.getenv(), c.environment(), "the JVM's environment to start with");
        c.environment().put("RSYSCALL4J_A", "é ü");
        c.environment().remove("RSYSCALL4J_B");
        String jdk = new String(pb.start().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ProcessOutput ours = c.output(Rsyscall.local(provider));
        assertEquals(jdk, ours.stdoutText());
        assertEquals("A=é ü B=unset PATHSET=yes\n" + dir.toRealPath() + "\n", ours.stdoutText());
        assertTrue(ours.success());
    }

    @BothProviders
    void anEmptiedEnvironmentIsEmpty(String provider) throws Exception {
        Command c = Command.of("/usr/bin/env");
        c.environment().clear();
        c.environment().put("ONLY", "this");
        assertEquals("ONLY=this\n", c.output(Rsyscall.local(provider)).stdoutText());
    }

    /** A command whose environment was never touched gives the program the JVM's, every time. */
    @BothProviders
    void anUntouchedEnvironmentIsTheJvmsEveryTime(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (int i = 0; i < 2; i++) {
            Map<String, String> seen = new java.util.HashMap<>();
            for (String entry : Command.of("/usr/bin/env", "-0").output(local).stdoutText().split("\0")) {
                int eq = entry.indexOf('=');
                seen.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
            assertEquals(System.getenv(), seen);
        }
    }

    @BothProviders
    void commandIsTheLiveArgumentList(String provider) throws Exception {
        Command c = Command.of("echo", "a");
        c.command().add("b");
        assertEquals(List.of("echo", "a", "b"), c.command());
        assertEquals("a b\n", c.output(Rsyscall.local(provider)).stdoutText());
        assertEquals("x\n", c.command("echo", "x").output(Rsyscall.local(provider)).stdoutText());
        assertFalse(Map.copyOf(c.environment()).isEmpty());
    }
}
