package io.rsyscall4j.cli;

/**
 * A command could not do what it was asked, for a reason the user can fix: the message is the
 * one line printed, the status is the process's exit status.
 */
final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Exit status for bad input (as for a usage error). */
    static final int BAD_INPUT = 2;

    private final int status;

    CommandFailure(String message, int status) {
        super(message);
        this.status = status;
    }

    CommandFailure(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    int status() {
        return status;
    }
}
