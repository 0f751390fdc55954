package io.rsyscall4j;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;

/**
 * The kernel refused to set up part of a sandbox (a namespace, a mount, a uid map): the message
 * names the call, what it was about (the flags, the source and target of a mount) and a hint at
 * the likely cause, e.g. {@code unshare(CLONE_NEWUSER): EPERM (Operation not permitted); hint:
 * user namespaces may be disabled here ...}.
 */
public class SandboxException extends ErrnoException {
    private static final long serialVersionUID = 1L;

    private final String hint;

    /**
     * @param syscall the syscall that failed
     * @param errno the positive error number
     * @param subject what it was about
     * @param hint the likely cause and what to do about it
     */
    public SandboxException(Sys syscall, int errno, String subject, String hint) {
        super(syscall, errno, subject);
        this.hint = hint;
    }

    /** The likely cause, and what to do about it. */
    public String hint() {
        return hint;
    }

    @Override
    public String getMessage() {
        return super.getMessage() + "; hint: " + hint;
    }
}
