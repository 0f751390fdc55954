package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rsyscall4j exec} against {@code systemd-socket-activate} itself: the same program, run by
 * each with the same sockets asked for, sees the same {@code LISTEN_*} variables ({@code LISTEN_PID}
 * its own pid under both) and the same kinds of fds at the same numbers — in listen, accept,
 * datagram and inetd modes. The program is a Python probe that reports what it got.
 */
class SocketActivationIT {
    private static final String SSA = "systemd-socket-activate";
    private static final String PYTHON = "/usr/bin/python3";
    /** Prints the LISTEN_* variables (LISTEN_PID as "getpid()" if it is the probe's own pid) and fds 0-7: kind and, unless connected, name. */
    private static final String PROBE = String.join("\n",
            "import os, socket, stat",
            "pid = os.environ.get('LISTEN_PID')",
            "lines = ['LISTEN_PID=' + ('getpid()' if pid == str(os.getpid()) else repr(pid))]",
            "lines += [v + '=' + repr(os.environ.get(v)) for v in ('LISTEN_FDS', 'LISTEN_FDNAMES')]",
            "for fd in range(8):",
            "    try:",
            "        st = os.fstat(fd)",
            "    except OSError:",
            "        continue",
            "    if not stat.S_ISSOCK(st.st_mode):",
            "        lines.append('%d not a socket' % fd)",
            "        continue",
            "    s = socket.socket(fileno=fd)",
            "    try:",
            "        listening = s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)",
            "        try:",
            "            s.getpeername()",
            "            state = 'connected'",
            "        except OSError:",
            "            state = ('listening ' if listening else 'bound ') + repr(s.getsockname())",
            "        lines.append('%d %s %s %s' % (fd, s.family.name, s.type.name, state))",
            "    finally:",
            "        s.detach()",
            "print('\\n'.join(lines + ['end']), flush=True)");

    @Test
    void listenModeGivesTheSameVariablesAndSocketsAsSystemd(@TempDir Path tmp) throws Exception {
        int port = freePort();
        String unix = tmp.resolve("admin.sock").toString();
        String seq = tmp.resolve("seq.sock").toString();
        List<String> ours;
        try (Launched l = Launched.ours("exec", "--listen-fds", "--fdname", "web:admin", "--fd",
                "3=tcp-listen:127.0.0.1:" + port, "--fd", "4=unix-listen:" + unix, "--", PYTHON, "-c", PROBE)) {
            ours = l.outUntil("end");
            assertEquals(0, l.awaitExit());
        }
        List<String> theirs;
        try (Launched l = Launched.start(List.of(SSA, "-l", "127.0.0.1:" + port, "-l", unix, "--fdname", "web:admin",
                PYTHON, "-c", PROBE))) {
            l.awaitErr(line -> line.contains("as 4."), "saying it listens on both");
            new Socket("127.0.0.1", port).close(); // systemd-socket-activate starts the program on the first connection
            theirs = l.outUntil("end");
            assertEquals(0, l.awaitExit());
        }
        assertEquals(theirs, ours);
        assertTrue(ours.contains("3 AF_INET SOCK_STREAM listening ('127.0.0.1', " + port + ")"), ours::toString);
        assertTrue(ours.contains("LISTEN_PID=getpid()") && ours.contains("LISTEN_FDS='2'"), ours::toString);

        List<String> oursSeq;
        try (Launched l = Launched.ours("exec", "--listen-fds", "--fdname", "seq", "--fd", "3=unix-seqpacket:" + seq,
                "--", PYTHON, "-c", PROBE)) {
            oursSeq = l.outUntil("end");
            assertEquals(0, l.awaitExit());
        }
        List<String> theirsSeq;
        try (Launched l = Launched.start(List.of(SSA, "--seqpacket", "-l", seq, "--fdname", "seq", PYTHON, "-c", PROBE))) {
            l.awaitErr(line -> line.contains("as 3."), "saying it listens");
            connectSeqpacket(seq);
            theirsSeq = l.outUntil("end");
            assertEquals(0, l.awaitExit());
        }
        assertEquals(theirsSeq, oursSeq);
        assertTrue(oursSeq.contains("3 AF_UNIX SOCK_SEQPACKET listening '" + seq + "'"), oursSeq::toString);
    }

    @Test
    void datagramModeGivesTheSameVariablesAndSocketAsSystemd() throws Exception {
        int port = freeUdpPort();
        List<String> ours;
        try (Launched l = Launched.ours("exec", "--listen-fds", "--fdname", "dns", "--fd", "3=udp:127.0.0.1:" + port,
                "--", PYTHON, "-c", PROBE)) {
            ours = l.outUntil("end");
            assertEquals(0, l.awaitExit());
        }
        List<String> theirs;
        try (Launched l = Launched.start(List.of(SSA, "--datagram", "-l", "127.0.0.1:" + port, "--fdname", "dns",
                PYTHON, "-c", PROBE))) {
            l.awaitErr(line -> line.contains("as 3."), "saying it listens");
            try (DatagramSocket d = new DatagramSocket()) {
                d.send(new DatagramPacket(new byte[] {1}, 1, InetAddress.getLoopbackAddress(), port));
            }
            theirs = l.outUntil("end");
            assertEquals(0, l.awaitExit());
        }
        assertEquals(theirs, ours);
        assertTrue(ours.contains("3 AF_INET SOCK_DGRAM bound ('127.0.0.1', " + port + ")"), ours::toString);
    }

    @Test
    void acceptModeRunsTheProgramPerConnectionAsSystemdDoes(@TempDir Path tmp) throws Exception {
        List<List<String>> runs = new ArrayList<>();
        for (boolean systemd : new boolean[] {false, true}) {
            Path path = tmp.resolve(systemd ? "theirs.sock" : "ours.sock");
            try (Launched l = systemd
                    ? Launched.start(List.of(SSA, "--accept", "-l", path.toString(), "--fdname", "conn", PYTHON, "-c", PROBE))
                    : Launched.ours("exec", "--trace", "--accept", "--fdname", "conn", "--fd", "3=unix-listen:" + path, "--",
                            PYTHON, "-c", PROBE)) {
                l.awaitErr(line -> line.contains(systemd ? "Listening on" : "accepting connections on"), "saying it listens");
                for (int connection = 0; connection < 2; connection++) {
                    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                        c.connect(UnixDomainSocketAddress.of(path));
                        runs.add(l.outUntil("end"));
                    }
                }
                l.kill("TERM");
                assertEquals(128 + 15, l.awaitExit(), "ended by SIGTERM");
            }
        }
        assertEquals(runs.get(2), runs.get(0));
        assertEquals(runs.get(0), runs.get(1), "each connection's program sees the same");
        assertEquals(List.of("LISTEN_PID=getpid()", "LISTEN_FDS='1'", "LISTEN_FDNAMES='conn'", "0 not a socket",
                "1 not a socket", "2 not a socket", "3 AF_UNIX SOCK_STREAM connected"), runs.get(0));
    }

    @Test
    void inetdAcceptModeGivesTheConnectionAsStdinAndStdoutAsSystemdDoes() throws Exception {
        List<List<String>> runs = new ArrayList<>();
        for (boolean systemd : new boolean[] {false, true}) {
            int port = freePort();
            try (Launched l = systemd
                    ? Launched.start(List.of(SSA, "--accept", "--inetd", "-l", "127.0.0.1:" + port, PYTHON, "-c", PROBE))
                    : Launched.ours("exec", "--trace", "--accept", "--inetd", "--fd", "3=tcp-listen:127.0.0.1:" + port,
                            "--", PYTHON, "-c", PROBE)) {
                l.awaitErr(line -> line.contains(systemd ? "Listening on" : "accepting connections on"), "saying it listens");
                try (Socket s = new Socket("127.0.0.1", port);
                     BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
                    runs.add(in.lines().takeWhile(line -> !line.equals("end")).toList());
                }
                l.kill("INT");
                assertEquals(128 + 2, l.awaitExit(), "ended by SIGINT");
            }
        }
        assertEquals(runs.get(1), runs.get(0));
        assertEquals(List.of("LISTEN_PID=None", "LISTEN_FDS=None", "LISTEN_FDNAMES=None",
                "0 AF_INET SOCK_STREAM connected", "1 AF_INET SOCK_STREAM connected", "2 not a socket"), runs.get(0));
    }

    @Test
    void listenPidIsTheProgramsPidInItsOwnPidNamespace() throws Exception {
        Run.Result r = Run.launch("exec", "--unshare", "pid", "--listen-fds", "--fd", "3=null", "--", "sh", "-c",
                "echo \"$LISTEN_PID $$\"");
        assertEquals(0, r.status(), r::toString);
        assertEquals("1 1\n", r.out(), "the program is pid 1 of its new pid namespace, and LISTEN_PID says so");
    }

    /** A seqpacket connection, made by Python (the JDK has no seqpacket sockets). */
    private static void connectSeqpacket(String path) throws Exception {
        Process p = new ProcessBuilder(PYTHON, "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX,"
                + " socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.close()", path).inheritIO().start();
        assertEquals(0, p.waitFor());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return d.getLocalPort();
        }
    }
}
