package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.IPPROTO_TCP;
import static io.rsyscall4j.api.Linux.MSG_NOSIGNAL;
import static io.rsyscall4j.api.Linux.SOL_SOCKET;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.AddressSpace;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.FileDescriptorTask;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The socket calls on an existing socket handle: bind, listen, connect, shutdown, its addresses,
 * its options, datagrams, and sending fds. Each runs in the handle's own task ({@code fd.task()}),
 * with the fd {@linkplain FileDescriptor#borrow borrowed} for the call. The calls that make fds
 * ({@link Task#socket}, {@link Task#socketpair}, {@link Task#accept}, {@link Task#receiveFds}) are
 * on {@link Task}, since the task that runs them owns the result.
 *
 * <p>Addresses are the JDK's: {@link InetSocketAddress} (resolved) for IPv4 and IPv6,
 * {@link java.net.UnixDomainSocketAddress} for Unix socket paths, and
 * {@link AbstractUnixSocketAddress} for Linux's abstract Unix names. A kernel error is an
 * {@link ErrnoException} naming the call, the fd and the address, e.g.
 * {@code bind(7, 127.0.0.1:8080): EADDRINUSE (Address already in use)}.
 */
public final class Sockets {
    /** {@code shutdown(2)}'s {@code how}: no more receiving ({@link Linux#SHUT_RD}). */
    public static final int SHUT_RD = Linux.SHUT_RD;
    /** {@code shutdown(2)}'s {@code how}: no more sending, the peer reads end of file ({@link Linux#SHUT_WR}). */
    public static final int SHUT_WR = Linux.SHUT_WR;
    /** {@code shutdown(2)}'s {@code how}: neither ({@link Linux#SHUT_RDWR}). */
    public static final int SHUT_RDWR = Linux.SHUT_RDWR;

    private Sockets() {}

    /** {@code bind(2)}: gives the socket {@code address} (port 0: the kernel picks a free port). */
    public static void bind(FileDescriptor socket, SocketAddress address) throws IOException {
        addressCall(socket, Sys.BIND, address);
    }

    /** {@code connect(2)}: connects to {@code address} (datagram sockets: sets the default peer). */
    public static void connect(FileDescriptor socket, SocketAddress address) throws IOException {
        addressCall(socket, Sys.CONNECT, address);
    }

    /** {@code listen(2)}: makes a bound stream or seqpacket socket accept connections. */
    public static void listen(FileDescriptor socket, int backlog) throws IOException {
        simpleCall(socket, Sys.LISTEN, backlog, "backlog " + backlog);
    }

    /** {@code shutdown(2)}: {@code how} is {@link #SHUT_RD}, {@link #SHUT_WR} or {@link #SHUT_RDWR}. */
    public static void shutdown(FileDescriptor socket, int how) throws IOException {
        if (how < SHUT_RD || how > SHUT_RDWR) {
            throw new IllegalArgumentException("shutdown(" + socket.number() + "): how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got " + how);
        }
        simpleCall(socket, Sys.SHUTDOWN, how, how == SHUT_RD ? "SHUT_RD" : how == SHUT_WR ? "SHUT_WR" : "SHUT_RDWR");
    }

    /** {@code getsockname(2)}: the address the socket is bound to (a picked port shows here). */
    public static SocketAddress localAddress(FileDescriptor socket) throws IOException {
        return nameCall(socket, Sys.GETSOCKNAME);
    }

    /** {@code getpeername(2)}: the address of the connected peer. */
    public static SocketAddress remoteAddress(FileDescriptor socket) throws IOException {
        return nameCall(socket, Sys.GETPEERNAME);
    }

    /**
     * {@code setsockopt(2)} for one of the JDK's {@link StandardSocketOptions}: {@code SO_REUSEADDR},
     * {@code SO_REUSEPORT}, {@code SO_KEEPALIVE}, {@code SO_BROADCAST}, {@code SO_SNDBUF},
     * {@code SO_RCVBUF}, {@code SO_LINGER} (seconds; negative turns it off) and {@code TCP_NODELAY}.
     *
     * @throws UnsupportedOperationException another option (use {@link #setOption(FileDescriptor, int, int, int)})
     */
    public static <T> void setOption(FileDescriptor socket, SocketOption<T> option, T value) throws IOException {
        Objects.requireNonNull(value, "value");
        int[] ln = levelAndName(option);
        byte[] v;
        if (option == StandardSocketOptions.SO_LINGER) {
            int seconds = (Integer) value;
            v = ints(seconds < 0 ? 0 : 1, Math.max(seconds, 0));
        } else if (option.type() == Boolean.class) {
            v = ints((Boolean) value ? 1 : 0);
        } else {
            v = ints((Integer) value);
        }
        setsockopt(socket, ln[0], ln[1], v, option.name() + "=" + value);
    }

    /** {@code getsockopt(2)} for the options {@link #setOption(FileDescriptor, SocketOption, Object)} takes. */
    public static <T> T getOption(FileDescriptor socket, SocketOption<T> option) throws IOException {
        int[] ln = levelAndName(option);
        byte[] v = getsockopt(socket, ln[0], ln[1], 8, option.name());
        int first = intAt(v, 0);
        Object result;
        if (option == StandardSocketOptions.SO_LINGER) {
            result = first == 0 ? -1 : intAt(v, 4);
        } else if (option.type() == Boolean.class) {
            result = first != 0;
        } else {
            result = first;
        }
        return option.type().cast(result);
    }

    /** {@code setsockopt(2)} of an {@code int} option by its Linux numbers (level {@code SOL_SOCKET} = 1, ...). */
    public static void setOption(FileDescriptor socket, int level, int name, int value) throws IOException {
        setsockopt(socket, level, name, ints(value), "level " + level + ", option " + name + "=" + value);
    }

    /** {@code getsockopt(2)} of an {@code int} option by its Linux numbers. */
    public static int getIntOption(FileDescriptor socket, int level, int name) throws IOException {
        return intAt(getsockopt(socket, level, name, 4, "level " + level + ", option " + name), 0);
    }

    /**
     * {@code sendto(2)}: sends {@code data} as one datagram to {@code address} (at most
     * {@value io.rsyscall4j.fd.AddressSpace#SCRATCH_SIZE} bytes less the address). Never raises
     * {@code SIGPIPE} ({@code MSG_NOSIGNAL}).
     *
     * @return the number of bytes sent
     */
    public static int sendTo(FileDescriptor socket, byte[] data, SocketAddress address) throws IOException {
        String call = "sendto(" + socket.number() + ", " + describe(address) + ")";
        byte[] sa = SocketAddresses.encode(address, call);
        FileDescriptorTask t = socket.task();
        if (data.length > AddressSpace.SCRATCH_SIZE - SocketAddresses.STORAGE) {
            throw new IllegalArgumentException(call + ": " + data.length + " bytes is more than one call sends");
        }
        try (Borrowed b = socket.borrow(t)) {
            Parking.await(t, b.number(), Linux.POLLOUT);
            return sendTo(t, b, data, sa);
        } catch (ErrnoException e) {
            throw e.withSubject(socket.number() + ", " + describe(address));
        }
    }

    private static int sendTo(FileDescriptorTask t, Borrowed b, byte[] data, byte[] sa) throws IOException {
        try (ScratchBuffer s = FdInternals.scratch(t.addressSpace(), t.sysif())) {
            s.write(0, sa, 0, sa.length);
            s.write(SocketAddresses.STORAGE, data, 0, data.length);
            return (int) t.sysif().syscall(Sys.SENDTO, b.number(), s.address() + SocketAddresses.STORAGE,
                    data.length, MSG_NOSIGNAL, s.address(), sa.length);
        }
    }

    /**
     * {@code recvfrom(2)}: the next datagram (at most {@code max} bytes of it; the rest of a
     * longer one is dropped, as the kernel does) and where it came from.
     */
    public static Datagram receiveFrom(FileDescriptor socket, int max) throws IOException {
        FileDescriptorTask t = socket.task();
        if (max < 0) {
            throw new IllegalArgumentException("recvfrom(" + socket.number() + "): negative size " + max);
        }
        try (Borrowed b = socket.borrow(t)) {
            Parking.await(t, b.number(), Linux.POLLIN);
            return receiveFrom(t, b, max);
        } catch (ErrnoException e) {
            throw e.withSubject(Integer.toString(socket.number()));
        }
    }

    private static Datagram receiveFrom(FileDescriptorTask t, Borrowed b, int max) throws IOException {
        try (ScratchBuffer s = FdInternals.scratch(t.addressSpace(), t.sysif())) {
            int n = Math.min(max, s.capacity() - SocketAddresses.STORAGE - 8);
            int lenAt = SocketAddresses.STORAGE;
            int dataAt = lenAt + 8;
            s.write(lenAt, ints(SocketAddresses.STORAGE), 0, 4);
            int got = (int) t.sysif().syscall(Sys.RECVFROM, b.number(), s.address() + dataAt, n, 0,
                    s.address(), s.address() + lenAt);
            byte[] all = new byte[dataAt + got];
            s.read(0, all, 0, all.length);
            int addrLen = Math.min(intAt(all, lenAt), SocketAddresses.STORAGE);
            return new Datagram(Arrays.copyOfRange(all, dataAt, dataAt + got), SocketAddresses.decode(all, addrLen));
        }
    }

    /**
     * {@code sendmsg(2)} with {@code SCM_RIGHTS}: sends {@code data} and, with it, copies of
     * {@code fds} to the process at the other end of this Unix socket, which receives them as new
     * fds ({@link Task#receiveFds}). The handles stay valid here and are borrowed for the call, so
     * none is closed underneath it. Never raises {@code SIGPIPE}.
     *
     * @param data at least one byte (a stream socket carries the fds with its data)
     * @param fds handles usable by this socket's task, at most {@value io.rsyscall4j.api.Linux#SCM_MAX_FD}
     *     (the kernel's {@code SCM_MAX_FD})
     * @return the number of bytes of {@code data} sent (the fds went with the first of them)
     * @throws IllegalArgumentException no data, or too many fds: nothing is sent
     * @throws io.rsyscall4j.fd.InvalidHandleException a handle is invalid: nothing is sent
     */
    public static int sendFds(FileDescriptor socket, byte[] data, List<FileDescriptor> fds) throws IOException {
        return FdPassing.send(socket, data, fds);
    }

    /** {@link Task#listen} and {@link Task#connect}: socket, then bind and listen or connect, closing it on failure. */
    static FileDescriptor open(Task task, SocketAddress address, SocketType type, int backlog, boolean listen) throws IOException {
        Objects.requireNonNull(type, "type");
        int family;
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            family = inet.getAddress() instanceof Inet6Address ? Linux.AF_INET6 : Linux.AF_INET;
        } else {
            SocketAddresses.encode(address, (listen ? "bind" : "connect") + "(" + describe(address) + ")");
            family = Linux.AF_UNIX;
        }
        FileDescriptor fd = task.socket(family, type.value(), 0);
        try {
            if (listen) {
                if (family != Linux.AF_UNIX) {
                    setOption(fd, StandardSocketOptions.SO_REUSEADDR, true);
                }
                bind(fd, address);
                if (type != SocketType.DGRAM) {
                    listen(fd, backlog);
                }
            } else {
                connect(fd, address);
            }
            return fd;
        } catch (IOException | RuntimeException e) {
            try {
                fd.close();
            } catch (IOException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    // ---- helpers ----

    private static void addressCall(FileDescriptor socket, Sys nr, SocketAddress address) throws IOException {
        String subject = socket.number() + ", " + describe(address);
        byte[] sa = SocketAddresses.encode(address, nr.syscallName() + "(" + subject + ")");
        FileDescriptorTask t = socket.task();
        try (Borrowed b = socket.borrow(t); ScratchBuffer s = FdInternals.scratch(t.addressSpace(), t.sysif())) {
            s.write(0, sa, 0, sa.length);
            t.sysif().syscall(nr, b.number(), s.address(), sa.length);
        } catch (ErrnoException e) {
            throw e.withSubject(subject);
        }
    }

    private static void simpleCall(FileDescriptor socket, Sys nr, int arg, String what) throws IOException {
        FileDescriptorTask t = socket.task();
        try (Borrowed b = socket.borrow(t)) {
            t.sysif().syscall(nr, b.number(), arg);
        } catch (ErrnoException e) {
            throw e.withSubject(socket.number() + ", " + what);
        }
    }

    private static SocketAddress nameCall(FileDescriptor socket, Sys nr) throws IOException {
        FileDescriptorTask t = socket.task();
        try (Borrowed b = socket.borrow(t); ScratchBuffer s = FdInternals.scratch(t.addressSpace(), t.sysif())) {
            int lenAt = SocketAddresses.STORAGE;
            s.write(lenAt, ints(SocketAddresses.STORAGE), 0, 4);
            t.sysif().syscall(nr, b.number(), s.address(), s.address() + lenAt);
            byte[] all = new byte[lenAt + 4];
            s.read(0, all, 0, all.length);
            return SocketAddresses.decode(all, Math.min(intAt(all, lenAt), SocketAddresses.STORAGE));
        } catch (ErrnoException e) {
            throw e.withSubject(Integer.toString(socket.number()));
        }
    }

    private static void setsockopt(FileDescriptor socket, int level, int name, byte[] v, String what) throws IOException {
        FileDescriptorTask t = socket.task();
        try (Borrowed b = socket.borrow(t); ScratchBuffer s = FdInternals.scratch(t.addressSpace(), t.sysif())) {
            s.write(0, v, 0, v.length);
            t.sysif().syscall(Sys.SETSOCKOPT, b.number(), level, name, s.address(), v.length);
        } catch (ErrnoException e) {
            throw e.withSubject(socket.number() + ", " + what);
        }
    }

    private static byte[] getsockopt(FileDescriptor socket, int level, int name, int size, String what) throws IOException {
        FileDescriptorTask t = socket.task();
        try (Borrowed b = socket.borrow(t); ScratchBuffer s = FdInternals.scratch(t.addressSpace(), t.sysif())) {
            s.write(0, new byte[size], 0, size);
            s.write(size, ints(size), 0, 4);
            t.sysif().syscall(Sys.GETSOCKOPT, b.number(), level, name, s.address(), s.address() + size);
            byte[] v = new byte[size];
            s.read(0, v, 0, size);
            return v;
        } catch (ErrnoException e) {
            throw e.withSubject(socket.number() + ", " + what);
        }
    }

    private static int[] levelAndName(SocketOption<?> option) {
        Objects.requireNonNull(option, "option");
        if (option == StandardSocketOptions.SO_REUSEADDR) {
            return new int[] {SOL_SOCKET, Linux.SO_REUSEADDR};
        } else if (option == StandardSocketOptions.SO_REUSEPORT) {
            return new int[] {SOL_SOCKET, Linux.SO_REUSEPORT};
        } else if (option == StandardSocketOptions.SO_KEEPALIVE) {
            return new int[] {SOL_SOCKET, Linux.SO_KEEPALIVE};
        } else if (option == StandardSocketOptions.SO_BROADCAST) {
            return new int[] {SOL_SOCKET, Linux.SO_BROADCAST};
        } else if (option == StandardSocketOptions.SO_SNDBUF) {
            return new int[] {SOL_SOCKET, Linux.SO_SNDBUF};
        } else if (option == StandardSocketOptions.SO_RCVBUF) {
            return new int[] {SOL_SOCKET, Linux.SO_RCVBUF};
        } else if (option == StandardSocketOptions.SO_LINGER) {
            return new int[] {SOL_SOCKET, Linux.SO_LINGER};
        } else if (option == StandardSocketOptions.TCP_NODELAY) {
            return new int[] {IPPROTO_TCP, Linux.TCP_NODELAY};
        }
        throw new UnsupportedOperationException("socket option " + option.name() + " is not supported here;"
                + " use setOption(fd, level, name, value) with its Linux numbers");
    }

    /** {@code values} as native-endian (little-endian) ints. */
    static byte[] ints(int... values) {
        byte[] b = new byte[4 * values.length];
        for (int i = 0; i < values.length; i++) {
            putInt(b, 4 * i, values[i]);
        }
        return b;
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    static int intAt(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    /** How an error message shows an address: {@code 127.0.0.1:80}, {@code [::1]:80}, a path, {@code @name}. */
    static String describe(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            String host = inet.getAddress().getHostAddress();
            return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
        } else if (address instanceof java.net.UnixDomainSocketAddress unix) {
            String p = unix.getPath().toString();
            return p.isEmpty() ? "(unnamed)" : p;
        }
        return String.valueOf(address);
    }
}
