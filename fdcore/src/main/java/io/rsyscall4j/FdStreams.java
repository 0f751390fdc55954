package io.rsyscall4j;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.InvalidHandleException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Blocking streams over a {@link FileDescriptor} the stream owns: {@code close()} invalidates the
 * handle (closing the fd once no other handle has it). For the pipes of a {@link ChildProcess}.
 */
final class FdStreams {
    private FdStreams() {}

    /** An {@code InputStream} reading {@code fd}: -1 at end of file. */
    static InputStream input(FileDescriptor fd) {
        return new In(fd);
    }

    /** An {@code OutputStream} writing all of every buffer to {@code fd}. */
    static OutputStream output(FileDescriptor fd) {
        return new Out(fd);
    }

    /** What {@code Process} gives for a stream that is not a pipe: nothing to read. */
    static InputStream nullInput() {
        return InputStream.nullInputStream();
    }

    /** What {@code Process} gives for a stdin that is not a pipe: every write fails. */
    static OutputStream nullOutput() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Stream closed: the program's stdin is not a pipe (Redirect.PIPE)");
            }
        };
    }

    private static final class In extends InputStream {
        private final FileDescriptor fd;

        In(FileDescriptor fd) {
            this.fd = fd;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            while (true) {
                try {
                    int n = fd.read(b, off, len);
                    return n == 0 ? -1 : n;
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.EINTR) {
                        throw e;
                    }
                } catch (InvalidHandleException e) {
                    throw new IOException("Stream closed", e);
                }
            }
        }

        @Override
        public void close() throws IOException {
            fd.invalidate();
        }
    }

    private static final class Out extends OutputStream {
        private final FileDescriptor fd;

        Out(FileDescriptor fd) {
            this.fd = fd;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            int done = 0;
            while (done < len) {
                try {
                    done += fd.write(b, off + done, len - done);
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.EINTR) {
                        throw e;
                    }
                } catch (InvalidHandleException e) {
                    throw new IOException("Stream closed", e);
                }
            }
        }

        @Override
        public void close() throws IOException {
            fd.invalidate();
        }
    }
}
