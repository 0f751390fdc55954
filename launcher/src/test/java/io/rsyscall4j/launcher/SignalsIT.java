package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signals sent to the launcher, run from the packaged jar as a user (or {@code docker stop},
 * {@code systemctl stop}) runs it: each goes to the program, the launcher waits for the program,
 * cleans up, and exits with the program's status.
 */
class SignalsIT {
    /** Signals the program traps and reports, in the order they are sent; SIGTERM ends it last. */
    private static final List<String> REPORTED = List.of("HUP", "INT", "QUIT", "USR1", "USR2", "WINCH");
    private static final int TERM_STATUS = 42;

    /** {@code java -jar rsyscall4j.jar exec ARGS}, its stdout to read, stderr to the test's. */
    private static Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Run.java()));
        command.addAll(Run.quietFelix());
        command.addAll(List.of("-jar", Run.jarPath().toString(), "exec"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    }

    /** Sends {@code signal} (a name such as TERM) to {@code pid} with kill(1). */
    private static void kill(long pid, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(pid)).start();
        assertEquals(0, kill.waitFor(), "kill -s " + signal + " " + pid);
    }

    private static int awaitExit(Process p) throws InterruptedException {
        assertTrue(p.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS), "the launcher ended");
        return p.exitValue();
    }

    /** A shell program that reports each trapped signal on a line of its own and exits 42 on SIGTERM. */
    private static String trappingProgram(String before) {
        StringBuilder sh = new StringBuilder(before);
        for (String s : REPORTED) {
            sh.append("trap 'echo got-").append(s).append("' ").append(s).append("; ");
        }
        sh.append("trap 'echo got-TERM; exit ").append(TERM_STATUS).append("' TERM; ");
        sh.append("echo ready; while :; do sleep 0.05; done");
        return sh.toString();
    }

    @Test
    void everySupervisorSignalReachesTheProgramAndTheLauncherExitsWithItsStatus() throws Exception {
        Process p = start("--", "sh", "-c", trappingProgram(""));
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("ready", out.readLine());
            for (String s : REPORTED) {
                kill(p.pid(), s);
                // Also: SIGQUIT makes no JVM thread dump here (it would come before got-QUIT).
                assertEquals("got-" + s, out.readLine(), "SIG" + s + " reached the program, and nothing else came");
            }
            kill(p.pid(), "TERM");
            assertEquals("got-TERM", out.readLine());
            assertEquals(TERM_STATUS, awaitExit(p), "the launcher exits with the program's status");
            assertEquals(null, out.readLine(), "nothing after the program's own output");
        } finally {
            p.destroyForcibly();
        }
    }

    /** SIGUSR2 kills a program that does not catch it (the JVM's own handler would ignore it). */
    @Test
    void aProgramKilledByAForwardedSignalGivesTheLauncher128PlusThatSignal() throws Exception {
        Process p = start("--", "sh", "-c", "echo ready; while :; do sleep 0.05; done");
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("ready", out.readLine());
            kill(p.pid(), "USR2");
            assertEquals(128 + 12, awaitExit(p));
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * After SIGTERM, SIGINT or SIGHUP of the launcher, the program ends and the launcher removes
     * the unix-listen socket file it bound.
     */
    @Test
    void theSocketFileIsRemovedAfterTermIntAndHupOfTheLauncher(@TempDir Path tmp) throws Exception {
        for (String signal : List.of("TERM", "INT", "HUP")) {
            Path sock = tmp.resolve(signal.toLowerCase() + ".sock");
            Process p = start("--fd", "3=unix-listen:" + sock, "--", "sh", "-c",
                    "trap 'exit 3' " + signal + "; echo ready; while :; do sleep 0.05; done");
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                assertEquals("ready", out.readLine());
                assertTrue(Files.exists(sock), "bound");
                kill(p.pid(), signal);
                assertEquals(3, awaitExit(p), "SIG" + signal + " went to the program, whose status the launcher gave");
                assertFalse(Files.exists(sock), "the socket file is removed after SIG" + signal);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /** What the program put at the socket's path (after removing the socket) is not the launcher's to delete. */
    @Test
    void onlyTheSocketFileTheLauncherBoundIsRemoved(@TempDir Path tmp) throws Exception {
        Path sock = tmp.resolve("app.sock");
        Process p = start("--fd", "3=unix-listen:" + sock, "--", "sh", "-c",
                "rm \"$0\" && echo mine > \"$0\"", sock.toString());
        try {
            assertEquals(0, awaitExit(p));
            assertTrue(Files.isRegularFile(sock), "the program's own file at the path is left alone");
            assertEquals("mine\n", Files.readString(sock));
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * A terminal's {@code ^C} goes to its whole foreground process group, the program included:
     * the launcher does not send it a second SIGINT. Run on a pseudo-terminal (python3's pty);
     * the program counts the SIGINTs it got, and reports the count at SIGTERM.
     */
    @Test
    void aTerminalsCtrlCReachesTheProgramOnceNotTwice(@TempDir Path tmp) throws Exception {
        Path driver = Files.writeString(tmp.resolve("pty_driver.py"), String.join("\n",
                "import os, pty, select, signal, sys, time",
                "pid, fd = pty.fork()",
                "if pid == 0:",
                "    os.execvp(sys.argv[1], sys.argv[1:])",
                "buf = b''",
                "deadline = time.monotonic() + 100",
                "def read_until(token):",
                "    global buf",
                "    while token not in buf:",
                "        r, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))",
                "        if not r:",
                "            sys.exit('no %r in %r' % (token, buf))",
                "        try:",
                "            chunk = os.read(fd, 4096)",
                "        except OSError:",
                "            chunk = b''",
                "        if not chunk:",
                "            sys.exit('end before %r in %r' % (token, buf))",
                "        buf += chunk",
                "read_until(b'ready')",
                "os.write(fd, b'\\x03')",
                "read_until(b'got-INT')",
                "os.kill(pid, signal.SIGTERM)",
                "read_until(b'count=')",
                "while True:",
                "    try:",
                "        chunk = os.read(fd, 4096)",
                "    except OSError:",
                "        break",
                "    if not chunk:",
                "        break",
                "    buf += chunk",
                "_, status = os.waitpid(pid, 0)",
                "print(buf.decode(errors='replace').replace('\\r', ''))",
                "print('status=%d' % os.waitstatus_to_exitcode(status))",
                ""));
        List<String> command = new ArrayList<>(List.of("python3", driver.toString(), Run.java()));
        command.addAll(Run.quietFelix());
        command.addAll(List.of("-jar", Run.jarPath().toString(), "exec", "--", "sh", "-c",
                "n=0; trap 'n=$((n+1)); echo got-INT' INT; trap 'echo count=$n; exit 5' TERM; "
                        + "echo ready; while :; do sleep 0.05; done"));
        Run.Result r = Run.command(command, java.util.Map.of());
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("count=1\n"), "one SIGINT, not two: " + r);
        assertTrue(r.out().contains("status=5\n"), "the launcher exits with the program's status: " + r);
    }
}
