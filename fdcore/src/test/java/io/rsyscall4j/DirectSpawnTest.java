package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link Command} that needs no child task starts as {@code posix_spawn} would
 * ({@link DirectSpawn}); the program sees the same as one started through a child task (the way
 * taken where {@code clone3} is refused): its fds, directory, umask, signal dispositions, mask.
 */
class DirectSpawnTest {
    @TempDir
    Path dir;

    /** What the programs {@code grep}, {@code ls} and {@code readlink} see of themselves, run as {@code c} says. */
    private static String run(Task local, FileDescriptor extra, Path cwd) throws Exception {
        StringBuilder seen = new StringBuilder();
        for (String[] program : new String[][] {{"grep", "-E", "^(Umask|SigBlk|SigIgn|SigCgt):", "/proc/self/status"},
                {"ls", "/proc/self/fd"}, {"readlink", "/proc/self/cwd", "/proc/self/fd/3", "/proc/self/fd/7"}}) {
            ProcessOutput out = Command.of(java.util.List.of(program)).fd(3, extra).fd(7, extra).directory(cwd).umask(027)
                    .redirectErrorStream(true).output(local);
            assertEquals(0, out.status(), new String(out.stdout(), StandardCharsets.UTF_8));
            seen.append(new String(out.stdout(), StandardCharsets.UTF_8));
        }
        return seen.toString();
    }

    @BothProviders
    void theProgramSeesWhatAChildTaskWouldHaveGivenIt(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        try (FileDescriptor extra = local.open("/dev/null", OpenFlags.O_RDONLY)) {
            Command probe = Command.of("true");
            assertTrue(DirectSpawn.fits(probe, local), "a plain command starts directly here");
            String direct = run(local, extra, dir);
            DirectSpawn.refused(true);
            String throughChildTask;
            try {
                assertFalse(DirectSpawn.fits(probe, local));
                throughChildTask = run(local, extra, dir);
            } finally {
                DirectSpawn.refused(false);
            }
            assertEquals(throughChildTask, direct);
            assertTrue(direct.contains("SigBlk:\t0000000000000000"), direct);
            assertTrue(direct.contains("Umask:\t0027") && direct.contains(dir + "\n/dev/null\n/dev/null\n"), direct);
        }
    }
}
