package io.rsyscall4j;

import java.io.IOException;

/**
 * {@link Task#receiveFds} got a message with more fds than it had room for ({@code MSG_CTRUNC}):
 * the kernel dropped the rest. The fds that did arrive are closed, so the message's fds are lost
 * whole rather than in part; its data is {@link #data()}.
 */
public final class FdsTruncatedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient byte[] data;

    FdsTruncatedException(String message, byte[] data) {
        super(message);
        this.data = data;
    }

    /** The message's data, which was received. */
    public byte[] data() {
        return data.clone();
    }
}
