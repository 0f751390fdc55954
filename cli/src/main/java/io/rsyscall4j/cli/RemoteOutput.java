package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.POLLFD_SIZE;
import static io.rsyscall4j.api.Linux.POLLIN;

import io.rsyscall4j.Pipe;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code exec --host} without {@code --fd 1=}: the program's stdout is a pipe on the host, and the
 * launcher copies what comes out of it to its own stdout until EOF, as {@code ssh} does. The copy
 * waits on the host in slices of {@link #SLICE_MS} ms, between which the connection serves other
 * calls (a signal forwarded to the program, say).
 */
final class RemoteOutput implements AutoCloseable {
    /** The longest the connection is held by one wait for output. */
    static final int SLICE_MS = 20;
    private static final int CHUNK = 64 * 1024;

    private final Task task;
    private final Pipe pipe;

    private RemoteOutput(Task task, Pipe pipe) {
        this.task = task;
        this.pipe = pipe;
    }

    /** A pipe in {@code task}'s table, whose write end is to be the program's stdout. */
    static RemoteOutput open(Task task) throws IOException {
        return new RemoteOutput(task, task.pipe());
    }

    /** The end to give the program as its fd 1; close it here once the program has it. */
    FileDescriptor programEnd() {
        return pipe.write();
    }

    /**
     * Copies the program's output to the launcher's stdout until EOF (every holder of the write
     * end has closed it). If the launcher's stdout refuses a write (a reader that went away), the
     * read end is closed and the rest is the program's to lose, as with a local pipe.
     */
    void copyToStdout() throws IOException {
        pipe.write().invalidate();
        @SuppressWarnings("resource") // the JVM's own fd 1, not ours to close
        OutputStream out = new FileOutputStream(java.io.FileDescriptor.out);
        byte[] chunk = new byte[CHUNK];
        try (SyscallMemory mem = SyscallMemory.map(task)) {
            try (Borrowed b = pipe.read().borrow(task)) {
                // The poll's fd and events stay; only its revents change.
                ByteBuffer pollfd = ByteBuffer.allocate(POLLFD_SIZE).order(ByteOrder.nativeOrder());
                pollfd.putInt(b.number()).putShort(POLLIN);
                mem.write(0, pollfd.array(), 0, POLLFD_SIZE);
            }
            while (true) {
                waitReadable(mem);
                int n = pipe.read().read(chunk, 0, chunk.length);
                if (n <= 0) {
                    return;
                }
                try {
                    out.write(chunk, 0, n);
                    out.flush();
                } catch (IOException e) {
                    pipe.read().invalidate();
                    return;
                }
            }
        }
    }

    /** Waits until the read end (its pollfd in {@code mem}) has data or EOF, {@link #SLICE_MS} ms at a time. */
    @SuppressWarnings("try") // the borrow keeps the number in mem this fd's during the poll, never referenced
    private void waitReadable(SyscallMemory mem) throws IOException {
        while (true) {
            try (Borrowed b = pipe.read().borrow(task)) {
                if (task.sysif().syscall(Sys.POLL, mem.address(), 1, SLICE_MS) > 0) {
                    return;
                }
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        pipe.close();
    }
}
