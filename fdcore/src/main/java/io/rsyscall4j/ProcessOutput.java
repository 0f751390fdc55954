package io.rsyscall4j;

import java.nio.charset.StandardCharsets;

/**
 * What a program run to its end by {@link Command#output()} left: its exit status (or 128 + the
 * signal that killed it), and all it wrote to stdout and stderr (empty for a stream that was not a
 * pipe). The arrays are the record's own: not copied, compared by identity.
 */
public record ProcessOutput(int status, byte[] stdout, byte[] stderr) {
    /** Whether the program exited with status 0. */
    public boolean success() {
        return status == 0;
    }

    /** Stdout decoded as UTF-8 (malformed bytes replaced). */
    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    /** Stderr decoded as UTF-8 (malformed bytes replaced). */
    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ProcessOutput[status " + status + ", " + stdout.length + " bytes of stdout, " + stderr.length
                + " bytes of stderr]";
    }
}
