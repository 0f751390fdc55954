package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every socket kind carries data both ways between the JVM and a child task (its own copy of the
 * fd table): the JVM serves, the child connects; the kernel's view agrees with the handles.
 */
class SocketKindsTest {
    @TempDir
    Path dir;

    record Kind(String name, SocketType type, Function<Path, SocketAddress> address) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> kinds() {
        List<Kind> kinds = List.of(
                new Kind("tcp4", SocketType.STREAM, d -> inet("127.0.0.1")),
                new Kind("tcp6", SocketType.STREAM, d -> inet("::1")),
                new Kind("udp4", SocketType.DGRAM, d -> inet("127.0.0.1")),
                new Kind("udp6", SocketType.DGRAM, d -> inet("::1")),
                new Kind("unix-stream", SocketType.STREAM, d -> UnixDomainSocketAddress.of(d.resolve("s"))),
                new Kind("unix-stream-abstract", SocketType.STREAM, d -> abstractName()),
                new Kind("unix-dgram", SocketType.DGRAM, d -> UnixDomainSocketAddress.of(d.resolve("d"))),
                new Kind("unix-dgram-abstract", SocketType.DGRAM, d -> abstractName()),
                new Kind("unix-seqpacket", SocketType.SEQPACKET, d -> UnixDomainSocketAddress.of(d.resolve("q"))),
                new Kind("unix-seqpacket-abstract", SocketType.SEQPACKET, d -> abstractName()));
        List<Arguments> out = new ArrayList<>();
        for (String p : List.of("ffm", "jna")) {
            for (Kind k : kinds) {
                out.add(Arguments.of(p, k));
            }
        }
        return out.stream();
    }

    static SocketAddress inet(String ip) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), 0);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static AbstractUnixSocketAddress abstractName() {
        return AbstractUnixSocketAddress.of("rsyscall4j-test-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }

    static ProtocolFamily family(SocketAddress a) {
        if (a instanceof InetSocketAddress i) {
            return i.getAddress() instanceof java.net.Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        }
        return StandardProtocolFamily.UNIX;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("kinds")
    void roundTripsBetweenTheJvmAndAChildTask(String provider, Kind kind) throws Exception {
        Task jvm = Rsyscall.local(provider);
        SocketAddress asked = kind.address().apply(dir);
        FileDescriptor server = jvm.listen(asked, kind.type(), 8);
        assertTrue(Kernel.cloexec(server.number()));
        SocketAddress bound = Sockets.localAddress(server);
        if (!(asked instanceof InetSocketAddress)) {
            assertEquals(asked, bound, "getsockname returns the name bound");
        } else {
            assertTrue(((InetSocketAddress) bound).getPort() > 0, "the kernel picked a port: " + bound);
        }
        ChildTask child = jvm.clone();
        try {
            if (kind.type() == SocketType.DGRAM) {
                FileDescriptor c = child.socket(family(bound), SocketType.DGRAM);
                if (!(bound instanceof InetSocketAddress)) {
                    Sockets.bind(c, UnixDomainSocketAddress.of("")); // autobind: a name to answer to
                }
                Sockets.connect(c, bound);
                assertTrue(ChildTestSupport.link(child.pid(), c.number()).startsWith("socket:"));
                c.writeAll(ascii("ping"));
                Datagram d = Sockets.receiveFrom(server, 100);
                assertArrayEquals(ascii("ping"), d.data());
                assertEquals(Sockets.localAddress(c), d.source(), "recvfrom names the child's socket");
                assertEquals(4, Sockets.sendTo(server, ascii("pong"), d.source()));
                assertArrayEquals(ascii("pong"), c.read(100));
                c.close();
            } else {
                FileDescriptor c = child.connect(bound, kind.type());
                assertTrue(ChildTestSupport.link(child.pid(), c.number()).startsWith("socket:"));
                FileDescriptor conn = jvm.accept(server);
                assertTrue(Kernel.cloexec(conn.number()), "accept4 with SOCK_CLOEXEC");
                assertEquals(bound, Sockets.remoteAddress(c));
                if (bound instanceof InetSocketAddress) {
                    assertEquals(Sockets.localAddress(c), Sockets.remoteAddress(conn));
                }
                c.writeAll(ascii("ping"));
                assertArrayEquals(ascii("ping"), conn.read(100));
                conn.writeAll(ascii("pong"));
                assertArrayEquals(ascii("pong"), c.read(100));
                Sockets.shutdown(c, Sockets.SHUT_WR);
                assertEquals(0, conn.read(100).length, "the peer reads end of file after SHUT_WR");
                c.close();
                conn.close();
            }
        } finally {
            child.exit(0);
        }
        server.close();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("pairTypes")
    void aSocketPairCarriesDataToAChildTask(String provider, SocketType type) throws Exception {
        Task jvm = Rsyscall.local(provider);
        SocketPair pair = jvm.socketpair(type);
        assertTrue(Kernel.cloexec(pair.first().number()) && Kernel.cloexec(pair.second().number()));
        assertInstanceOf(UnixDomainSocketAddress.class, Sockets.localAddress(pair.first()));
        ChildTask child = jvm.clone();
        try {
            FileDescriptor theirs = child.inheritFd(pair.second());
            pair.second().close();
            theirs.writeAll(ascii("from child"));
            assertArrayEquals(ascii("from child"), pair.first().read(100));
            pair.first().writeAll(ascii("from jvm"));
            assertArrayEquals(ascii("from jvm"), theirs.read(100));
            theirs.close();
        } finally {
            child.exit(0);
        }
        pair.first().close();
    }

    static Stream<Arguments> pairTypes() {
        return Stream.of("ffm", "jna").flatMap(p -> Stream.of(SocketType.values()).map(t -> Arguments.of(p, t)));
    }
}
