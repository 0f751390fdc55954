package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.CLOSE_RANGE_ALL;
import static io.rsyscall4j.api.Linux.CLOSE_RANGE_CLOEXEC;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.util.List;

/**
 * Whether the running kernel has a syscall rsyscall4j relies on, found by calling it with
 * arguments it must reject or that do nothing: ENOSYS means the kernel (or a seccomp filter) lacks
 * it, EINVAL means it is there and refused the argument, as it should.
 */
record KernelFeature(String name, boolean available, String detail) {
    /** An fd number no table can hold (fd numbers stay below INT_MAX): close_range over it closes nothing. */
    private static final long NO_SUCH_FD = CLOSE_RANGE_ALL;

    static List<KernelFeature> probe(SyscallInterface sysif) {
        return List.of(closeRange(sysif), pidfdOpen(sysif), clone3(sysif));
    }

    /** close_range(2), Linux 5.9; its CLOSE_RANGE_CLOEXEC flag (what exec relies on), Linux 5.11. */
    private static KernelFeature closeRange(SyscallInterface sysif) {
        String withCloexec = outcome(sysif, Sys.CLOSE_RANGE, NO_SUCH_FD, NO_SUCH_FD, CLOSE_RANGE_CLOEXEC);
        if (withCloexec.equals("ok")) {
            return new KernelFeature("close_range", true, "with CLOSE_RANGE_CLOEXEC");
        }
        String plain = outcome(sysif, Sys.CLOSE_RANGE, NO_SUCH_FD, NO_SUCH_FD, 0);
        if (plain.equals("ok")) {
            return new KernelFeature("close_range", true, "without CLOSE_RANGE_CLOEXEC (" + withCloexec + ")");
        }
        return new KernelFeature("close_range", false, plain);
    }

    /** pidfd_open(2), Linux 5.3: a pid of 0 must be refused with EINVAL. */
    private static KernelFeature pidfdOpen(SyscallInterface sysif) {
        return expectEinval("pidfd_open", outcome(sysif, Sys.PIDFD_OPEN, 0, 0));
    }

    /** clone3(2), Linux 5.3: a NULL argument struct of size 0 is too small, EINVAL. */
    private static KernelFeature clone3(SyscallInterface sysif) {
        return expectEinval("clone3", outcome(sysif, Sys.CLONE3, 0, 0));
    }

    private static KernelFeature expectEinval(String name, String outcome) {
        return outcome.equals("EINVAL")
                ? new KernelFeature(name, true, "")
                : new KernelFeature(name, false, outcome);
    }

    /** "ok", the errno's name, or what else went wrong. */
    private static String outcome(SyscallInterface sysif, Sys nr, long... args) {
        try {
            sysif.syscall(nr, args);
            return "ok";
        } catch (ErrnoException e) {
            return e.errnoName();
        } catch (SyscallException e) {
            return e.getMessage();
        }
    }

    @Override
    public String toString() {
        return name + ": " + (available ? "yes" : "no") + (detail.isEmpty() ? "" : " (" + detail + ")");
    }
}
