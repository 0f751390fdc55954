package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * {@link Command#output()} runs a program to its end and collects its status, stdout and stderr:
 * both at once, so a program writing megabytes to each does not deadlock; stdin is empty.
 */
class CommandOutputTest {
    private static final int TEN_MIB = 10 << 20;

    @BothProviders
    void tenMibOnStdoutAndStderrAtOnce(String provider) throws Exception {
        // Interleaved: each head writes 10 MiB, far beyond a pipe's 64 KiB, while the other runs.
        Command both = Command.of("sh", "-c",
                "head -c " + TEN_MIB + " /dev/zero & head -c " + TEN_MIB + " /dev/zero | tr '\\0' e >&2; wait");
        ProcessOutput out;
        try (Deadline deadline = new Deadline(Duration.ofSeconds(120))) {
            out = deadline.call("output() of 10 MiB on each stream", () -> both.output(Rsyscall.local(provider)));
        }
        assertEquals(0, out.status());
        assertEquals(TEN_MIB, out.stdout().length);
        assertEquals(TEN_MIB, out.stderr().length);
        byte[] e = new byte[TEN_MIB];
        Arrays.fill(e, (byte) 'e');
        assertEquals(0, Arrays.compare(new byte[TEN_MIB], out.stdout()));
        assertEquals(0, Arrays.compare(e, out.stderr()));
    }

    @BothProviders
    void statusAndBothStreamsAreKeptApartStdinIsEmpty(String provider) throws Exception {
        ProcessOutput out = Command.of("sh", "-c", "cat; echo out; echo err >&2; exit 7").output(Rsyscall.local(provider));
        assertEquals(7, out.status());
        assertFalse(out.success());
        assertEquals("out\n", out.stdoutText());
        assertEquals("err\n", new String(out.stderr(), StandardCharsets.UTF_8));
    }

    @BothProviders
    void aStreamNotPipedIsEmptyInTheOutput(String provider) throws Exception {
        ProcessOutput out = Command.of("sh", "-c", "echo out; echo err >&2").redirectOutput(Redirect.DISCARD)
                .output(Rsyscall.local(provider));
        assertEquals("", out.stdoutText());
        assertEquals("err\n", out.stderrText());
        ProcessOutput merged = Command.of("sh", "-c", "echo out; echo err >&2").redirectErrorStream(true)
                .output(Rsyscall.local(provider));
        assertEquals("out\nerr\n", merged.stdoutText());
        assertEquals("", merged.stderrText());
    }
}
