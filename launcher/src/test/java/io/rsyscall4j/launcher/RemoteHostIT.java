package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rsyscall4j exec --host}, from the packaged jar, against a real sshd on a loopback port
 * (same machine: the program lists its own fds in {@code /proc}): the program runs as a child of
 * the remote server, with the fds opened there, socket activation's environment, and its exit
 * status back; bad input is one message and exit status 2, ssh's failures 255.
 */
class RemoteHostIT {
    private static final Pattern FD_LINE = Pattern.compile(" (\\d+) -> (.*)$");
    private static Sshd sshd;

    @BeforeAll
    static void startSshd() throws Exception {
        sshd = Sshd.start();
    }

    @AfterAll
    static void stopSshd() throws Exception {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void theProgramRunsOnTheHostWithTheFdsOpenedThereAndItsStatusComesBack(@TempDir Path tmp) throws Exception {
        Path in = Files.writeString(tmp.resolve("in.txt"), "input");
        Path out = tmp.resolve("out.txt");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Run.Result r = Run.launch(args("--fd", "1=file:" + out + ":w", "--fd", "3=tcp-listen:127.0.0.1:" + port,
                "--fd", "4=file:" + in, "--listen-fds", "--",
                "sh", "-c", "echo $LISTEN_FDS $LISTEN_PID $$; readlink /proc/$PPID/exe; ls -l /proc/$$/fd; exit 3"));
        assertEquals(3, r.status(), r::toString);
        List<String> lines = Files.readAllLines(out);
        String[] activation = lines.get(0).split(" ");
        assertEquals("2", activation[0], "LISTEN_FDS: " + lines);
        assertEquals(activation[2], activation[1], "LISTEN_PID is the program's own pid");
        assertTrue(lines.get(1).contains("rsyscall4j-server."), "run by the remote server: " + lines);
        Map<Integer, String> fds = new TreeMap<>();
        for (String line : lines) {
            Matcher m = FD_LINE.matcher(line);
            if (m.find()) {
                fds.put(Integer.parseInt(m.group(1)), m.group(2));
            }
        }
        assertEquals(List.of(0, 1, 2, 3, 4), List.copyOf(fds.keySet()), lines::toString);
        assertEquals("/dev/null", fds.get(0), "the remote task's stdin");
        assertEquals(out.toString(), fds.get(1));
        assertTrue(fds.get(3).startsWith("socket:"), fds.toString());
        assertEquals(in.toString(), fds.get(4));
    }

    @Test
    void withoutAnFd1TheProgramsOutputComesToTheLaunchersStdout() throws Exception {
        Run.Result r = Run.launch(args("--", "sh", "-c", "echo first; seq 1 200000 | tail -n 1; ls -l /proc/$$/fd/0; exit 4"));
        assertEquals(4, r.status(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals(List.of("first", "200000"), lines.subList(0, 2), r::toString);
        assertTrue(lines.get(2).endsWith("/fd/0 -> /dev/null"), "stdin stays /dev/null: " + r);
        Run.Result big = Run.launch(args("--", "seq", "1", "300000"));
        assertEquals(0, big.status(), big::toString);
        List<String> all = big.out().lines().toList();
        assertEquals(300000, all.size(), "every line of a 2 MB output");
        assertEquals("300000", all.get(all.size() - 1));
    }

    @Test
    void badInputIsOneMessageAndStatusTwoAndSshsFailuresAre255() throws Exception {
        Run.Result noHost = Run.launch("exec", "--ssh-option=-v", "--", "true");
        assertEquals(2, noHost.status(), noHost::toString);
        assertTrue(noHost.err().contains("--ssh-option needs --host"), noHost::toString);
        Run.Result sandbox = Run.launch(args("--unshare", "user", "--", "true"));
        assertEquals(2, sandbox.status(), sandbox::toString);
        assertTrue(sandbox.err().contains("not supported on another host"), sandbox::toString);
        Run.Result inherit = Run.launch(args("--fd", "3=inherit:0", "--", "true"));
        assertEquals(2, inherit.status(), inherit::toString);
        Run.Result refused = Run.launch("exec", "--host", sshd.destination(), "--ssh-option=-F", "--ssh-option=/dev/null",
                "--ssh-option=-p", "--ssh-option=1", "--ssh-option=-o", "--ssh-option=BatchMode=yes", "--", "true");
        assertEquals(255, refused.status(), refused::toString);
        assertTrue(refused.err().contains("Connection refused"), refused::toString);
    }

    @Test
    void helpListsTheHostOptions() throws Exception {
        Run.Result r = Run.launch("exec", "--help");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("--host=[USER@]HOST"), r::toString);
        assertTrue(r.out().contains("--ssh-option=OPT"), r::toString);
    }

    /** {@code exec --host} to the test's sshd with its options, then {@code rest}. */
    private static String[] args(String... rest) {
        List<String> all = new ArrayList<>(List.of("exec", "--host", sshd.destination()));
        for (String o : sshd.sshOptions()) {
            all.add("--ssh-option=" + o);
        }
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }
}
