package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.AF_UNIX;

import io.rsyscall4j.AbstractUnixSocketAddress;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The sockets of {@code --fd} SPECs, made with the task's own calls ({@link Task#listen},
 * {@link Task#connect}, {@link Task#socket}): the fd is a handle of the task from the moment it
 * exists, so a failed bind, listen or connect closes it rather than leaking it.
 */
final class Sockets {
    /** The listen backlog, as systemd's ({@code SOMAXCONN}). */
    private static final int BACKLOG = 4096;

    private Sockets() {}

    /** Makes the socket {@code spec} asks for: bound (and listening, for a connection type), or connected. */
    static FileDescriptor open(Task task, FdSpec.Socket spec) throws IOException {
        if (spec.path() != null && !spec.isAbstract()) {
            return unixPath(task, spec);
        }
        SocketAddress address = spec.path() == null ? inet(spec)
                : AbstractUnixSocketAddress.of(RawText.bytes(spec.path().substring(1)));
        if (spec.kind().connect()) {
            return task.connect(address, spec.kind().type);
        }
        return task.listen(address, spec.kind().type, BACKLOG);
    }

    private static SocketAddress inet(FdSpec.Socket spec) {
        InetAddress host;
        try {
            host = InetAddress.getByName(spec.host());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host \"" + spec.host() + "\"");
        }
        return new InetSocketAddress(host, spec.port());
    }

    /**
     * A Unix socket at a path, a byte string: bound (created by the bind; must not exist) and
     * listening for a connection type, or connected. The bind or connect goes through
     * {@link Task#sysif()} with the path's exact bytes, which {@link java.net.UnixDomainSocketAddress}
     * would re-encode; the socket itself and the listen are fdcore's.
     */
    private static FileDescriptor unixPath(Task task, FdSpec.Socket spec) throws IOException {
        byte[] name = RawText.bytes(spec.path());
        byte[] sockaddr = ByteBuffer.allocate(2 + name.length + 1).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) AF_UNIX).put(name).put((byte) 0).array();
        FileDescriptor fd = task.socket(AF_UNIX, spec.kind().type.value(), 0);
        try {
            Sys call = spec.kind().connect() ? Sys.CONNECT : Sys.BIND;
            try (SyscallMemory memory = SyscallMemory.map(task); Borrowed b = fd.borrow(task)) {
                memory.write(0, sockaddr, 0, sockaddr.length);
                task.sysif().syscall(call, b.number(), memory.address(), sockaddr.length);
            } catch (ErrnoException e) {
                throw e.withSubject(fd.number() + ", " + RawText.show(spec.path()));
            }
            if (spec.kind().listens()) {
                io.rsyscall4j.Sockets.listen(fd, BACKLOG);
            }
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
