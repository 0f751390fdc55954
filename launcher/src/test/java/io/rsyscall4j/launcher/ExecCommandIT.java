package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rsyscall4j exec}, run from the packaged jar as a user runs it. The program's fds are read
 * from the kernel ({@code ls -l /proc/$$/fd} run by the program's shell lists the shell's own fds),
 * sockets are checked in {@code /proc/net/tcp} and by connecting to them.
 */
class ExecCommandIT {
    /** {@code ls -l} of the program's own fd directory; the trailing {@code true} keeps sh from exec'ing ls. */
    private static final String LIST_FDS = "ls -l /proc/$$/fd; true";
    private static final Pattern FD_LINE = Pattern.compile(" (\\d+) -> (.*)$");

    @Test
    void theExitStatusIsTheProgramsAnd128PlusTheSignalThatKilledIt() throws Exception {
        assertEquals(0, Run.launch("exec", "--", "true").status());
        Run.Result seven = Run.launch("exec", "--", "sh", "-c", "exit 7");
        assertEquals(7, seven.status(), seven::toString);
        assertEquals("", seven.err(), seven::toString);
        Run.Result killed = Run.launch("exec", "--", "sh", "-c", "kill -KILL $$");
        assertEquals(128 + 9, killed.status(), killed::toString);
        Run.Result terminated = Run.launch("exec", "sh", "-c", "kill -TERM $$");
        assertEquals(128 + 15, terminated.status(), "the program's own options need no --: " + terminated);
    }

    @Test
    void withoutFdsTheProgramHasExactlyZeroOneAndTwo() throws Exception {
        Run.Result r = Run.launch("exec", "--", "sh", "-c", LIST_FDS);
        assertEquals(0, r.status(), r::toString);
        assertEquals(List.of(0, 1, 2), List.copyOf(fds(r.out()).keySet()), r::toString);
    }

    @Test
    void theProgramHasExactlyTheFdsAskedForPointingWhereAsked(@TempDir Path tmp) throws Exception {
        Path in = Files.writeString(tmp.resolve("in.txt"), "input");
        Run.Result r = Run.launch("exec", "--fd", "3=file:" + in, "--fd", "5=null", "--fd", "7=file:" + in + ":r",
                "--", "sh", "-c", LIST_FDS);
        assertEquals(0, r.status(), r::toString);
        Map<Integer, String> fds = fds(r.out());
        assertEquals(List.of(0, 1, 2, 3, 5, 7), List.copyOf(fds.keySet()), r::toString);
        assertEquals(in.toRealPath().toString(), fds.get(3));
        assertEquals("/dev/null", fds.get(5));
        assertEquals(in.toRealPath().toString(), fds.get(7));
    }

    @Test
    void fileFdsAreOpenedForReadingWritingAndAppending(@TempDir Path tmp) throws Exception {
        Path in = Files.writeString(tmp.resolve("in.txt"), "hello\n");
        Path out = tmp.resolve("out.txt");
        Path log = Files.writeString(tmp.resolve("log.txt"), "first\n");
        Run.Result r = Run.launch("exec", "--fd", "3=file:" + in, "--fd", "4=file:" + out + ":w",
                "--fd", "5=file:" + log + ":a", "--", "sh", "-c", "cat <&3 >&4; echo second >&5");
        assertEquals(0, r.status(), r::toString);
        assertEquals("hello\n", Files.readString(out));
        assertEquals("first\nsecond\n", Files.readString(log));
    }

    @Test
    void fdsZeroOneAndTwoCanBeReplaced(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out.txt");
        Run.Result r = Run.launch("exec", "--fd", "1=file:" + out + ":w", "--fd", "0=null", "--", "sh", "-c",
                "echo to-stdout; cat");
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.out(), "stdout went to the file");
        assertEquals("to-stdout\n", Files.readString(out));
    }

    @Test
    void listenFdsPassesATcpListenerWithTheProgramsOwnPid() throws Exception {
        List<String> command = new ArrayList<>(List.of(Run.java()));
        command.addAll(Run.quietFelix());
        command.addAll(List.of("-jar", Run.jarPath().toString(), "exec", "--listen-fds",
                "--fd", "3=tcp-listen:127.0.0.1:0", "--",
                "sh", "-c", "test \"$LISTEN_PID\" = \"$$\" || exit 9; "
                        + "echo \"$LISTEN_PID $LISTEN_FDS $LISTEN_FDNAMES\"; read line"));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             OutputStream in = p.getOutputStream()) {
            String line = out.readLine();
            assertTrue(line != null, "the program printed its socket activation variables");
            String[] parts = line.split(" ");
            int pid = Integer.parseInt(parts[0]);
            assertEquals("1", parts[1], line);
            assertEquals("tcp-0", parts[2], line);
            assertEquals(List.of(0, 1, 2, 3), List.copyOf(fdsOf(pid).keySet()));

            int port = listeningPort(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/3")).toString());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                assertTrue(s.isConnected(), "the kernel completes a connection into the program's listener");
            }
            in.write('\n');
            in.flush();
            assertTrue(p.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "LISTEN_PID was the program's own pid");
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(),
                    "nobody listens once the program is gone: the launcher kept no copy");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aUnixListenerIsPassedAndItsFileRemovedAfterwards(@TempDir Path tmp) throws Exception {
        Path sock = tmp.resolve("app.sock");
        List<String> command = new ArrayList<>(List.of(Run.java()));
        command.addAll(Run.quietFelix());
        command.addAll(List.of("-jar", Run.jarPath().toString(), "exec", "--listen-fds",
                "--fd", "3=unix-listen:" + sock, "--", "sh", "-c", "echo \"$LISTEN_FDNAMES\"; read line"));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             OutputStream in = p.getOutputStream()) {
            assertEquals("unix-app.sock", out.readLine());
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                assertTrue(c.connect(UnixDomainSocketAddress.of(sock)), "connected to the program's listener");
            }
            in.write('\n');
            in.flush();
            assertTrue(p.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
            assertFalse(Files.exists(sock), "the socket file is removed when the program is done");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void traceTellsEachFdLifecycleEvent(@TempDir Path tmp) throws Exception {
        Path in = Files.writeString(tmp.resolve("in.txt"), "x");
        Run.Result r = Run.launch("exec", "--trace", "--provider", "jna", "--fd", "3=file:" + in, "--", "true");
        assertEquals(0, r.status(), r::toString);
        List<String> trace = r.err().lines().toList();
        assertTrue(trace.stream().allMatch(l -> l.startsWith("rsyscall4j: trace: ")), r::toString);
        assertTrue(trace.stream().anyMatch(l -> l.contains("through provider jna")), r::toString);
        int jvmFd = openedFd(r.err(), "file:" + in);
        assertTrue(trace.stream().anyMatch(l -> l.matches(".*child \\d+: fd \\d+ -> fd 3 .*close-on-exec cleared")), r::toString);
        assertTrue(trace.stream().anyMatch(l -> l.contains("fdcore: ") && l.contains("dup2")), "fdcore's own events: " + r);
        assertTrue(trace.stream().anyMatch(l -> l.matches(".*exec true as pid \\d+ with fds \\[0, 1, 2, 3\\]")), r::toString);
        assertTrue(trace.contains("rsyscall4j: trace: fd " + jvmFd + " of the JVM closed"), r::toString);
    }

    @Test
    void badInputIsOneLineANonZeroStatusAndNoProgramRun(@TempDir Path tmp) throws Exception {
        Path marker = tmp.resolve("ran");
        String program = "touch " + marker;
        assertOneLineError(Run.launch("exec", "--fd", "3=bogus:1", "--", "sh", "-c", program), 2, "unknown SPEC \"bogus:1\"");
        assertOneLineError(Run.launch("exec", "--fd", "3=null", "--fd", "3=null", "--", "sh", "-c", program), 2,
                "fd 3 is given twice");
        assertOneLineError(Run.launch("exec", "--listen-fds", "--fd", "4=null", "--", "sh", "-c", program), 2,
                "without gaps, but fd 3 is not given");
        assertOneLineError(Run.launch("exec", "--fd", "3=file:" + tmp.resolve("missing"), "--", "sh", "-c", program), 1,
                "ENOENT");
        assertOneLineError(Run.launch("exec", "--", tmp.resolve("no-such-program").toString()), 127, "program not found");
        assertOneLineError(Run.launch("exec", "--provider", "nosuch", "--", "true"), 2, "provider nosuch is not available");
        assertOneLineError(Run.launch("exec"), 2, "PROGRAM");
        try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertOneLineError(Run.launch("exec", "--fd", "3=tcp-listen:127.0.0.1:" + busy.getLocalPort(), "--",
                    "sh", "-c", program), 1, "EADDRINUSE");
        }
        assertFalse(Files.exists(marker), "no bad input ran the program");
    }

    @Test
    void aFailureAfterSomeFdsWereOpenedClosesThemAll(@TempDir Path tmp) throws Exception {
        Path in = Files.writeString(tmp.resolve("in.txt"), "x");
        Path sock = tmp.resolve("s.sock");
        Run.Result r = Run.launch("exec", "--trace", "--fd", "3=file:" + in, "--fd", "4=unix-listen:" + sock,
                "--fd", "5=file:" + tmp.resolve("missing"), "--", "true");
        assertEquals(1, r.status(), r::toString);
        List<String> errors = r.err().lines().filter(l -> !l.startsWith("rsyscall4j: trace: ")).toList();
        assertEquals(1, errors.size(), r::toString);
        for (String spec : List.of("file:" + in, "unix-listen:" + sock)) {
            int fd = openedFd(r.err(), spec);
            assertTrue(r.err().contains("rsyscall4j: trace: fd " + fd + " of the JVM closed\n"), spec + " closed: " + r);
        }
        assertFalse(Files.exists(sock), "the socket file made for the failed run is removed");
    }

    @Test
    void theLowestFreeNumbersOfTheJvmCanBeAskedForToo(@TempDir Path tmp) throws Exception {
        // The launcher opens its fds at the JVM's lowest free numbers, and the child task's own
        // connection would take the next ones: asking for exactly those must still work.
        Path in = Files.writeString(tmp.resolve("in.txt"), "x");
        for (int base : List.of(15, 20, 25, 30)) {
            Run.Result r = Run.launch("exec", "--fd", base + "=null", "--fd", (base + 1) + "=file:" + in,
                    "--fd", (base + 2) + "=null", "--", "sh", "-c", LIST_FDS);
            assertEquals(0, r.status(), r::toString);
            assertEquals(List.of(0, 1, 2, base, base + 1, base + 2), List.copyOf(fds(r.out()).keySet()), r::toString);
        }
    }

    private static void assertOneLineError(Run.Result r, int status, String fragment) {
        assertEquals(status, r.status(), r::toString);
        assertEquals("", r.out(), r::toString);
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("rsyscall4j: ") && lines.get(0).contains(fragment), r::toString);
    }

    /** The fd number the trace says the JVM opened {@code spec} at. */
    private static int openedFd(String trace, String spec) {
        Matcher m = Pattern.compile("opened " + Pattern.quote(spec) + " as fd (\\d+) of the JVM").matcher(trace);
        assertTrue(m.find(), "trace names where " + spec + " was opened:\n" + trace);
        return Integer.parseInt(m.group(1));
    }

    /** fd number to target, from {@code ls -l /proc/PID/fd} output. */
    private static Map<Integer, String> fds(String lsOutput) {
        Map<Integer, String> fds = new TreeMap<>();
        for (String line : lsOutput.lines().toList()) {
            Matcher m = FD_LINE.matcher(line);
            if (m.find()) {
                fds.put(Integer.parseInt(m.group(1)), m.group(2));
            }
        }
        return fds;
    }

    private static Map<Integer, String> fdsOf(int pid) throws IOException {
        Map<Integer, String> fds = new TreeMap<>();
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : list.toList()) {
                fds.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
            }
        }
        return fds;
    }

    /** The port of the listening 127.0.0.1 TCP socket {@code socket:[inode]}, from /proc/net/tcp. */
    private static int listeningPort(String link) throws IOException {
        Matcher inode = Pattern.compile("socket:\\[(\\d+)]").matcher(link);
        assertTrue(inode.matches(), "fd 3 is a socket: " + link);
        // Read once: sockets of other processes come and go between two reads.
        List<String> tcp = Files.readAllLines(Path.of("/proc/net/tcp"));
        for (String line : tcp.subList(1, tcp.size())) {
            String[] f = line.trim().split("\\s+");
            if (f[9].equals(inode.group(1))) {
                String[] local = f[1].split(":");
                assertEquals("0100007F", local[0], "bound to 127.0.0.1");
                assertEquals("0A", f[3], "in state LISTEN");
                return Integer.parseInt(local[1], 16);
            }
        }
        throw new AssertionError("socket " + link + " is not a TCP socket in /proc/net/tcp");
    }
}
