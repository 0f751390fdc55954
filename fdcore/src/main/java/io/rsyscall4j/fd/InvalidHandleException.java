package io.rsyscall4j.fd;

/**
 * A handle that was invalidated (explicitly, by {@link FileDescriptor#close}, {@link FileDescriptor#move}
 * or by being consumed as a {@code dup2}/{@code dup3} target) was used again.
 *
 * <p>An invalid handle no longer owns anything: its fd number may already be closed and reused by
 * the kernel for another file, so every use of it is refused rather than risk touching that file.
 */
public class InvalidHandleException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public InvalidHandleException(String message) {
        super(message);
    }
}
