package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with a program no one here wrote: Python 3's standard library ({@code socket.recv_fds},
 * {@code socket.send_fds}) receives an fd from the JVM and sends one back, over a Unix socket it
 * gets as fd 3 from an exec'd child task.
 */
class PythonFdPassingTest {
    private static final String SCRIPT = String.join("\n",
            "import os, socket, sys",
            "s = socket.socket(fileno=3)",
            "msg, fds, flags, addr = socket.recv_fds(s, 64, 4)",
            "st = os.fstat(fds[0])",
            "print(msg.decode(), len(fds), '%d:%d' % (st.st_dev, st.st_ino), flush=True)",
            "f = os.open(sys.argv[1], os.O_RDONLY)",
            "socket.send_fds(s, [b'from python'], [f])",
            "");

    @TempDir
    Path dir;

    /** Starts {@code argv} in a child task of {@code jvm} with {@code socket} at fd 3 and {@code stdout} as fd 1. */
    static ChildProcess execWithFd3(Task jvm, FileDescriptor socket, FileDescriptor stdout, List<String> argv) throws IOException {
        ChildTask child = jvm.clone();
        FileDescriptor s = child.inheritFd(socket);
        FileDescriptor three = s.dup2(child.makeFdHandle(3)); // held until the exec
        s.invalidate();
        if (stdout != null) {
            FileDescriptor o = child.inheritFd(stdout);
            o.dup2(child.stdout());
            o.invalidate();
        }
        ChildProcess program = child.exec(argv.get(0), argv);
        Reference.reachabilityFence(three);
        return program;
    }

    /** Reads {@code fd} up to end of file. */
    static String readAll(FileDescriptor fd) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] b = fd.read(4096); b.length > 0; b = fd.read(4096)) {
            out.write(b);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @BothProviders
    void pythonReceivesAnFdFromTheJvmAndSendsOneBack(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        Path mine = Files.writeString(dir.resolve("from-jvm"), "jvm");
        Path theirs = Files.writeString(dir.resolve("from-python"), "python");
        FileDescriptor file = jvm.open(mine.toString(), O_RDONLY);
        SocketPair pair = jvm.socketpair(SocketType.STREAM);
        Pipe out = jvm.pipe();
        ChildProcess python = execWithFd3(jvm, pair.second(), out.write(),
                List.of("python3", "-c", SCRIPT, theirs.toString()));
        pair.second().close();
        out.write().close();

        Sockets.sendFds(pair.first(), "hello".getBytes(StandardCharsets.US_ASCII), List.of(file));
        ReceivedMessage m = jvm.receiveFds(pair.first(), 64, 4);
        assertArrayEquals("from python".getBytes(StandardCharsets.US_ASCII), m.data());
        assertEquals(1, m.fds().size());
        FileDescriptor got = m.fds().get(0);
        assertEquals(identity(theirs), Kernel.identity(got.number()), "the file Python opened");
        assertArrayEquals("python".getBytes(StandardCharsets.US_ASCII), got.read(64));

        String line = readAll(out.read()).trim();
        assertEquals("hello 1 " + Kernel.identity(file.number()), line, "Python got one fd, the JVM's open file");
        assertEquals(0, python.waitFor());
        got.close();
        file.close();
        pair.first().close();
        out.read().close();
    }

    static String identity(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino");
        return a.get("dev") + ":" + a.get("ino");
    }
}
