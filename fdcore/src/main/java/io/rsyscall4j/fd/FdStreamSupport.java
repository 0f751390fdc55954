package io.rsyscall4j.fd;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import java.io.IOException;
import java.util.function.Function;

/** What the fd streams and channel share: retrying an interrupted call, the errors for a closed stream. */
final class FdStreamSupport {
    private FdStreamSupport() {}

    /** One {@code read(2)} or {@code write(2)}: the byte count it returned. */
    @FunctionalInterface
    interface Transfer {
        int run() throws IOException;
    }

    /**
     * Runs {@code call}, again while it fails with {@code EINTR}; a handle invalidated meanwhile
     * gives {@code closed}'s error.
     */
    static int retryingEintr(Transfer call, Function<RuntimeException, IOException> closed) throws IOException {
        while (true) {
            try {
                return call.run();
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            } catch (InvalidHandleException e) {
                throw closed.apply(e);
            }
        }
    }

    /** Throws the closed-stream error unless the stream is open and its handle valid. */
    static void checkOpen(boolean closed, FileDescriptor fd) throws IOException {
        if (closed || !fd.isValid()) {
            throw closed(fd, null);
        }
    }

    /**
     * The error for using a closed stream of {@code fd}, with the JDK's "Stream closed" first and
     * the fd named, since a closed or invalidated handle's number may belong to another file now.
     */
    static IOException closed(FileDescriptor fd, RuntimeException cause) {
        return new IOException("Stream closed: fd " + fd.number() + " of " + fd.task()
                + " (the stream or its handle was closed)", cause);
    }
}
