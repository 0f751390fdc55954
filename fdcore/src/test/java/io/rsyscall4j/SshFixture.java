package io.rsyscall4j;

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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real OpenSSH server for the remote-task tests: {@code /usr/sbin/sshd} on a free loopback port,
 * with a host key and a user key made for the run in a private directory, accepting the current
 * user with that key only, and the {@code ssh} options that reach it ({@link #sshOptions}).
 *
 * <p>Tests are skipped only on a developer machine without sshd installed; on CI ({@code CI} set in
 * the environment) a missing sshd fails them, and an installed sshd that does not start fails
 * them everywhere.
 */
final class SshFixture implements AutoCloseable {
    static final Path SSHD = Path.of("/usr/sbin/sshd");

    private final Path dir;
    private final Process sshd;
    private final int port;
    private final StringBuilder log = new StringBuilder();

    private SshFixture(Path dir, Process sshd, int port) {
        this.dir = dir;
        this.sshd = sshd;
        this.port = port;
    }

    /** Starts sshd, or skips the calling test if sshd is not installed here and this is no CI run. */
    static SshFixture start() throws IOException, InterruptedException {
        if (!Files.isExecutable(SSHD)) {
            if (System.getenv("CI") != null) {
                fail(SSHD + " is not installed, and CI must run the remote-task tests (.ci/run installs openssh-server)");
            }
            Assumptions.abort("remote-task tests need OpenSSH's server: " + SSHD + " is not installed (apt-get install openssh-server)");
        }
        // Private from the first syscall: mkdir with mode 0700.
        Path dir = Files.createTempDirectory("rsyscall4j-sshd",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            keygen(dir.resolve("host_key"));
            keygen(dir.resolve("user_key"));
            Files.copy(dir.resolve("user_key.pub"), dir.resolve("authorized_keys"));
            if (System.getProperty("user.name").equals("root")) {
                Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation directory
            }
            for (int attempt = 0; ; attempt++) {
                int port = freePort();
                Files.writeString(dir.resolve("known_hosts"),
                        "[127.0.0.1]:" + port + " " + Files.readString(dir.resolve("host_key.pub")));
                Files.writeString(dir.resolve("sshd_config"), String.join("\n",
                        "ListenAddress 127.0.0.1",
                        "Port " + port,
                        "HostKey " + dir.resolve("host_key"),
                        "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                        "PidFile " + dir.resolve("sshd.pid"),
                        "UsePAM no",
                        "StrictModes no", // the directory is under /tmp, which is world-writable
                        "PubkeyAuthentication yes",
                        "PasswordAuthentication no",
                        "KbdInteractiveAuthentication no",
                        "PermitRootLogin prohibit-password",
                        "LogLevel INFO",
                        ""));
                Process sshd = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd_config").toString())
                        .redirectErrorStream(true).start();
                SshFixture f = new SshFixture(dir, sshd, port);
                if (f.awaitListening()) {
                    return f;
                }
                f.stopProcess();
                if (!f.log.toString().contains("Address already in use") || attempt == 3) {
                    fail(SSHD + " is installed but did not start:\n" + f.log);
                }
            }
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            deleteTree(dir);
            throw e;
        }
    }

    /** ssh's options for this server: port, key, its own known-hosts file, no prompts, no user config. */
    List<String> sshOptions() {
        return sshOptions(port, dir.resolve("user_key"), dir.resolve("known_hosts"));
    }

    /** ssh's options with another port, key or known-hosts file (for tests of ssh's errors). */
    static List<String> sshOptions(int port, Path key, Path knownHosts) {
        return new ArrayList<>(List.of("-F", "/dev/null", "-p", Integer.toString(port),
                "-i", key.toString(), "-o", "IdentitiesOnly=yes",
                "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=30"));
    }

    /** A new key pair in the run's directory, which this server does not accept: {@code name} and {@code name.pub}. */
    Path otherKey(String name) throws IOException, InterruptedException {
        Path key = dir.resolve(name);
        if (!Files.exists(key)) {
            keygen(key);
        }
        return key;
    }

    /** {@code user@127.0.0.1}, the current user. */
    String destination() {
        return System.getProperty("user.name") + "@127.0.0.1";
    }

    int port() {
        return port;
    }

    /** The run's private directory (keys, config, known hosts). */
    Path dir() {
        return dir;
    }

    /** A connection to this server, with its options. */
    Ssh ssh() {
        return Ssh.to(destination()).options(sshOptions());
    }

    /** Reads sshd's log until it listens (true) or ends (false); then drains it in the background. */
    private boolean awaitListening() throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(sshd.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
            synchronized (log) {
                log.append(line).append('\n');
            }
            if (line.startsWith("Server listening on 127.0.0.1 port " + port)) {
                Thread drain = new Thread(() -> {
                    try {
                        for (String l; (l = r.readLine()) != null; ) {
                            synchronized (log) {
                                log.append(l).append('\n');
                            }
                        }
                    } catch (IOException e) {
                        // sshd ended
                    }
                }, "sshd-log");
                drain.setDaemon(true);
                drain.start();
                return true;
            }
        }
        return false;
    }

    /** What sshd has logged so far. */
    String log() {
        synchronized (log) {
            return log.toString();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            stopProcess();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while stopping sshd");
        } finally {
            deleteTree(dir);
        }
    }

    private void stopProcess() throws InterruptedException {
        sshd.destroy();
        if (!sshd.waitFor(30, TimeUnit.SECONDS)) {
            sshd.destroyForcibly().waitFor();
        }
    }

    private static void keygen(Path key) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "rsyscall4j-test", "-f", key.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            fail("ssh-keygen for " + key + " failed:\n" + out);
        }
    }

    /** A loopback port nobody listens on (at the time of the call). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
