package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.AF_INET;
import static io.rsyscall4j.api.Linux.AF_INET6;
import static io.rsyscall4j.api.Linux.AF_UNIX;
import static io.rsyscall4j.api.Linux.SOCK_CLOEXEC;
import static io.rsyscall4j.api.Linux.SOCK_STREAM;
import static io.rsyscall4j.api.Linux.SOL_SOCKET;
import static io.rsyscall4j.api.Linux.SO_REUSEADDR;

import io.rsyscall4j.Task;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.ScratchBuffer;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Listening sockets made with the task's own syscalls ({@code socket}, {@code setsockopt},
 * {@code bind}, {@code listen}): the fd is a handle of the task from the moment it exists, so a
 * failed bind or listen closes it rather than leaking it.
 */
final class Sockets {
    private static final int BACKLOG = 128;

    private Sockets() {}

    /** A TCP socket bound to {@code host:port}, listening. {@code host} is an address literal or a name in /etc/hosts. */
    static FileDescriptor listenTcp(Task task, String host, int port) throws IOException {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host \"" + host + "\"");
        }
        byte[] sockaddr;
        int family;
        if (address instanceof Inet4Address) {
            family = AF_INET;
            sockaddr = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putShort((short) AF_INET)
                    .order(ByteOrder.BIG_ENDIAN).putShort((short) port).put(address.getAddress()).array();
        } else if (address instanceof Inet6Address) {
            family = AF_INET6;
            sockaddr = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN).putShort((short) AF_INET6)
                    .order(ByteOrder.BIG_ENDIAN).putShort((short) port).putInt(0).put(address.getAddress())
                    .order(ByteOrder.LITTLE_ENDIAN).putInt(((Inet6Address) address).getScopeId()).array();
        } else {
            throw new IllegalArgumentException("not an IP address: " + host);
        }
        FileDescriptor fd = socket(task, family);
        try {
            byte[] value = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(1).array();
            withBytes(task, value, (b, address4) -> task.sysif().syscall(Sys.SETSOCKOPT, b, SOL_SOCKET, SO_REUSEADDR, address4, 4), fd);
            bindAndListen(task, fd, sockaddr);
            return fd;
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(fd, e);
            throw e;
        }
    }

    /** A Unix stream socket bound to {@code path}, a byte string (created by the bind; must not exist), listening. */
    static FileDescriptor listenUnix(Task task, String path) throws IOException {
        byte[] name = RawText.bytes(path);
        byte[] sockaddr = ByteBuffer.allocate(2 + name.length + 1).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) AF_UNIX).put(name).put((byte) 0).array();
        FileDescriptor fd = socket(task, AF_UNIX);
        try {
            bindAndListen(task, fd, sockaddr);
            return fd;
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(fd, e);
            throw e;
        }
    }

    private static FileDescriptor socket(Task task, int family) throws SyscallException {
        int raw = (int) task.sysif().syscall(Sys.SOCKET, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try {
            return task.makeFdHandle(raw);
        } catch (RuntimeException e) {
            try {
                task.sysif().syscall(Sys.CLOSE, raw);
            } catch (SyscallException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private static void bindAndListen(Task task, FileDescriptor fd, byte[] sockaddr) throws IOException {
        withBytes(task, sockaddr, (b, address) -> task.sysif().syscall(Sys.BIND, b, address, sockaddr.length), fd);
        try (Borrowed b = fd.borrow(task)) {
            task.sysif().syscall(Sys.LISTEN, b.number(), BACKLOG);
        }
    }

    /** A syscall on {@code fd} whose second argument points at {@code bytes}, copied into scratch memory. */
    private interface BytesCall {
        long call(long fd, long address) throws SyscallException;
    }

    private static void withBytes(Task task, byte[] bytes, BytesCall call, FileDescriptor fd) throws IOException {
        try (ScratchBuffer scratch = task.addressSpace().scratch(task.sysif());
             Borrowed b = fd.borrow(task)) {
            scratch.write(0, bytes, 0, bytes.length);
            call.call(b.number(), scratch.address());
        }
    }

    private static void closeAfterFailure(FileDescriptor fd, Exception failure) {
        try {
            fd.close();
        } catch (SyscallException | RuntimeException closing) {
            failure.addSuppressed(closing);
        }
    }
}
