package io.rsyscall4j.fd;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;

/**
 * {@link FileDescriptor#channel}: a blocking {@code ByteChannel} that owns its handle, so that
 * closing it invalidates the handle.
 *
 * <p>A heap buffer's bytes go through {@link FileDescriptor#read} and {@link FileDescriptor#write}
 * on its backing array (so through the task's scratch memory, one copy). A direct buffer the task
 * can reach ({@link SyscallInterface#bufferAddress}: the JVM and its {@code CLONE_VM} children, with
 * either provider) is handed to {@code read(2)} and {@code write(2)} as it is, without a copy.
 * Anything else (a read-only heap buffer, a direct one the provider cannot place) is copied
 * through a temporary array. {@code EINTR} is retried.
 */
final class FdChannel implements ByteChannel {
    private final FdStreamSupport owned;
    private final FileDescriptor fd;

    FdChannel(FileDescriptor fd) {
        this.owned = new FdStreamSupport("FdChannel", fd);
        this.fd = fd;
    }

    /** One {@code read(2)} into {@code dst}'s remaining space; -1 at end of file. */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        checkOpen();
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("read of fd " + fd.number() + " into a read-only buffer");
        }
        int pos = dst.position();
        int len = dst.limit() - pos;
        if (len == 0) {
            return 0;
        }
        int n = FdStreamSupport.retryingEintr(() -> readOnce(dst, pos, len), this::closedChannel);
        if (n == 0) {
            return -1;
        }
        dst.position(pos + n);
        return n;
    }

    private int readOnce(ByteBuffer dst, int pos, int len) throws IOException {
        if (dst.hasArray()) {
            return fd.read(dst.array(), dst.arrayOffset() + pos, len);
        }
        int n = direct(Sys.READ, dst, pos, len);
        if (n < 0) {
            byte[] copy = new byte[Math.min(len, AddressSpace.SCRATCH_SIZE)];
            n = fd.read(copy, 0, copy.length);
            dst.put(pos, copy, 0, n);
        }
        return n;
    }

    /** Writes all of {@code src}'s remaining bytes (blocking), through as many writes as needed. */
    @Override
    public int write(ByteBuffer src) throws IOException {
        checkOpen();
        int start = src.position();
        while (src.hasRemaining()) {
            int pos = src.position();
            int len = src.limit() - pos;
            src.position(pos + FdStreamSupport.retryingEintr(() -> writeOnce(src, pos, len), this::closedChannel));
        }
        return src.position() - start;
    }

    private int writeOnce(ByteBuffer src, int pos, int len) throws IOException {
        if (src.hasArray()) {
            return fd.write(src.array(), src.arrayOffset() + pos, len);
        }
        int n = direct(Sys.WRITE, src, pos, len);
        if (n < 0) {
            byte[] copy = new byte[Math.min(len, AddressSpace.SCRATCH_SIZE)];
            src.get(pos, copy, 0, copy.length);
            n = fd.write(copy, 0, copy.length);
        }
        return n;
    }

    /**
     * {@code read(2)} or {@code write(2)} of {@code len} bytes at {@code pos} of the direct buffer
     * {@code b}, in place; -1 (nothing done) if the task cannot reach the buffer's memory.
     */
    private int direct(Sys op, ByteBuffer b, int pos, int len) throws IOException {
        long base = fd.task().sysif().bufferAddress(b);
        if (base == -1) {
            return -1;
        }
        try {
            return FdIo.transfer(fd, op, base + pos, len);
        } finally {
            Reference.reachabilityFence(b);
        }
    }

    @Override
    public boolean isOpen() {
        return owned.isOpen();
    }

    /** Invalidates the handle (closing the fd if no other handle has it); idempotent. */
    @Override
    public void close() throws IOException {
        owned.close();
    }

    private void checkOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw closedChannel(null);
        }
    }

    private ClosedChannelException closedChannel(RuntimeException cause) {
        ClosedChannelException e = new ClosedChannelException();
        e.initCause(cause != null ? cause : owned.closed(null));
        return e;
    }

    @Override
    public String toString() {
        return owned.toString();
    }
}
