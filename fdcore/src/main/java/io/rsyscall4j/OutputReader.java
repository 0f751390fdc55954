package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.POLLFD_SIZE;
import static io.rsyscall4j.api.Linux.POLLIN;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.Poller;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads two pipes to their ends at once, on the calling thread: {@code poll(2)} on both, then a
 * read from each that is ready. A program that fills one pipe while the JVM waits on the other
 * would deadlock a reader that drains them in turn.
 */
final class OutputReader {
    private static final int CHUNK = 64 * 1024;

    private OutputReader() {}

    /** Everything {@code a} and {@code b} (handles of {@code task}, either may be null) give until EOF; closes them. */
    static byte[][] readBoth(Task task, FileDescriptor a, FileDescriptor b) throws IOException {
        FileDescriptor[] open = {a, b};
        ByteArrayOutputStream[] got = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        byte[] chunk = new byte[CHUNK];
        try (ScratchBuffer mem = FdInternals.scratch(task.addressSpace(), task.sysif())) {
            while (open[0] != null || open[1] != null) {
                int[] which = new int[2];
                int count = 0;
                ByteBuffer fds = ByteBuffer.allocate(2 * POLLFD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                Borrowed[] borrowed = new Borrowed[2];
                try {
                    for (int i = 0; i < 2; i++) {
                        if (open[i] != null) {
                            borrowed[i] = open[i].borrow(task);
                            fds.putInt(borrowed[i].number()).putShort(POLLIN).putShort((short) 0);
                            which[count++] = i;
                        }
                    }
                    mem.write(0, fds.array(), 0, count * POLLFD_SIZE);
                    if (task instanceof LocalTask && Poller.inVirtualThread()) {
                        int[] numbers = new int[count];
                        for (int k = 0; k < count; k++) {
                            numbers[k] = borrowed[which[k]].number();
                        }
                        awaitAny(task, mem.address(), count, numbers);
                    } else {
                        poll(task, mem.address(), count, -1);
                    }
                } finally {
                    for (Borrowed x : borrowed) {
                        if (x != null) {
                            x.close();
                        }
                    }
                }
                byte[] result = new byte[count * POLLFD_SIZE];
                mem.read(0, result, 0, result.length);
                ByteBuffer r = ByteBuffer.wrap(result).order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < count; k++) {
                    if (r.getShort(k * POLLFD_SIZE + 6) == 0) {
                        continue;
                    }
                    int i = which[k];
                    int n = read(open[i], chunk);
                    if (n == 0) {
                        open[i].invalidate();
                        open[i] = null;
                    } else {
                        got[i].write(chunk, 0, n);
                    }
                }
            }
        } finally {
            for (FileDescriptor fd : open) {
                if (fd != null) {
                    fd.invalidate();
                }
            }
        }
        return new byte[][] {got[0].toByteArray(), got[1].toByteArray()};
    }

    /** A virtual thread's poll: parks in the poller until one of the fds is ready (a poll finds out which). */
    private static void awaitAny(Task task, long address, int count, int[] numbers) throws IOException {
        while (poll(task, address, count, 0) == 0) {
            Poller.awaitAny(task.sysif(), numbers, POLLIN, -1);
        }
    }

    private static long poll(Task task, long address, int count, int timeout) throws IOException {
        while (true) {
            try {
                return task.sysif().syscall(Sys.POLL, address, count, timeout);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }

    private static int read(FileDescriptor fd, byte[] chunk) throws IOException {
        while (true) {
            try {
                return fd.read(chunk, 0, chunk.length);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }
}
