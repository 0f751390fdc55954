package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fds the caller gave the launcher, as the {@code rsyscall4j} script records them before the
 * JVM opens its own files at the lowest free numbers: only those reach the program, through
 * {@code inherit:M} or as its 0, 1 and 2.
 */
class CallerFdsIT {

    @Test
    void stdinAndStderrTheCallerClosedAreClosedInTheProgram() throws Exception {
        Run.Result r = viaScript("", "exec -- sh -c 'ls /proc/$$/fd; true' 0<&- 2>&-");
        assertEquals(0, r.status(), r::toString);
        assertEquals(List.of("1"), r.out().lines().toList(), "the program has only fd 1, no JVM file at 0 or 2: " + r);
        Run.Result replaced = viaScript("", "exec --fd 0=null -- sh -c 'readlink /proc/$$/fd/0' 0<&-");
        assertEquals(0, replaced.status(), replaced::toString);
        assertEquals("/dev/null\n", replaced.out(), "an --fd for a closed number still gives it");
    }

    @Test
    void inheritPassesAnFdTheCallerGaveAndRefusesTheJvmsOwnNamingIt(@TempDir Path tmp) throws Exception {
        Path in = Files.writeString(tmp.resolve("in.txt"), "from fd 9\n");
        Run.Result given = viaScript("exec 9<" + in + "; ", "exec --fd 3=inherit:9 -- sh -c 'cat <&3'");
        assertEquals(0, given.status(), given::toString);
        assertEquals("from fd 9\n", given.out());
        for (int jvms : List.of(3, 4, 5, 7, 9)) {
            Run.Result r = viaScript("", "exec --fd 3=inherit:" + jvms + " -- sh -c 'echo ran'");
            assertOneLine(r, 2, "rsyscall4j: --fd 3=inherit:" + jvms + ": fd " + jvms + " was not open in the launcher's caller");
        }
        assertOneLine(viaScript("", "exec --fd 3=inherit:0 -- sh -c 'echo ran' 0<&-"), 2,
                "rsyscall4j: --fd 3=inherit:0: fd 0 was not open in the launcher's caller");
    }

    @Test
    void withoutTheScriptInheritIsRefusedSayingWhatToPass() throws Exception {
        assertOneLine(Run.launch("exec", "--fd", "3=inherit:1", "--", "sh", "-c", "echo ran"), 2,
                "-Drsyscall4j.caller.fds=0,1,2,...");
        List<String> command = new ArrayList<>(List.of(Run.java(), "-Drsyscall4j.caller.fds=0,1,2"));
        command.addAll(Run.quietFelix());
        command.addAll(List.of("-jar", Run.jarPath().toString(), "exec", "--fd", "3=inherit:1", "--", "sh", "-c", "echo ran >&3"));
        Run.Result told = Run.command(command, Map.of());
        assertEquals(0, told.status(), told::toString);
        assertEquals("ran\n", told.out(), told::toString);
    }

    private static void assertOneLine(Run.Result r, int status, String fragment) {
        assertEquals(status, r.status(), r::toString);
        assertEquals("", r.out(), r::toString);
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).contains(fragment), r::toString);
    }

    /** {@code sh -c "SETUP exec rsyscall4j ARGS"}: the shell sets up the caller's fds, then runs the script. */
    static Run.Result viaScript(String setup, String args) throws Exception {
        return Run.command(List.of("sh", "-c", setup + "exec \"$0\" " + args, PrivateCacheIT.script().toString()),
                Map.of("JAVA_HOME", System.getProperty("java.home")));
    }
}
