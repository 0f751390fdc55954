package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refused {@code --fd} input: every {@code --fd} is checked before anything is opened, a refused
 * one truncates nothing, and each refusal is one line naming the argument.
 */
class FdInputIT {

    @Test
    void aRefusedFdLeavesAFileToBeWrittenUntruncated(@TempDir Path tmp) throws Exception {
        Path k = Files.writeString(tmp.resolve("k"), "keep me\n");
        Path missing = tmp.resolve("missing");
        assertOneLine(Run.launch("exec", "--fd", "3=file:" + k + ":w", "--fd", "4=file:" + missing, "--", "sh", "-c",
                "echo ran"), 1, "--fd 4=file:" + missing + ": ");
        assertEquals("keep me\n", Files.readString(k), "nothing was truncated");
        assertOneLine(Run.launch("exec", "--fd", "3=file:" + k + ":w", "--fd", "4=inherit:1", "--", "sh", "-c", "echo ran"),
                2, "--fd 4=inherit:1");
        assertEquals("keep me\n", Files.readString(k), "nothing was truncated");

        Run.Result written = Run.launch("exec", "--fd", "3=file:" + k + ":w", "--fd", "4=file:/dev/null:w", "--", "sh", "-c",
                "echo new >&3");
        assertEquals(0, written.status(), written::toString);
        assertEquals("new\n", Files.readString(k), "once every --fd is open, :w truncates");
    }

    @Test
    void anFdNumberIsAsciiDigitsBelowTheFdLimitOrOneLineWithStatus2() throws Exception {
        long limit = openFilesLimit();
        List<String> beyond = new ArrayList<>(List.of(Long.toString(limit), Long.toString(limit + 1), "2147483647"));
        for (String n : List.of("99999999", "1048576")) {
            if (Long.parseLong(n) >= limit) {
                beyond.add(n);
            }
        }
        for (String n : beyond) {
            assertOneLine(Run.launch("exec", "--fd", n + "=null", "--", "sh", "-c", "echo ran"), 2,
                    "rsyscall4j: --fd " + n + "=null: fd " + n + " is beyond the limit of open fds (RLIMIT_NOFILE " + limit);
        }
        for (String n : List.of("2147483648", "-1", "+3", " 3", "3 ", "0x3", "")) {
            assertOneLine(Run.launch("exec", "--fd", n + "=null", "--", "sh", "-c", "echo ran"), 2,
                    "rsyscall4j: --fd " + n + "=null: N=SPEC ");
        }
        assertOneLine(Run.launch("exec", "--fd", "3=tcp-listen:127.0.0.1:+80", "--", "sh", "-c", "echo ran"), 2,
                "rsyscall4j: --fd 3=tcp-listen:127.0.0.1:+80: tcp-listen needs a PORT number");
        // U+FF13, FULLWIDTH DIGIT THREE, which Integer.parseInt takes for 3 (its bytes made by printf).
        assertOneLine(CallerFdsIT.viaScript("", "exec --fd \"$(printf '\\357\\274\\223=null')\" -- sh -c 'echo ran'"), 2,
                "=null: N=SPEC needs an fd number (digits 0-9)");

        Run.Result highest = Run.launch("exec", "--fd", (limit - 1) + "=null", "--", "sh", "-c",
                "readlink /proc/$$/fd/" + (limit - 1));
        assertEquals(0, highest.status(), highest::toString);
        assertEquals("/dev/null\n", highest.out(), "the highest fd below the limit is given");
    }

    @Test
    void theHighestFdIsGivenWhileTheLowOnesAreWantedToo() throws Exception {
        // The launcher opens its files at its lowest free numbers, which fds 3 to 40 surely take
        // some of: those are moved out of the way, where no number above the highest is left.
        long highest = openFilesLimit() - 1;
        List<String> args = new ArrayList<>(List.of("exec"));
        for (int n = 3; n <= 40; n++) {
            args.addAll(List.of("--fd", n + "=null"));
        }
        args.addAll(List.of("--fd", highest + "=file:/etc/hostname", "--", "sh", "-c",
                "readlink /proc/$$/fd/" + highest + " /proc/$$/fd/40"));
        Run.Result r = Run.launch(args.toArray(String[]::new));
        assertEquals(0, r.status(), r::toString);
        assertEquals("/etc/hostname\n/dev/null\n", r.out(), r::toString);
    }

    @Test
    void controlCharactersInAnArgumentAreEscapedSoTheMessageIsOneLine() throws Exception {
        assertOneLine(Run.launch("exec", "--fd", "3=file:/nonexistent/a\nb\u001b[31m", "--", "true"), 1,
                "--fd 3=file:/nonexistent/a\\x0ab\\x1b[31m: ");
        assertOneLine(Run.launch("exec", "--fd", "3=bo\r\ngus", "--", "true"), 2, "unknown SPEC \"bo\\x0d\\x0agus\"");
        assertOneLine(Run.launch("exec", "--fd\n", "3=null", "--", "true"), 2, "--fd\\x0a");
    }

    /** The launcher's soft RLIMIT_NOFILE: this JVM's (the JDK raises its soft limit to the hard one, as the launcher's does). */
    private static long openFilesLimit() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no Max open files in /proc/self/limits");
    }

    private static void assertOneLine(Run.Result r, int status, String fragment) {
        assertEquals(status, r.status(), r::toString);
        assertEquals("", r.out(), r::toString);
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("rsyscall4j: ") && lines.get(0).contains(fragment), r::toString);
    }
}
