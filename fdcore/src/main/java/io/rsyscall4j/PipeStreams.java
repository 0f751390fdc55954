package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.FIONREAD;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.FileDescriptorTask;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A program's pipe streams ({@link ChildProcess#getInputStream} and the others) as the JDK's
 * {@code Process} gives them: once the program has ended, what its stdout and stderr pipes hold
 * is read into memory and their fds closed, and its stdin pipe is closed (buffered bytes
 * dropped, writes fail). A program started, waited for and dropped with its streams unclosed
 * then keeps no fd of the JVM's until a GC finds the streams; until then every later child
 * would copy it into its fd table and close it again at its exec.
 *
 * <p>A stream a thread is reading or writing at that moment is left alone: that thread reaches
 * the end itself, and the GC or a close releases the fd. Only for pipes in the JVM's own table:
 * the end of a remote program is seen on a thread that may wait on its host.
 */
final class PipeStreams {
    private static final System.Logger LOG = System.getLogger(PipeStreams.class.getName());
    private static final int BUFFER = 8192;
    /** A stdin stream once the program has ended: writes fail, as the JDK's do. */
    private static final OutputStream ENDED = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            throw new IOException("Stream closed: the program has ended");
        }
    };

    private PipeStreams() {}

    /** The program has ended and is reaped: each stream (null where not a pipe) lets its fd go. */
    static void exited(Output stdin, Input stdout, Input stderr) {
        if (stdin != null) {
            stdin.exited();
        }
        if (stdout != null) {
            stdout.exited();
        }
        if (stderr != null) {
            stderr.exited();
        }
    }

    /** The reading end of a stdout or stderr pipe. */
    static final class Input extends InputStream {
        private final ReentrantLock lock = new ReentrantLock();
        private final FileDescriptor fd;
        /** Over the fd, then over what it held at the end. Guarded by {@link #lock}. */
        private InputStream in;
        private boolean drained;

        Input(FileDescriptor fd) {
            this.fd = fd;
            this.in = new BufferedInputStream(fd.inputStream(), BUFFER);
        }

        @Override
        public int read() throws IOException {
            lock.lock();
            try {
                return in.read();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            lock.lock();
            try {
                return in.read(b, off, len);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int available() throws IOException {
            lock.lock();
            try {
                return in.available();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            lock.lock();
            try {
                in.close();
            } finally {
                lock.unlock();
            }
        }

        /** The program ended: what the pipe holds goes to memory and the fd is closed. */
        void exited() {
            if (!lock.tryLock()) {
                return;
            }
            try {
                if (drained || !fd.isValid() || !ChildTransport.inJvm(fd.task().sysif())) {
                    return;
                }
                drained = true;
                InputStream rest = new ByteArrayInputStream(in.readNBytes(in.available() + pending(fd)));
                in.close();
                in = rest;
            } catch (IOException | RuntimeException e) {
                // Left as it was: a reader still gets the bytes, the fd goes with a close or the GC.
                LOG.log(System.Logger.Level.DEBUG, "rsyscall4j: keeping " + fd + " open after its program ended", e);
            } finally {
                lock.unlock();
            }
        }

        /** How many bytes the pipe holds ({@code FIONREAD}): reading that many never blocks. */
        private static int pending(FileDescriptor fd) throws IOException {
            FileDescriptorTask task = fd.task();
            try (Borrowed b = fd.borrow(task); ScratchBuffer s = FdInternals.scratch(task.addressSpace(), task.sysif())) {
                task.sysif().syscall(Sys.IOCTL, b.number(), FIONREAD, s.address());
                return s.readInt(0);
            }
        }
    }

    /** The writing end of a stdin pipe, buffered: flush or close it. */
    static final class Output extends OutputStream {
        private final ReentrantLock lock = new ReentrantLock();
        private final FileDescriptor fd;
        private final OutputStream raw;
        /** Over the fd, then {@link #ENDED}. Guarded by {@link #lock}. */
        private OutputStream out;

        Output(FileDescriptor fd) {
            this.fd = fd;
            this.raw = fd.outputStream();
            this.out = new BufferedOutputStream(raw, BUFFER);
        }

        @Override
        public void write(int b) throws IOException {
            lock.lock();
            try {
                out.write(b);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            lock.lock();
            try {
                out.write(b, off, len);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void flush() throws IOException {
            lock.lock();
            try {
                out.flush();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            lock.lock();
            try {
                out.close();
            } finally {
                lock.unlock();
            }
        }

        /** The program ended: the fd is closed without a flush (which could block), as the JDK does. */
        void exited() {
            if (!lock.tryLock()) {
                return;
            }
            try {
                if (out != ENDED && ChildTransport.inJvm(fd.task().sysif())) {
                    out = ENDED;
                    raw.close();
                }
            } catch (IOException | RuntimeException e) {
                // The number is released whatever close says.
                LOG.log(System.Logger.Level.DEBUG, "rsyscall4j: closing a program's stdin after it ended", e);
            } finally {
                lock.unlock();
            }
        }
    }
}
