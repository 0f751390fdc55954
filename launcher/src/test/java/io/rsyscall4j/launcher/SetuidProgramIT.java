package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A set-uid program started by the launcher ends when the launcher's JVM is killed, although the
 * kernel cleared its parent-death signal at the exec (the exec changed its effective uid): the
 * launcher's guardian kills it. Needs root (as CI runs) to make a set-uid copy of {@code sleep}
 * owned by {@code nobody}.
 */
class SetuidProgramIT {
    private static final int NOBODY = 65534;
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

    @Test
    void aSetuidProgramDiesWithTheLaunchersJvmEvenWhenTheJvmIsKilled() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "setuid");
        Path sleep = dir.resolve("setuid-sleep");
        Files.copy(Path.of("/bin/sleep"), sleep);
        run("chown", Integer.toString(NOBODY), sleep.toString());
        run("chmod", "4755", sleep.toString());

        List<String> command = new ArrayList<>(List.of(Run.java()));
        command.addAll(Run.quietFelix());
        command.addAll(List.of("-jar", Run.jarPath().toString(), "exec", "--", sleep.toAbsolutePath().toString(), "1000"));
        Process launcher = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long program = -1;
        List<ProcessHandle> made = List.of();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Run.TIMEOUT_SECONDS);
            while (program < 0) {
                assertTrue(System.nanoTime() < deadline, "the launcher started the set-uid program");
                assertTrue(launcher.isAlive(), "the launcher runs");
                made = launcher.children().toList();
                program = made.stream().filter(p -> effectiveUid(p.pid()) == NOBODY).mapToLong(ProcessHandle::pid)
                        .findFirst().orElse(-1);
                Thread.onSpinWait();
            }
            launcher.destroyForcibly(); // SIGKILL: no JVM code runs any more
            assertTrue(launcher.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertEquals(128 + 9, launcher.exitValue());
            long killedAt = System.nanoTime();
            for (ProcessHandle p : made) {
                while (running(p.pid())) {
                    assertTrue(System.nanoTime() - killedAt < DEADLINE_NANOS, "process " + p.pid()
                            + (p.pid() == program ? " (the set-uid program)" : " (made by the launcher)")
                            + " still runs " + DEADLINE_NANOS / 1_000_000_000 + " s after the JVM was killed");
                    Thread.onSpinWait();
                }
            }
        } finally {
            launcher.destroyForcibly();
            if (program > 0) {
                ProcessHandle.of(program).ifPresent(ProcessHandle::destroyForcibly);
            }
            Files.deleteIfExists(sleep);
            Files.deleteIfExists(dir);
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + " (this test needs root): " + out);
    }

    /** The effective uid of {@code pid}, or -1 if it is gone. */
    private static long effectiveUid(long pid) {
        return field(pid, "Uid:").map(uids -> Long.parseLong(uids.split("\\s+")[1])).orElse(-1L);
    }

    /** Whether {@code pid} exists and is not a zombie. */
    private static boolean running(long pid) {
        return field(pid, "State:").map(state -> !state.startsWith("Z") && !state.startsWith("X")).orElse(false);
    }

    private static Optional<String> field(long pid, String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith(name)) {
                    return Optional.of(line.substring(name.length()).trim());
                }
            }
            return Optional.empty();
        } catch (IOException gone) {
            return Optional.empty();
        }
    }
}
