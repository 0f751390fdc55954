package io.rsyscall4j.fd;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * {@link FileDescriptor#outputStream}: an unbuffered {@code OutputStream} that owns its handle, so
 * that closing it invalidates the handle. A write returns once all its bytes are written, through
 * as many {@link FileDescriptor#write} calls as the kernel needs ({@code EINTR} retried).
 */
final class FdOutputStream extends OutputStream {
    private final FdStreamSupport owned;

    FdOutputStream(FileDescriptor fd) {
        this.owned = new FdStreamSupport("FdOutputStream", fd);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        owned.checkOpen();
        int done = 0;
        while (done < len) {
            int at = off + done;
            int rest = len - done;
            done += owned.call(() -> owned.fd.write(b, at, rest));
        }
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
