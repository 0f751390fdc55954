package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.AF_INET;
import static io.rsyscall4j.api.Linux.AF_INET6;
import static io.rsyscall4j.api.Linux.AF_UNIX;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Java socket addresses to and from the kernel's {@code struct sockaddr} bytes (x86_64 layout:
 * the family in native byte order, ports and IPv4/IPv6 addresses in network order).
 */
final class SocketAddresses {
    /** {@code sizeof(struct sockaddr_storage)}: room for any address the kernel returns. */
    static final int STORAGE = 128;
    /** {@code sizeof(sun_path)}. */
    private static final int SUN_PATH = 108;

    private SocketAddresses() {}

    /** The {@code AF_*} number of a JDK protocol family. */
    static int family(ProtocolFamily family) {
        if (family == StandardProtocolFamily.INET) {
            return AF_INET;
        } else if (family == StandardProtocolFamily.INET6) {
            return AF_INET6;
        } else if (family == StandardProtocolFamily.UNIX) {
            return AF_UNIX;
        }
        throw new IllegalArgumentException("unknown address family " + family.name()
                + "; rsyscall4j knows INET, INET6 and UNIX (or pass the AF_ number to socket(int, int, int))");
    }

    /**
     * {@code address} as a {@code struct sockaddr}, exactly as long as the kernel should be told.
     * An empty {@link UnixDomainSocketAddress} is the bare family: {@code bind} then picks an
     * abstract name (autobind).
     *
     * @param call names the call in an error, e.g. {@code "bind(5, ...)"}
     * @throws IllegalArgumentException an unresolved or unknown kind of address, a path or
     *     abstract name too long for {@code sun_path}, a path with a NUL in it
     */
    static byte[] encode(SocketAddress address, String call) {
        if (address instanceof InetSocketAddress inet) {
            InetAddress ip = inet.getAddress();
            if (ip == null) {
                throw new IllegalArgumentException(call + ": unresolved address " + inet
                        + " (resolve it first, e.g. new InetSocketAddress(host, port))");
            }
            if (ip instanceof Inet4Address) {
                byte[] b = new byte[16];
                putFamily(b, AF_INET);
                putPort(b, inet.getPort());
                System.arraycopy(ip.getAddress(), 0, b, 4, 4);
                return b;
            }
            Inet6Address v6 = (Inet6Address) ip;
            byte[] b = new byte[28];
            putFamily(b, AF_INET6);
            putPort(b, inet.getPort());
            System.arraycopy(v6.getAddress(), 0, b, 8, 16);
            int scope = v6.getScopeId();
            b[24] = (byte) scope;
            b[25] = (byte) (scope >>> 8);
            b[26] = (byte) (scope >>> 16);
            b[27] = (byte) (scope >>> 24);
            return b;
        } else if (address instanceof UnixDomainSocketAddress unix) {
            String path = unix.getPath().toString();
            if (path.isEmpty()) {
                byte[] b = new byte[2];
                putFamily(b, AF_UNIX);
                return b;
            }
            byte[] p = CStrings.cString(path);
            if (p.length > SUN_PATH) {
                throw new IllegalArgumentException(call + ": the socket path is " + (p.length - 1)
                        + " bytes long; a Unix socket path holds at most " + (SUN_PATH - 1)
                        + " (bind or connect through a shorter, relative path)");
            }
            byte[] b = new byte[2 + p.length];
            putFamily(b, AF_UNIX);
            System.arraycopy(p, 0, b, 2, p.length);
            return b;
        } else if (address instanceof AbstractUnixSocketAddress abs) {
            byte[] b = new byte[3 + abs.length()];
            putFamily(b, AF_UNIX);
            abs.copyTo(b, 3);
            return b;
        } else if (address == null) {
            throw new NullPointerException(call + ": address is null");
        }
        throw new IllegalArgumentException(call + ": unknown kind of address " + address.getClass().getName()
                + " (" + address + "); use InetSocketAddress, UnixDomainSocketAddress or AbstractUnixSocketAddress");
    }

    /**
     * The Java address for the first {@code len} bytes of a {@code struct sockaddr} the kernel
     * wrote; an unnamed Unix socket is the empty {@link UnixDomainSocketAddress}, an unknown family
     * is refused.
     */
    static SocketAddress decode(byte[] b, int len) {
        if (len < 2) {
            return UnixDomainSocketAddress.of("");
        }
        int family = (b[0] & 0xff) | (b[1] & 0xff) << 8;
        int port = (b[2] & 0xff) << 8 | (b[3] & 0xff);
        try {
            switch (family) {
                case AF_INET:
                    return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(b, 4, 8)), port);
                case AF_INET6: {
                    int scope = (b[24] & 0xff) | (b[25] & 0xff) << 8 | (b[26] & 0xff) << 16 | (b[27] & 0xff) << 24;
                    byte[] ip = Arrays.copyOfRange(b, 8, 24);
                    InetAddress a = scope == 0 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, scope);
                    return new InetSocketAddress(a, port);
                }
                case AF_UNIX:
                    return decodeUnix(b, len);
                default:
                    throw new IllegalArgumentException("the kernel returned an address of family " + family
                            + ", which rsyscall4j does not know");
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("internal error: bad IP address length", e);
        }
    }

    private static SocketAddress decodeUnix(byte[] b, int len) {
        if (len == 2) {
            return UnixDomainSocketAddress.of("");
        }
        if (b[2] == 0) {
            return AbstractUnixSocketAddress.ofKernel(Arrays.copyOfRange(b, 3, len));
        }
        int end = 2;
        while (end < len && b[end] != 0) {
            end++;
        }
        return UnixDomainSocketAddress.of(new String(b, 2, end - 2, StandardCharsets.UTF_8));
    }

    private static void putFamily(byte[] b, int family) {
        b[0] = (byte) family;
        b[1] = (byte) (family >>> 8);
    }

    private static void putPort(byte[] b, int port) {
        b[2] = (byte) (port >>> 8);
        b[3] = (byte) port;
    }
}
