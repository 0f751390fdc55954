package io.rsyscall4j.api;

/**
 * The request was sent but the task died before answering: the syscall may or may not have run.
 * For {@code exit} and {@code execve} a hangup means success.
 */
public class SyscallHangup extends SyscallException {
    private static final long serialVersionUID = 1L;

    public SyscallHangup(String message) {
        super(message);
    }

    public SyscallHangup(String message, Throwable cause) {
        super(message, cause);
    }
}
