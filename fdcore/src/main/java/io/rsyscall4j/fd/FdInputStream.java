package io.rsyscall4j.fd;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * {@link FileDescriptor#inputStream}: an unbuffered {@code InputStream} that owns its handle, so
 * that closing it invalidates the handle. Each read is one {@link FileDescriptor#read} (one
 * {@code read(2)}, retried on {@code EINTR}); 0 bytes from the kernel is end of file, -1 here.
 */
final class FdInputStream extends InputStream {
    private final FdStreamSupport owned;

    FdInputStream(FileDescriptor fd) {
        this.owned = new FdStreamSupport("FdInputStream", fd);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        owned.checkOpen();
        if (len == 0) {
            return 0;
        }
        int n = owned.call(() -> owned.fd.read(b, off, len));
        return n == 0 ? -1 : n;
    }

    /** Invalidates the handle (closing the fd if no other handle has it); idempotent. */
    @Override
    public void close() throws IOException {
        owned.close();
    }

    @Override
    public String toString() {
        return owned.toString();
    }
}
