package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fds sent with SCM_RIGHTS arrive as owned, close-on-exec handles of the receiving task, the same
 * open files (fstat dev/inode); the limits are enforced and nothing leaks.
 */
class FdPassingTest {
    @TempDir
    Path dir;

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The (dev, inode) of fd {@code n} of process {@code pid}, as fstat would say. */
    static String identity(long pid, int n) throws IOException {
        Map<String, Object> a = Files.readAttributes(Path.of("/proc/" + pid + "/fd/" + n), "unix:dev,ino");
        return a.get("dev") + ":" + a.get("ino");
    }

    static boolean cloexec(long pid, int n) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/fdinfo/" + n))) {
            if (line.startsWith("flags:")) {
                return (Integer.parseInt(line.substring(6).trim(), 8) & 02000000) != 0;
            }
        }
        throw new AssertionError("no flags for fd " + n + " of " + pid);
    }

    private FileDescriptor openFile(Task task, String name) throws IOException {
        Path p = Files.writeString(dir.resolve(name), name);
        return task.open(p.toString(), O_RDONLY);
    }

    @BothProviders
    void anFdGoesFromTheJvmToAChildTaskAndBack(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        long me = ProcessHandle.current().pid();
        FileDescriptor file = openFile(jvm, "f");
        String id = identity(me, file.number());
        SocketPair pair = jvm.socketpair(SocketType.STREAM);
        ChildTask child = jvm.clone();
        try {
            FileDescriptor theirs = child.inheritFd(pair.second());
            pair.second().close();
            assertEquals(1, Sockets.sendFds(pair.first(), ascii("a"), List.of(file)));
            ReceivedMessage there = child.receiveFds(theirs, 10, 4);
            assertArrayEquals(ascii("a"), there.data());
            assertEquals(1, there.fds().size());
            FileDescriptor inChild = there.fds().get(0);
            assertSame(child, inChild.task());
            assertEquals(id, identity(child.pid(), inChild.number()), "the child holds the same open file");
            assertTrue(cloexec(child.pid(), inChild.number()), "MSG_CMSG_CLOEXEC");

            Sockets.sendFds(theirs, ascii("b"), List.of(inChild));
            ReceivedMessage back = jvm.receiveFds(pair.first(), 10, 4);
            assertArrayEquals(ascii("b"), back.data());
            FileDescriptor again = back.fds().get(0);
            assertNotEquals(file.number(), again.number());
            assertEquals(id, identity(me, again.number()), "back in the JVM, still the same open file");
            assertTrue(Kernel.cloexec(again.number()));
            assertTrue(file.isValid(), "sending leaves the sender's handle valid");
            inChild.close();
            theirs.close();
            again.close();
        } finally {
            child.exit(0);
        }
        pair.first().close();
        file.close();
    }

    @BothProviders
    void moreFdsThanTheRoomIsReportedAndNoneLeaks(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        SocketPair pair = jvm.socketpair(SocketType.STREAM);
        List<FileDescriptor> three = List.of(openFile(jvm, "a"), openFile(jvm, "b"), openFile(jvm, "c"));
        Map<Integer, String> before = FdSnapshot.take();
        Sockets.sendFds(pair.first(), ascii("x"), three);
        FdsTruncatedException e = assertThrows(FdsTruncatedException.class, () -> jvm.receiveFds(pair.second(), 10, 1));
        assertArrayEquals(ascii("x"), e.data());
        assertTrue(e.getMessage().contains("MSG_CTRUNC"), e.getMessage());
        FdSnapshot.assertUnchanged(before, "after a truncated receive");
        for (FileDescriptor f : three) {
            f.close();
        }
        pair.first().close();
        pair.second().close();
    }

    @BothProviders
    void upTo253FdsGoInOneMessageAndMoreAreRefusedUpFront(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        SocketPair pair = jvm.socketpair(SocketType.STREAM);
        FileDescriptor file = openFile(jvm, "f");
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> Sockets.sendFds(pair.first(), ascii("x"), Collections.nCopies(254, file)));
        assertTrue(tooMany.getMessage().contains("SCM_MAX_FD"), tooMany.getMessage());
        assertThrows(IllegalArgumentException.class, () -> jvm.receiveFds(pair.second(), 10, 254));

        Sockets.sendFds(pair.first(), ascii("y"), Collections.nCopies(253, file));
        ReceivedMessage m = jvm.receiveFds(pair.second(), 10, 253);
        assertArrayEquals(ascii("y"), m.data(), "the refused send sent nothing");
        assertEquals(253, m.fds().size());
        Set<Integer> numbers = new HashSet<>();
        String id = Kernel.identity(file.number());
        for (FileDescriptor f : m.fds()) {
            numbers.add(f.number());
            assertEquals(id, Kernel.identity(f.number()));
            f.close();
        }
        assertEquals(253, numbers.size(), "253 new fds");
        file.close();
        pair.first().close();
        pair.second().close();
    }

    @BothProviders
    void pidfdGetfdTakesACopyOfAnotherProcesssFd(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        ChildTask child = jvm.clone();
        try {
            FileDescriptor theirs = openFile(child, "g");
            FileDescriptor pidfd = jvm.pidfdOpen(child.pid());
            assertTrue(Kernel.cloexec(pidfd.number()));
            FileDescriptor copy = jvm.pidfdGetfd(pidfd, theirs.number());
            assertSame(jvm, copy.task());
            assertEquals(identity(child.pid(), theirs.number()), Kernel.identity(copy.number()));
            assertTrue(Kernel.cloexec(copy.number()));
            assertArrayEquals(ascii("g"), copy.read(10));
            copy.close();
            pidfd.close();
            theirs.close();
        } finally {
            child.exit(0);
        }
    }
}
