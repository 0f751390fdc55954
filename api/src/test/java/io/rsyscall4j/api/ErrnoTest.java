package io.rsyscall4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class ErrnoTest {
    /**
     * Linux's errno names by number, taken from the kernel's uapi headers
     * ({@code asm-generic/errno-base.h} and {@code asm-generic/errno.h}); null where Linux leaves a
     * number unassigned (41, and 58 on x86_64). Kept apart from {@link Errno}'s own table on purpose.
     */
    private static final String[] LINUX = {
        null, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
        "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
        "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
        "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP",
        null, "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI",
        "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", null, "EBFONT", "ENOSTR",
        "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM",
        "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC",
        "ELIBBAD", "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK",
        "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT",
        "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH",
        "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS",
        "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN",
        "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY",
        "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
    };

    @Test
    void everyLinuxErrnoHasItsKernelNameAndADescription() {
        assertEquals(134, LINUX.length, "errnos 0..133");
        int named = 0;
        Set<String> descriptions = new HashSet<>();
        for (int errno = 1; errno < LINUX.length; errno++) {
            if (LINUX[errno] == null) {
                continue;
            }
            named++;
            assertEquals(LINUX[errno], Errno.name(errno), "errno " + errno);
            String description = Errno.description(errno);
            assertFalse(description.isBlank() || description.startsWith("Unknown error"), "errno " + errno);
            assertTrue(descriptions.add(description), "description of errno " + errno + " is unique: " + description);
        }
        assertEquals(131, named, "Linux x86_64 assigns 131 of 1..133");
    }

    @Test
    void byNameFindsEveryLinuxErrnoAndNothingElse() {
        for (int errno = 1; errno < LINUX.length; errno++) {
            if (LINUX[errno] != null) {
                assertEquals(errno, Errno.byName(LINUX[errno]));
            }
        }
        assertEquals(-1, Errno.byName("ENOTANERRNO"));
        assertEquals(-1, Errno.byName("E41"));
    }

    @Test
    void numbersLinuxLeavesUnassignedGetGenericNames() {
        for (int errno : new int[] {41, 58, 0, -1, 134, 4095}) {
            assertNull(errno >= 0 && errno < LINUX.length ? LINUX[errno] : null);
            assertEquals("E" + errno, Errno.name(errno));
            assertEquals("Unknown error " + errno, Errno.description(errno));
        }
    }

    @Test
    void namedConstantsHoldTheirLinuxNumbers() {
        Map<String, Integer> constants = Map.ofEntries(
                Map.entry("EPERM", Errno.EPERM), Map.entry("ENOENT", Errno.ENOENT), Map.entry("ESRCH", Errno.ESRCH),
                Map.entry("EINTR", Errno.EINTR), Map.entry("EIO", Errno.EIO), Map.entry("EBADF", Errno.EBADF),
                Map.entry("ECHILD", Errno.ECHILD), Map.entry("EAGAIN", Errno.EAGAIN),
                Map.entry("ENOMEM", Errno.ENOMEM), Map.entry("EACCES", Errno.EACCES),
                Map.entry("EFAULT", Errno.EFAULT), Map.entry("EBUSY", Errno.EBUSY), Map.entry("EEXIST", Errno.EEXIST),
                Map.entry("ENOTDIR", Errno.ENOTDIR), Map.entry("EISDIR", Errno.EISDIR),
                Map.entry("EINVAL", Errno.EINVAL), Map.entry("ENFILE", Errno.ENFILE), Map.entry("EMFILE", Errno.EMFILE),
                Map.entry("ESPIPE", Errno.ESPIPE), Map.entry("EPIPE", Errno.EPIPE), Map.entry("ERANGE", Errno.ERANGE),
                Map.entry("ENOSYS", Errno.ENOSYS), Map.entry("ENOTSOCK", Errno.ENOTSOCK),
                Map.entry("EOPNOTSUPP", Errno.EOPNOTSUPP), Map.entry("EADDRINUSE", Errno.EADDRINUSE));
        constants.forEach((name, value) -> assertEquals(name, LINUX[value], name + " = " + value));
    }
}
