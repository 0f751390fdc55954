package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A program's pipe streams behave as the JDK's {@code Process} streams: once it has ended and is
 * reaped, the JVM holds none of its pipes (what stdout and stderr held is in memory, stdin is
 * closed), so a program started, waited for and dropped with its streams unclosed costs no fd
 * until the GC finds them.
 */
class PipeStreamsTest {
    @BothProviders
    void afterTheEndTheJvmHoldsNoneOfTheProgramsPipesAndKeepsWhatTheyHeld(String provider) throws Exception {
        // head copies the 6 bytes it reads from stdin to stdout, says so on stderr, and exits.
        ChildProcess p = Command.of("sh", "-c", "head -c 6; echo copied >&2").start(Rsyscall.local(provider));
        List<String> pipes = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            // The program's ends, while it waits for stdin: the same pipes as the JVM's ends.
            pipes.add(Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/fd/" + n)).toString());
        }
        OutputStream stdin = p.getOutputStream();
        stdin.write("hello\n".getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
        assertEquals(0, p.waitFor());

        Map<Integer, String> held = Kernel.fds("/proc/self/fd");
        held.values().removeIf(t -> !pipes.contains(t));
        assertEquals(Map.of(), held, "the JVM's fds still on the ended program's pipes " + pipes);
        assertEquals("hello\n", read(p.getInputStream()));
        assertEquals("copied\n", read(p.getErrorStream()));
        assertThrows(IOException.class, () -> stdin.write('x'));
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }

    @BothProviders
    void aStreamReadToTheEndByTheUserStaysUsable(String provider) throws Exception {
        ChildProcess p = Command.of("echo", "once").start(Rsyscall.local(provider));
        assertEquals("once\n", read(p.getInputStream()));
        assertEquals(0, p.waitFor());
        assertEquals(-1, p.getInputStream().read());
        p.getInputStream().close();
        assertTrue(p.getErrorStream().read() == -1);
    }
}
