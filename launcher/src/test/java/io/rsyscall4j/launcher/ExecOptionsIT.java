package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The options {@code exec} shares with systemd-socket-activate, and its socket SPECs, run from the
 * packaged jar: {@code --help}, {@code -E}, {@code --cwd}, connect and abstract-name sockets, and
 * bad input — one line naming the argument, no program run, no socket file left behind.
 */
class ExecOptionsIT {

    @Test
    void helpOnEverySubcommandPrintsItsUsageAndExitsZero() throws Exception {
        Run.Result exec = Run.launch("exec", "--help");
        assertEquals(0, exec.status(), exec::toString);
        assertEquals("", exec.err(), exec::toString);
        assertTrue(exec.out().startsWith("Usage: rsyscall4j exec "), exec::toString);
        for (String spec : List.of("file:PATH", "null", "inherit:M", "tcp-listen:", "tcp-connect:", "udp:", "unix-listen:",
                "unix-seqpacket:", "unix-dgram:", "unix-connect:", "--accept", "--inetd", "--fdname", "--setenv", "--cwd")) {
            assertTrue(exec.out().contains(spec), spec + " in exec --help:\n" + exec.out());
        }
        assertTrue(exec.out().lines().allMatch(l -> l.length() <= 80), "fits 80 columns:\n" + exec.out());
        Run.Result info = Run.launch("info", "--help");
        assertEquals(0, info.status(), info::toString);
        assertTrue(info.out().startsWith("Usage: rsyscall4j info "), info::toString);
        Run.Result program = Run.launch("exec", "--", "sh", "-c", "echo \"$0\"", "--help");
        assertEquals("--help\n", program.out(), "after --, --help is the program's: " + program);
    }

    @Test
    void setenvAddsOrOverridesVariablesAndCwdSetsTheWorkingDirectory(@TempDir Path tmp) throws Exception {
        Run.Result r = Run.command(List.of(Run.java(), "--sun-misc-unsafe-memory-access=allow", "-jar",
                Run.jarPath().toString(), "exec", "-E", "A=1", "--setenv", "B=x=y", "-E", "FROM_LAUNCHER", "-E", "UNSET_HERE",
                "-E", "A=2", "--cwd", tmp.toString(), "--", "sh", "-c",
                "echo \"$A|$B|$FROM_LAUNCHER|${UNSET_HERE-unset}|$(pwd)\""), java.util.Map.of("FROM_LAUNCHER", "mine"));
        assertEquals(0, r.status(), r::toString);
        assertEquals("2|x=y|mine||" + tmp.toRealPath() + "\n", r.out());
    }

    @Test
    void connectSocketsReachTheirPeerAndAbstractNamesNeedNoFile(@TempDir Path tmp) throws Exception {
        Path path = tmp.resolve("peer.sock");
        try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             ServerSocketChannel unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            unix.bind(UnixDomainSocketAddress.of(path));
            Run.Result r = Run.launch("exec", "--fd", "3=tcp-connect:127.0.0.1:" + tcp.getLocalPort(), "--fd",
                    "4=unix-connect:" + path, "--", "sh", "-c", "echo to-tcp >&3; echo to-unix >&4");
            assertEquals(0, r.status(), r::toString);
            try (Socket s = tcp.accept(); InputStream in = s.getInputStream()) {
                assertEquals("to-tcp\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            try (SocketChannel c = unix.accept()) {
                ByteBuffer b = ByteBuffer.allocate(100);
                while (c.read(b) > 0) {
                    // until EOF
                }
                assertEquals("to-unix\n", new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
            }
        }
        String name = "rsyscall4j-it-" + ProcessHandle.current().pid();
        Run.Result r = Run.launch("exec", "--listen-fds", "--fd", "3=unix-listen:@" + name, "--", "sh", "-c",
                "grep -c ' @" + name + "$' /proc/net/unix; echo \"$LISTEN_FDNAMES\"");
        assertEquals(0, r.status(), r::toString);
        assertEquals("1\nunix-" + name + "\n", r.out(), "bound in the abstract namespace: " + r);
        assertFalse(Files.readString(Path.of("/proc/net/unix")).contains("@" + name + "\n"), "gone with the program");
    }

    @Test
    void badSocketAndActivationInputIsOneLineNamingTheArgument(@TempDir Path tmp) throws Exception {
        Path marker = tmp.resolve("ran");
        String[] program = {"--", "sh", "-c", "touch " + marker};
        Path bound = tmp.resolve("bound.sock");
        String tooLong = "@" + "n".repeat(108);
        assertOneLine(launch(program, "--fd", "3=sctp-listen:80"), 2, "--fd 3=sctp-listen:80: unknown SPEC");
        assertOneLine(launch(program, "--fd", "3=unix-listen:" + tooLong), 2,
                "unix-listen abstract name is 108 bytes long; the limit is 107");
        assertOneLine(launch(program, "--fd", "3=unix-listen:" + bound, "--fd", "4=unix-connect:" + tmp.resolve("missing")),
                1, "--fd 4=unix-connect:" + tmp.resolve("missing") + ": connect(");
        assertFalse(Files.exists(bound), "the socket bound for a refused run is removed");
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            assertOneLine(launch(program, "--fd", "3=tcp-listen:127.0.0.1:" + busy.getLocalPort()), 1, "EADDRINUSE");
        }
        assertOneLine(launch(program, "--accept", "--fd", "3=udp:0"), 2, "--accept: --fd 3=udp:0 is not a listening");
        assertOneLine(launch(program, "--accept"), 2, "--accept needs a listening socket");
        assertOneLine(launch(program, "--inetd", "--fd", "3=null", "--fd", "4=null"), 2, "--inetd passes exactly one");
        assertOneLine(launch(program, "--listen-fds", "--fdname", "a:b", "--fd", "3=null"), 2, "--fdname gives 2 names for 1 fd");
        assertOneLine(launch(program, "--listen-fds", "--fdname", "a\tb", "--fd", "3=null"), 2, "--fdname a\\x09b: ");
        assertOneLine(launch(program, "-E", "A-B=1"), 2, "--setenv A-B=1: VAR must be");
        assertOneLine(launch(program, "--cwd", tmp.resolve("nowhere").toString()), 2, "--cwd " + tmp.resolve("nowhere"));
        assertFalse(Files.exists(marker), "no bad input ran the program");
    }

    private static Run.Result launch(String[] program, String... options) throws IOException, InterruptedException {
        String[] args = new String[1 + options.length + program.length];
        args[0] = "exec";
        System.arraycopy(options, 0, args, 1, options.length);
        System.arraycopy(program, 0, args, 1 + options.length, program.length);
        return Run.launch(args);
    }

    private static void assertOneLine(Run.Result r, int status, String fragment) {
        assertEquals(status, r.status(), r::toString);
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("rsyscall4j: ") && lines.get(0).contains(fragment), r::toString);
    }
}
