package io.rsyscall4j.api;

import java.io.IOException;

/**
 * A syscall did not succeed. Either the kernel refused it ({@link ErrnoException}) or the syscall
 * interface itself failed ({@link SyscallHangup}, {@link SyscallSendError}); the latter two are
 * permanent for that interface, as in rsyscall.
 */
public class SyscallException extends IOException {
    private static final long serialVersionUID = 1L;

    public SyscallException(String message) {
        super(message);
    }

    public SyscallException(String message, Throwable cause) {
        super(message, cause);
    }
}
