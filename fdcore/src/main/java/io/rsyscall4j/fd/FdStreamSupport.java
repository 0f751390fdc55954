package io.rsyscall4j.fd;

import java.io.IOException;

/** What the fd streams and channel share: the errors for a closed stream. */
final class FdStreamSupport {
    private FdStreamSupport() {}

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
