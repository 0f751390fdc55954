package io.rsyscall4j;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import java.util.Objects;
import java.util.StringJoiner;

/** Namespace flags: their names for messages, and the hints a refusal comes with. */
final class Namespaces {
    /** Every {@code CLONE_NEW*} bit {@link CloneFlag} has. */
    static final long ALL;

    static {
        long all = 0;
        for (CloneFlag f : CloneFlag.values()) {
            if (f.isNamespace()) {
                all |= f.bit();
            }
        }
        ALL = all;
    }

    private Namespaces() {}

    /** The namespace bits of {@code flags}. */
    static long of(CloneFlag... flags) {
        long bits = 0;
        for (CloneFlag f : flags) {
            if (Objects.requireNonNull(f, "clone flag").isNamespace()) {
                bits |= f.bit();
            }
        }
        return bits;
    }

    /** Whether {@code flags} has {@link CloneFlag#FILES}. */
    static boolean files(CloneFlag... flags) {
        for (CloneFlag f : flags) {
            if (Objects.requireNonNull(f, "clone flag") == CloneFlag.FILES) {
                return true;
            }
        }
        return false;
    }

    /** {@code "CLONE_NEWUSER|CLONE_NEWNET"}: the namespace (and FILES) bits of {@code flags} by name. */
    static String describe(long flags) {
        StringJoiner names = new StringJoiner("|");
        for (CloneFlag f : CloneFlag.values()) {
            if ((flags & f.bit()) != 0) {
                names.add("CLONE_" + f.name());
            }
        }
        return names.length() == 0 ? "no namespace" : names.toString();
    }

    /**
     * {@code e}, a refusal to make the namespaces {@code flags} (by clone or unshare), as a
     * {@link SandboxException} naming them, with a hint at the cause.
     */
    static SandboxException refused(ErrnoException e, long flags) {
        SandboxException s = new SandboxException(e.syscall(), e.errno(), describe(flags), hint(flags, e.errno()));
        s.setStackTrace(e.getStackTrace());
        return s;
    }

    /** Why the kernel may have refused to make the namespaces {@code flags} with error {@code errno}. */
    static String hint(long flags, int errno) {
        boolean user = (flags & Linux.CLONE_NEWUSER) != 0;
        switch (errno) {
            case 1: // EPERM
                return user
                        ? "user namespaces may be disabled here (sysctl kernel.unprivileged_userns_clone,"
                                + " kernel.apparmor_restrict_unprivileged_userns), or this task is chrooted"
                        : "making these namespaces needs CAP_SYS_ADMIN: add CloneFlag.NEWUSER to make them"
                                + " in a user namespace of the child's own";
            case 22: // EINVAL
                return "the kernel does not support one of these namespaces, or refuses this combination"
                        + " (a process whose memory is shared cannot join or make some of them)";
            case 28: // ENOSPC
                return "the limit on namespaces of this kind was reached (sysctl user.max_*_namespaces;"
                        + " 0 disables the kind)";
            case 12: // ENOMEM
                return "too many nested pid namespaces, or the pid namespace's init has exited";
            case 87: // EUSERS
                return "too many nested user namespaces";
            default:
                return "see namespaces(7)";
        }
    }
}
