package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.InvalidHandleException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** Bad socket input gets one error naming the call, the fd and the address; nothing stays open or bound. */
class SocketBadInputTest {
    @TempDir
    Path dir;

    @BothProviders
    void anUnknownAddressFamilyIsRefused(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        Map<Integer, String> before = FdSnapshot.take();
        ProtocolFamily made = () -> "APPLETALK";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> jvm.socket(made, SocketType.STREAM));
        assertTrue(e.getMessage().contains("unknown address family APPLETALK"), e.getMessage());
        ErrnoException raw = assertThrows(ErrnoException.class, () -> jvm.socket(12345, 1, 0));
        assertEquals(Sys.SOCKET, raw.syscall());
        assertEquals("EAFNOSUPPORT", raw.errnoName());
        assertTrue(raw.getMessage().startsWith("socket(domain 12345"), raw.getMessage());
        SocketAddress odd = new SocketAddress() {
            @Override
            public String toString() {
                return "odd";
            }
        };
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class, () -> jvm.listen(odd, SocketType.STREAM, 1));
        assertTrue(kind.getMessage().contains("unknown kind of address"), kind.getMessage());
        FdSnapshot.assertUnchanged(before, "after unknown families");
    }

    @BothProviders
    void aBusyPortIsNamedAndNothingStaysOpenOrBound(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        FileDescriptor first = jvm.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), SocketType.STREAM, 4);
        InetSocketAddress taken = (InetSocketAddress) Sockets.localAddress(first);
        Map<Integer, String> before = FdSnapshot.take();
        ErrnoException e = assertThrows(ErrnoException.class, () -> jvm.listen(taken, SocketType.STREAM, 4));
        assertEquals(Sys.BIND, e.syscall());
        assertEquals("EADDRINUSE", e.errnoName());
        assertTrue(e.getMessage().matches("bind\\(\\d+, 127\\.0\\.0\\.1:" + taken.getPort() + "\\): EADDRINUSE.*"), e.getMessage());
        FdSnapshot.assertUnchanged(before, "after a busy port");
        first.close();
        jvm.listen(taken, SocketType.STREAM, 4).close(); // the failed attempt holds nothing
    }

    @BothProviders
    void aMissingSocketPathIsNamed(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        Path missing = dir.resolve("no-such.sock");
        Map<Integer, String> before = FdSnapshot.take();
        ErrnoException e = assertThrows(ErrnoException.class, () -> jvm.connect(UnixDomainSocketAddress.of(missing), SocketType.STREAM));
        assertEquals(Sys.CONNECT, e.syscall());
        assertEquals("ENOENT", e.errnoName());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        FdSnapshot.assertUnchanged(before, "after a missing socket path");
    }

    @BothProviders
    void tooLongNamesAreRefusedBeforeAnySocketExists(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        Map<Integer, String> before = FdSnapshot.take();
        IllegalArgumentException abs = assertThrows(IllegalArgumentException.class, () -> AbstractUnixSocketAddress.of("x".repeat(108)));
        assertTrue(abs.getMessage().contains("108 bytes long; the limit is 107"), abs.getMessage());
        assertEquals(107, AbstractUnixSocketAddress.of("y".repeat(107)).name().length);
        Path longPath = dir.resolve("p".repeat(120));
        IllegalArgumentException path = assertThrows(IllegalArgumentException.class,
                () -> jvm.listen(UnixDomainSocketAddress.of(longPath), SocketType.STREAM, 1));
        assertTrue(path.getMessage().startsWith("bind(" + longPath), path.getMessage());
        assertFalse(Files.exists(longPath));
        FdSnapshot.assertUnchanged(before, "after too-long names");
    }

    @BothProviders
    void sendingAnInvalidatedHandleSendsNothing(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        SocketPair pair = jvm.socketpair(SocketType.STREAM);
        Path p = Files.writeString(dir.resolve("f"), "f");
        FileDescriptor good = jvm.open(p.toString(), O_RDONLY);
        FileDescriptor gone = jvm.open(p.toString(), O_RDONLY);
        gone.invalidate();
        Map<Integer, String> before = FdSnapshot.take();
        InvalidHandleException e = assertThrows(InvalidHandleException.class,
                () -> Sockets.sendFds(pair.first(), "x".getBytes(StandardCharsets.US_ASCII), List.of(good, gone)));
        assertTrue(e.getMessage().contains("no longer valid"), e.getMessage());
        Sockets.sendFds(pair.first(), "y".getBytes(StandardCharsets.US_ASCII), List.of());
        ReceivedMessage m = jvm.receiveFds(pair.second(), 10, 4);
        assertArrayEquals("y".getBytes(StandardCharsets.US_ASCII), m.data(), "the refused message was never sent");
        assertEquals(0, m.fds().size());
        FdSnapshot.assertUnchanged(before, "after sending an invalidated handle");
        good.close(); // its borrow for the refused send ended: close is allowed and immediate
        assertFalse(p.toRealPath().toString().equals(Kernel.target(good.number())), "the file is closed");
        pair.first().close();
        pair.second().close();
    }
}
