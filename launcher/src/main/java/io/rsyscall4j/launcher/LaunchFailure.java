package io.rsyscall4j.launcher;

/** The embedded framework could not be started or stopped; the message says what failed. */
final class LaunchFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LaunchFailure(String message, Throwable cause) {
        super(cause == null || cause.getMessage() == null ? message : message + ": " + cause.getMessage(), cause);
    }
}
