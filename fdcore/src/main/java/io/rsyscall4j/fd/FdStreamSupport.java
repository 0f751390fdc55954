package io.rsyscall4j.fd;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import java.io.IOException;
import java.util.Objects;
import java.util.function.Function;

/**
 * The handle an fd stream or channel owns: closing it invalidates the handle; its calls are
 * retried on {@code EINTR}; once closed they fail naming the fd.
 */
final class FdStreamSupport {
    final FileDescriptor fd;
    private final String kind;
    private volatile boolean closed;

    /** For the adapter class named {@code kind} (in {@link #toString}) over {@code fd}. */
    FdStreamSupport(String kind, FileDescriptor fd) {
        this.kind = kind;
        this.fd = Objects.requireNonNull(fd, "fd");
    }

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

    /** A stream's call, {@link #retryingEintr} with the stream's error. */
    int call(Transfer call) throws IOException {
        return retryingEintr(call, this::closed);
    }

    /** Throws the closed-stream error unless the stream is open and its handle valid. */
    void checkOpen() throws IOException {
        if (!isOpen()) {
            throw closed(null);
        }
    }

    /** Whether neither the adapter nor its handle is closed. */
    boolean isOpen() {
        return !closed && fd.isValid();
    }

    /** Invalidates the handle (closing the fd if no other handle has it); idempotent. */
    void close() throws IOException {
        closed = true;
        fd.invalidate();
    }

    /**
     * The error for using a closed stream, with the JDK's "Stream closed" first and the fd named,
     * since a closed or invalidated handle's number may belong to another file now.
     */
    IOException closed(RuntimeException cause) {
        return new IOException("Stream closed: fd " + fd.number() + " of " + fd.task()
                + " (the stream or its handle was closed)", cause);
    }

    @Override
    public String toString() {
        return kind + "[" + fd + "]";
    }
}
