package io.rsyscall4j.api;

/**
 * The kernel answered a syscall with an error number.
 *
 * <p>The message names the syscall, what it was about and the errno, e.g.
 * {@code close(17): EBADF (Bad file descriptor)} or {@code openat(/no/such): ENOENT (No such file or
 * directory)}, so a log line alone says what went wrong.
 */
public class ErrnoException extends SyscallException {
    private static final long serialVersionUID = 1L;

    private final Sys syscall;
    private final int errno;
    private final String subject;

    /**
     * @param syscall the syscall that failed
     * @param errno the positive error number
     * @param subject what the call was about (an fd number, a path), or {@code null}
     */
    public ErrnoException(Sys syscall, int errno, String subject) {
        super(format(syscall, errno, subject));
        this.syscall = syscall;
        this.errno = errno;
        this.subject = subject;
    }

    /**
     * The exception for a raw syscall result: subject is the first argument when that is an fd.
     * Providers use this so every provider reports errors alike.
     */
    public static ErrnoException of(Sys syscall, int errno, long... args) {
        String subject = syscall.firstArgIsFd() && args.length > 0 ? Long.toString((int) args[0]) : null;
        return new ErrnoException(syscall, errno, subject);
    }

    /** The same error, about {@code newSubject} (a path, a handle) instead. */
    public ErrnoException withSubject(String newSubject) {
        ErrnoException e = new ErrnoException(syscall, errno, newSubject);
        e.setStackTrace(getStackTrace());
        return e;
    }

    public Sys syscall() {
        return syscall;
    }

    public int errno() {
        return errno;
    }

    /** The symbolic name, e.g. {@code "EBADF"}. */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** What the call was about, or {@code null}. */
    public String subject() {
        return subject;
    }

    private static String format(Sys syscall, int errno, String subject) {
        String call = syscall == null ? "syscall" : syscall.syscallName();
        return call + "(" + (subject == null ? "" : subject) + "): "
                + Errno.name(errno) + " (" + Errno.description(errno) + ")";
    }
}
