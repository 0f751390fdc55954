package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real OpenSSH server for the launcher's {@code --host} tests, as fdcore's remote-task tests
 * run one: {@code /usr/sbin/sshd} on a free loopback port with keys made for the run in a private
 * directory. Skipped without sshd only outside CI.
 */
final class Sshd implements AutoCloseable {
    private static final Path SSHD = Path.of("/usr/sbin/sshd");

    private final Path dir;
    private final Process sshd;
    private final int port;

    private Sshd(Path dir, Process sshd, int port) {
        this.dir = dir;
        this.sshd = sshd;
        this.port = port;
    }

    static Sshd start() throws IOException, InterruptedException {
        if (!Files.isExecutable(SSHD)) {
            if (System.getenv("CI") != null) {
                fail(SSHD + " is not installed, and CI must run the --host tests (.ci/run installs openssh-server)");
            }
            Assumptions.abort("--host tests need OpenSSH's server: " + SSHD + " is not installed");
        }
        Path dir = Files.createTempDirectory("rsyscall4j-sshd",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        keygen(dir.resolve("host_key"));
        keygen(dir.resolve("user_key"));
        Files.copy(dir.resolve("user_key.pub"), dir.resolve("authorized_keys"));
        if (System.getProperty("user.name").equals("root")) {
            Files.createDirectories(Path.of("/run/sshd"));
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("known_hosts"), "[127.0.0.1]:" + port + " " + Files.readString(dir.resolve("host_key.pub")));
        Files.writeString(dir.resolve("sshd_config"), String.join("\n", "ListenAddress 127.0.0.1", "Port " + port,
                "HostKey " + dir.resolve("host_key"), "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "PidFile " + dir.resolve("sshd.pid"), "UsePAM no", "StrictModes no", "PasswordAuthentication no",
                "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password", ""));
        Process p = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd_config").toString())
                .redirectErrorStream(true).start();
        Sshd sshd = new Sshd(dir, p, port);
        BufferedReader log = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder said = new StringBuilder();
        for (String line; (line = log.readLine()) != null; ) {
            said.append(line).append('\n');
            if (line.startsWith("Server listening on 127.0.0.1 port " + port)) {
                Thread drain = new Thread(() -> {
                    try {
                        log.transferTo(java.io.Writer.nullWriter());
                    } catch (IOException e) {
                        // sshd ended
                    }
                }, "sshd-log");
                drain.setDaemon(true);
                drain.start();
                return sshd;
            }
        }
        sshd.close();
        throw new AssertionError(SSHD + " did not start:\n" + said);
    }

    /** {@code user@127.0.0.1}, the current user. */
    String destination() {
        return System.getProperty("user.name") + "@127.0.0.1";
    }

    /** The launcher's {@code --ssh-option}s that reach this server (no prompts, no user config). */
    List<String> sshOptions() {
        return List.of("-F", "/dev/null", "-p", Integer.toString(port), "-i", dir.resolve("user_key").toString(),
                "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + dir.resolve("known_hosts"),
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR");
    }

    int port() {
        return port;
    }

    @Override
    public void close() throws IOException {
        sshd.destroy();
        try {
            if (!sshd.waitFor(30, TimeUnit.SECONDS)) {
                sshd.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void keygen(Path key) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            fail("ssh-keygen for " + key + " failed:\n" + out);
        }
    }
}
