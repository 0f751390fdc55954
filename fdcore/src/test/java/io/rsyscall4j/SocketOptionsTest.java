package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.fd.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.util.List;
import java.util.Map;

/** The common socket options, set and read back through the kernel, in the JVM and in a child task. */
class SocketOptionsTest {
    /** Each flag with its level and number in C's headers (LinuxTest checks those against them). */
    private static final Map<SocketOption<Boolean>, int[]> FLAGS = Map.of(
            StandardSocketOptions.SO_REUSEADDR, new int[] {Linux.SOL_SOCKET, Linux.SO_REUSEADDR},
            StandardSocketOptions.SO_REUSEPORT, new int[] {Linux.SOL_SOCKET, Linux.SO_REUSEPORT},
            StandardSocketOptions.SO_KEEPALIVE, new int[] {Linux.SOL_SOCKET, Linux.SO_KEEPALIVE},
            StandardSocketOptions.TCP_NODELAY, new int[] {Linux.IPPROTO_TCP, Linux.TCP_NODELAY});

    @BothProviders
    void flagsBuffersAndLingerReadBackAsSet(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        ChildTask child = jvm.clone();
        try {
            for (Task task : List.of(jvm, child)) {
                FileDescriptor s = task.socket(StandardProtocolFamily.INET, SocketType.STREAM);
                for (Map.Entry<SocketOption<Boolean>, int[]> flag : FLAGS.entrySet()) {
                    SocketOption<Boolean> o = flag.getKey();
                    int[] c = flag.getValue();
                    Sockets.setOption(s, o, true);
                    assertTrue(Sockets.getOption(s, o), o.name() + " on in " + task);
                    assertEquals(1, Sockets.getIntOption(s, c[0], c[1]), o.name() + " is that option in C");
                    Sockets.setOption(s, o, false);
                    assertFalse(Sockets.getOption(s, o), o.name() + " off in " + task);
                    assertEquals(0, Sockets.getIntOption(s, c[0], c[1]), o.name() + " is that option in C");
                }
                Sockets.setOption(s, StandardSocketOptions.SO_RCVBUF, 65536);
                assertEquals(2 * 65536, Sockets.getOption(s, StandardSocketOptions.SO_RCVBUF), "the kernel doubles it");
                Sockets.setOption(s, StandardSocketOptions.SO_SNDBUF, 65536);
                assertEquals(2 * 65536, Sockets.getIntOption(s, Linux.SOL_SOCKET, Linux.SO_SNDBUF));
                assertEquals(-1, Sockets.getOption(s, StandardSocketOptions.SO_LINGER), "off by default");
                Sockets.setOption(s, StandardSocketOptions.SO_LINGER, 7);
                assertEquals(7, Sockets.getOption(s, StandardSocketOptions.SO_LINGER));
                Sockets.setOption(s, StandardSocketOptions.SO_LINGER, -1);
                assertEquals(-1, Sockets.getOption(s, StandardSocketOptions.SO_LINGER));
                s.close();
            }
        } finally {
            child.exit(0);
        }
    }

    @BothProviders
    void reusePortLetsTwoListenersShareAPort(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        FileDescriptor a = jvm.socket(StandardProtocolFamily.INET, SocketType.STREAM);
        Sockets.setOption(a, StandardSocketOptions.SO_REUSEPORT, true);
        Sockets.bind(a, any);
        Sockets.listen(a, 4);
        FileDescriptor b = jvm.socket(StandardProtocolFamily.INET, SocketType.STREAM);
        Sockets.setOption(b, StandardSocketOptions.SO_REUSEPORT, true);
        Sockets.bind(b, Sockets.localAddress(a));
        Sockets.listen(b, 4);
        FileDescriptor c = jvm.socket(StandardProtocolFamily.INET, SocketType.STREAM);
        ErrnoException e = assertThrows(ErrnoException.class, () -> Sockets.bind(c, Sockets.localAddress(a)));
        assertEquals("EADDRINUSE", e.errnoName(), "without SO_REUSEPORT the port is taken");
        a.close();
        b.close();
        c.close();
    }

    @BothProviders
    void anOptionWithoutAMappingIsRefusedByName(String provider) throws Exception {
        Task jvm = Rsyscall.local(provider);
        FileDescriptor s = jvm.socket(StandardProtocolFamily.INET, SocketType.DGRAM);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Sockets.setOption(s, StandardSocketOptions.IP_MULTICAST_LOOP, true));
        assertTrue(e.getMessage().contains("IP_MULTICAST_LOOP"), e.getMessage());
        ErrnoException bad = assertThrows(ErrnoException.class, () -> Sockets.setOption(s, Linux.SOL_SOCKET, 9999, 1));
        assertTrue(bad.getMessage().startsWith("setsockopt(" + s.number() + ", level 1, option 9999=1): ENOPROTOOPT"), bad.getMessage());
        s.close();
    }
}
