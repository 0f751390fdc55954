package io.rsyscall4j.api;

/**
 * The request was definitely never sent: the task is gone, or there is no provider at all. The
 * syscall did not run, so (unlike a hangup) its effects are known not to have happened.
 */
public class SyscallSendError extends SyscallException {
    private static final long serialVersionUID = 1L;

    public SyscallSendError(String message) {
        super(message);
    }

    public SyscallSendError(String message, Throwable cause) {
        super(message, cause);
    }
}
