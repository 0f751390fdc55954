package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link Command#start(Task)} on a remote task, over a real sshd on a loopback port (same machine,
 * so the program's fds are checked in {@code /proc}): the program runs on the remote host, its
 * directory, redirect files and pipes are there, it gets exactly the fds asked, and its status
 * comes back from the remote side, through each local provider.
 */
class RemoteCommandTest {
    private static SshFixture sshd;

    @BeforeAll
    static void startSshd() throws Exception {
        sshd = SshFixture.start();
    }

    @AfterAll
    static void stopSshd() throws Exception {
        if (sshd != null) {
            sshd.close();
        }
    }

    @BothProviders
    void aCommandRunsOnTheRemoteHostWithItsDirectoryEnvironmentAndPipes(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            Command c = Command.of("sh", "-c", "read line; echo \"$line $FOO $(pwd) $PPID\"; echo oops >&2; exit 4")
                    .directory(sshd.dir());
            c.environment().put("FOO", "bar");
            ChildProcess p = c.start(remote);
            p.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertEquals("hello bar " + sshd.dir() + " " + remote.pid() + "\n", out, "run by a child of the remote task");
            assertEquals("oops\n", new String(p.getErrorStream().readAllBytes(), StandardCharsets.US_ASCII));
            assertEquals(4, p.waitFor());
            assertTrue(ProcessHandle.of(p.pid()).isEmpty(), "reaped by the remote task");
            assertEquals(remote.pid(), remote.sysif().syscall(io.rsyscall4j.api.Sys.GETPID));
        }
    }

    @BothProviders
    void outputReadsBothRemotePipesToTheEnd(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            ProcessOutput o = Command.of("sh", "-c", "head -c 100000 /dev/zero; echo err >&2").output(remote);
            assertEquals(0, o.status());
            assertEquals(100_000, o.stdout().length);
            assertEquals("err\n", new String(o.stderr(), StandardCharsets.US_ASCII));
        }
    }

    @BothProviders
    void redirectFilesAreOpenedOnTheRemoteHost(String provider) throws Exception {
        Path in = Files.writeString(sshd.dir().resolve("in-" + provider), "from a file\n");
        Path out = sshd.dir().resolve("out-" + provider);
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            Command.of("cat").redirectInput(Redirect.from(in.toFile())).redirectOutput(Redirect.to(out.toFile()))
                    .start(remote).check();
            assertEquals("from a file\n", Files.readString(out));
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> Command.of("cat").redirectInput(Redirect.from(sshd.dir().resolve("missing").toFile())).start(remote));
            assertEquals("ENOENT", e.errnoName());
        }
    }

    @BothProviders
    void aRemoteProgramGetsExactlyTheFdsGivenAndInheritsTheRemoteTasksStdio(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider));
                FileDescriptor file = remote.open(sshd.dir().resolve("fd5-" + provider).toString(),
                        OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0600)) {
            ChildProcess sleep = Command.of("sleep", "1000").inheritIO().fd(5, file).start(remote);
            // In clock_nanosleep (230): past the dynamic loader's own brief fds.
            Kernel.await("sleep sleeps", Duration.ofSeconds(30), () -> RemoteChildTaskTest.blockedIn(sleep.pid(), 230));
            Map<Integer, String> fds = Kernel.fds("/proc/" + sleep.pid() + "/fd");
            assertEquals(Set.of(0, 1, 2, 5), fds.keySet());
            assertEquals("/dev/null", fds.get(0), "the remote task's stdin");
            assertEquals(sshd.dir().resolve("fd5-" + provider).toString(), fds.get(5));
            sleep.destroy();
            assertEquals(128 + 15, sleep.waitFor());
        }
    }

    @BothProviders
    void aLocalFdForARemoteProgramAndNamespacesAreRefusedStartingNothing(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        try (RemoteTask remote = sshd.ssh().connect(local); Pipe p = local.pipe()) {
            Map<Integer, String> before = Kernel.fds("/proc/" + remote.pid() + "/fd");
            RuntimeException e = assertThrows(IllegalArgumentException.class,
                    () -> Command.of("true").fd(5, p.read()).start(remote));
            assertTrue(e.getMessage().startsWith("can't inherit fd " + p.read().number() + " of " + local), e.getMessage());
            UnsupportedOperationException ns = assertThrows(UnsupportedOperationException.class,
                    () -> Command.of("true").unshare(CloneFlag.NEWUSER).start(remote));
            assertTrue(ns.getMessage().contains("not supported yet"), ns.getMessage());
            assertEquals(before, Kernel.fds("/proc/" + remote.pid() + "/fd"), "nothing left open on the remote host");
        }
    }
}
