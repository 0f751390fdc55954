package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.AF_UNIX;
import static io.rsyscall4j.api.Linux.SOCK_STREAM;

import io.rsyscall4j.SocketType;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Listening sockets made with the task's own calls ({@link Task#listen}, {@link Task#socket}): the
 * fd is a handle of the task from the moment it exists, so a failed bind or listen closes it
 * rather than leaking it.
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
        return task.listen(new InetSocketAddress(address, port), SocketType.STREAM, BACKLOG);
    }

    /**
     * A Unix stream socket bound to {@code path}, a byte string (created by the bind; must not
     * exist), listening. The bind goes through {@link Task#sysif()} with the path's exact bytes,
     * which {@link java.net.UnixDomainSocketAddress} would re-encode.
     */
    static FileDescriptor listenUnix(Task task, String path) throws IOException {
        byte[] name = RawText.bytes(path);
        byte[] sockaddr = ByteBuffer.allocate(2 + name.length + 1).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) AF_UNIX).put(name).put((byte) 0).array();
        if (sockaddr.length > SyscallMemory.SIZE) {
            throw new IllegalArgumentException("Unix socket path of " + name.length + " bytes is too long: "
                    + RawText.show(path));
        }
        FileDescriptor fd = task.socket(AF_UNIX, SOCK_STREAM, 0);
        try {
            try (SyscallMemory memory = SyscallMemory.map(task); Borrowed b = fd.borrow(task)) {
                memory.write(0, sockaddr, 0, sockaddr.length);
                task.sysif().syscall(Sys.BIND, b.number(), memory.address(), sockaddr.length);
            }
            io.rsyscall4j.Sockets.listen(fd, BACKLOG);
            return fd;
        } catch (IOException | RuntimeException e) {
            try {
                fd.close();
            } catch (SyscallException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }
}
