package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A task on another host, over a real sshd on a loopback port (same machine, so each remote fd is
 * checked in {@code /proc/<remote pid>/fd}): the fd lifecycle, pipes, files, sockets and memory
 * carried over the connection, through each local provider.
 */
class RemoteTaskTest {
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
    void aRemoteTaskIsItsOwnProcessWithDevNullAsStdinAndStdout(String provider) throws Exception {
        sshd.ssh().connect(Rsyscall.local(provider)).close(); // the provider's and fdcore's own fds, made once
        Map<Integer, String> before = FdSnapshot.take();
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            assertNotEquals(ProcessHandle.current().pid(), remote.pid());
            assertEquals(remote.pid(), remote.sysif().syscall(Sys.GETPID), "getpid runs in the remote task");
            assertEquals("remote(" + sshd.destination() + ")", remote.sysif().provider());
            Map<Integer, String> fds = Kernel.fds("/proc/" + remote.pid() + "/fd");
            assertEquals("/dev/null", fds.get(0), "stdin");
            assertEquals("/dev/null", fds.get(1), "stdout");
            assertFalse(fds.containsKey(3), "the server's file is closed: " + fds);
            assertEquals(List.of(fds.get(64), fds.get(65)), remote.serverFds().stream().map(fd -> fds.get(fd.number())).toList(),
                    "the connection is at 64 and 65, held by the task");
            assertTrue(Files.readSymbolicLink(Path.of("/proc/" + remote.pid() + "/exe")).toString().contains("(deleted)"),
                    "the server's file was removed once opened");
        }
        FdSnapshot.assertUnchanged(before, "after a remote task was closed");
    }

    @BothProviders
    void filesOpenedRemotelyAreReadAndWrittenThroughTheConnection(String provider) throws Exception {
        Path file = sshd.dir().resolve("data-" + provider);
        byte[] data = new byte[200_000]; // more than one scratch buffer and one transfer
        new Random(7).nextBytes(data);
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            try (FileDescriptor fd = remote.open(file.toString(), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600)) {
                assertEquals(file.toString(), Kernel.fds("/proc/" + remote.pid() + "/fd").get(fd.number()));
                fd.writeAll(data);
                assertEquals(0, fd.lseek(0, 0));
                byte[] back = new byte[data.length];
                for (int n = 0; n < back.length; ) {
                    n += fd.read(back, n, back.length - n);
                }
                assertArrayEquals(data, back);
            }
            assertArrayEquals(data, Files.readAllBytes(file), "the remote task wrote the file");
            ErrnoException e = assertThrows(ErrnoException.class, () -> remote.open(file + "-missing", OpenFlags.O_RDONLY));
            assertEquals("ENOENT", e.errnoName());
            assertTrue(e.getMessage().contains(file + "-missing"), e.getMessage());
        }
    }

    @BothProviders
    void handlesCloseTheirRemoteFdExactlyOnceAndGarbageIsClosedThroughTheConnection(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            String fdDir = "/proc/" + remote.pid() + "/fd";
            Pipe p = remote.pipe();
            assertTrue(Kernel.fds(fdDir).get(p.read().number()).startsWith("pipe:"));
            p.write().writeAll("over there".getBytes(StandardCharsets.UTF_8));
            assertEquals("over there", new String(p.read().read(100), StandardCharsets.UTF_8));
            FileDescriptor copy = p.read().forTask(remote);
            assertFalse(p.read().invalidate(), "another handle still holds the fd");
            assertTrue(Kernel.fds(fdDir).containsKey(copy.number()));
            assertTrue(copy.invalidate(), "the last handle closes the fd");
            assertFalse(Kernel.fds(fdDir).containsKey(copy.number()), "closed in the remote table");
            FileDescriptor dup = p.write().dup2(remote.makeFdHandle(50));
            assertEquals(Kernel.fds(fdDir).get(p.write().number()), Kernel.fds(fdDir).get(50));
            dup.close();
            int dropped = p.write().number();
            List<WeakReference<Object>> refs = List.of(new WeakReference<>(p.write()));
            p = null;
            Kernel.gcUntilCleared(refs);
            Kernel.await("the dropped handle's fd to close in the remote task", Duration.ofSeconds(30), () -> {
                try {
                    remote.runFdTableGc();
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
                return !Kernel.fds(fdDir).containsKey(dropped);
            });
        }
    }

    @BothProviders
    void aRemoteSocketListensAndAcceptsOnTheRemoteHost(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider));
                FileDescriptor listener = remote.listen(new InetSocketAddress("127.0.0.1", 0), SocketType.STREAM, 4)) {
            InetSocketAddress at = (InetSocketAddress) Sockets.localAddress(listener);
            try (Socket client = new Socket(at.getAddress(), at.getPort());
                    FileDescriptor accepted = remote.accept(listener)) {
                client.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
                assertEquals("hello", new String(accepted.read(5), StandardCharsets.UTF_8));
                assertTrue(Kernel.fds("/proc/" + remote.pid() + "/fd").get(accepted.number()).startsWith("socket:"));
            }
        }
    }

    @BothProviders
    void unshareFilesGivesTheRemoteTaskAFreshTableKeepingItsHandles(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            Pipe p = remote.pipe();
            var before = remote.fdTable();
            remote.unshareFiles();
            assertNotEquals(before, remote.fdTable());
            p.write().writeAll(new byte[] {42});
            assertArrayEquals(new byte[] {42}, p.read().read(1));
            p.close();
        }
    }

    @BothProviders
    void readingRemoteMemoryOverAClosedConnectionIsASendError(String provider) throws Exception {
        RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider));
        try (var buf = io.rsyscall4j.fd.internal.FdInternals.scratch(remote.addressSpace(), remote.sysif())) {
            remote.close();
            assertThrows(io.rsyscall4j.api.SyscallSendError.class, () -> buf.read(0, new byte[8], 0, 8));
        }
    }
}
