package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallSendError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What goes wrong with a remote task, against a real sshd: ssh's own errors and a kernel too old
 * (fault injection) each raise one {@link RemoteConnectException} with ssh's message; the ssh
 * client, the remote server or the remote sshd session killed while a call waits gives that call
 * a {@link SyscallHangup} and later calls a {@link SyscallSendError}. Every time nothing is left
 * running on either side and the JVM's fds are as before.
 */
class RemoteFailureTest {
    private static SshFixture sshd;
    private Map<Integer, String> fdsBefore;

    @BeforeAll
    static void startSshd() throws Exception {
        sshd = SshFixture.start();
        sshd.ssh().connect(Rsyscall.local("ffm")).close(); // fdcore's and the providers' own fds, made once
        sshd.ssh().connect(Rsyscall.local("jna")).close();
    }

    @AfterAll
    static void stopSshd() throws Exception {
        if (sshd != null) {
            sshd.close();
        }
    }

    @AfterEach
    void nothingIsLeftRunning() {
        Kernel.await("no ssh client, remote server or extra sshd session left", Duration.ofSeconds(30),
                () -> sshChildrenOfTheJvm().isEmpty() && remoteServers().isEmpty() && sshdSessions().isEmpty());
        if (fdsBefore != null) {
            FdSnapshot.assertUnchanged(fdsBefore, "after the failure");
        }
    }

    @Test
    void aClosedPortIsOneNamedErrorWithSshsMessage() throws Exception {
        fdsBefore = FdSnapshot.take();
        RemoteConnectException e = assertThrows(RemoteConnectException.class, () -> Ssh.to(sshd.destination())
                .options(SshFixture.sshOptions(SshFixture.freePort(), sshd.dir().resolve("user_key"), sshd.dir().resolve("known_hosts")))
                .connect());
        assertTrue(e.getMessage().startsWith("ssh to " + sshd.destination() + " failed (exit status 255)"), e.getMessage());
        assertTrue(e.sshMessage().contains("Connection refused"), e.sshMessage());
    }

    @Test
    void anUnknownHostIsOneNamedError() throws Exception {
        fdsBefore = FdSnapshot.take();
        RemoteConnectException e = assertThrows(RemoteConnectException.class, () -> Ssh.to("no-such-host.invalid")
                .options(sshd.sshOptions()).connect());
        assertTrue(e.sshMessage().contains("no-such-host.invalid"), e.sshMessage());
    }

    @Test
    void aRejectedKeyIsOneNamedError() throws Exception {
        Path other = sshd.otherKey("rejected_key");
        fdsBefore = FdSnapshot.take();
        RemoteConnectException e = assertThrows(RemoteConnectException.class, () -> Ssh.to(sshd.destination())
                .options(SshFixture.sshOptions(sshd.port(), other, sshd.dir().resolve("known_hosts"))).connect());
        assertTrue(e.sshMessage().contains("Permission denied"), e.sshMessage());
    }

    @Test
    void aHostKeyMismatchIsOneNamedError() throws Exception {
        Path wrongHosts = sshd.dir().resolve("wrong_known_hosts");
        Files.writeString(wrongHosts, "[127.0.0.1]:" + sshd.port() + " "
                + Files.readString(Path.of(sshd.otherKey("impostor_key") + ".pub")));
        fdsBefore = FdSnapshot.take();
        RemoteConnectException e = assertThrows(RemoteConnectException.class, () -> Ssh.to(sshd.destination())
                .options(SshFixture.sshOptions(sshd.port(), sshd.dir().resolve("user_key"), wrongHosts)).connect());
        assertTrue(e.sshMessage().contains("Host key verification failed"), e.sshMessage());
    }

    @Test
    void aKernelTooOldIsOneNamedErrorFaultInjected() throws Exception {
        fdsBefore = FdSnapshot.take();
        RemoteConnectException e = assertThrows(RemoteConnectException.class,
                () -> sshd.ssh().faultInjectKernelRelease("5.10.0-28-amd64").connect());
        assertEquals("the kernel of " + sshd.destination() + " is Linux 5.10.0-28-amd64; remote tasks need Linux 5.11 or newer",
                e.getMessage());
    }

    @BothProviders
    void killingTheSshClientMidCallIsAHangup(String provider) throws Exception {
        killedMidCall(provider, remote -> remote.connection().ssh().pid());
    }

    @BothProviders
    void killingTheRemoteServerMidCallIsAHangup(String provider) throws Exception {
        killedMidCall(provider, RemoteTask::pid);
    }

    @BothProviders
    void killingTheRemoteSshdSessionMidCallIsAHangup(String provider) throws Exception {
        killedMidCall(provider, remote -> parentOf(remote.pid()));
    }

    /** Runs a read that blocks in the remote task, kills the process {@code victim} names, and checks what follows. */
    private void killedMidCall(String provider, Victim victim) throws Exception {
        fdsBefore = FdSnapshot.take();
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            Pipe p = remote.pipe();
            TestThread reader = TestThread.start("blocked remote read", () -> {
                SyscallHangup e = assertThrows(SyscallHangup.class, () -> p.read().read(1));
                assertTrue(e.getMessage().contains("read was sent to the remote server on " + sshd.destination()), e.getMessage());
            });
            int server = remote.pid();
            Kernel.await("the remote read to block", Duration.ofSeconds(30), () -> blockedInRead(server, p.read().number()));
            assertEquals(List.of((long) server), remoteServers(), "the running server is one that nothingIsLeftRunning sees");
            long pid = victim.pid(remote);
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            reader.join();
            assertThrows(SyscallSendError.class, () -> remote.sysif().syscall(Sys.GETPID), "later calls are not sent");
            Kernel.await("the remote server to end", Duration.ofSeconds(30), () -> Kernel.processEnded(server));
        }
    }

    @FunctionalInterface
    interface Victim {
        long pid(RemoteTask remote) throws IOException;
    }

    /** Whether {@code pid} is in {@code read(fd, ...)} now ({@code /proc/PID/syscall}: number, then arguments in hex). */
    private static boolean blockedInRead(int pid, int fd) {
        try {
            String[] f = Files.readString(Path.of("/proc/" + pid + "/syscall")).trim().split(" ");
            return f[0].equals("0") && f[1].equals("0x" + Integer.toHexString(fd));
        } catch (IOException e) {
            return false;
        }
    }

    static long parentOf(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }

    /** Pids of the JVM's children that run ssh, zombies included (not yet reaped). */
    private static List<Long> sshChildrenOfTheJvm() {
        long jvm = ProcessHandle.current().pid();
        return processes().stream().filter(pid -> {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                return stat.contains("(ssh)") && parentOf(pid) == jvm;
            } catch (IOException e) {
                return false;
            }
        }).toList();
    }

    /**
     * Pids of processes running a remote server (its file is removed once opened: "(deleted)")
     * reached through this test's sshd, orphaned or not: their {@code SSH_CONNECTION} names its
     * port, so servers of other runs on the same machine do not count.
     */
    static List<Long> remoteServers() {
        String port = " " + sshd.port();
        return processes().stream().filter(pid -> {
            try {
                if (!Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString().contains("/rsyscall4j-server.")) {
                    return false;
                }
                for (String entry : Files.readString(Path.of("/proc/" + pid + "/environ"), StandardCharsets.ISO_8859_1).split("\0")) {
                    if (entry.startsWith("SSH_CONNECTION=") && entry.endsWith(port)) {
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        }).toList();
    }

    /** Pids of the test sshd's per-connection processes (its children). */
    private static List<Long> sshdSessions() {
        long listener = sshdPid();
        return processes().stream().filter(pid -> {
            try {
                return parentOf(pid) == listener;
            } catch (IOException e) {
                return false;
            }
        }).toList();
    }

    private static long sshdPid() {
        try {
            return Long.parseLong(Files.readString(sshd.dir().resolve("sshd.pid")).trim());
        } catch (IOException e) {
            throw new AssertionError("read sshd's pid file", e);
        }
    }

    private static List<Long> processes() {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .forEach(n -> out.add(Long.parseLong(n)));
        } catch (IOException e) {
            throw new AssertionError("list /proc", e);
        }
        return out;
    }
}
