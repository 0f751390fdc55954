package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.AT_FDCWD;
import static io.rsyscall4j.api.Linux.O_CLOEXEC;
import static io.rsyscall4j.api.Linux.O_RDONLY;
import static io.rsyscall4j.api.Linux.SIGKILL;
import static io.rsyscall4j.api.Linux.SIGSTOP;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which signals of a child task have a disposition other than the default, so that exec resets
 * only those: a JVM catches about a dozen signals and ignores perhaps one, and each reset is a
 * step of the child's server and an answer the JVM waits for. Resetting all 62 catchable signals
 * was an eighth of a spawn; reading which ones to reset costs one small {@code /proc} read in the
 * JVM.
 *
 * <p>The kernel says it in {@code /proc/<pid>/status} ({@code SigCgt}: caught, {@code SigIgn}:
 * ignored). A child task's dispositions cannot change behind our back: it runs no code but its
 * server, with every signal blocked, so what the file says just before the exec is what the exec
 * would otherwise inherit. The file is trusted only if {@code /proc} shows the JVM's own pid
 * namespace (its {@code self} is the JVM's pid; else it would name another namespace's process of
 * the same number); when it cannot be trusted or read, every catchable signal is reset.
 */
final class ChildSignals {
    /** Every signal but SIGKILL and SIGSTOP, whose dispositions cannot be changed. */
    static final long ALL_CATCHABLE = ~(bit(SIGKILL) | bit(SIGSTOP));
    /** Room for the path at the start of the scratch space; the file is read after it. */
    private static final int PATH_ROOM = 64;
    private static final System.Logger LOG = System.getLogger(ChildSignals.class.getName());
    /** Whether /proc shows the JVM's pid namespace; decided once. */
    private static volatile Boolean procIsOurs;

    private ChildSignals() {}

    /** The mask bit of signal {@code sig} (bit {@code sig - 1}, as in a {@code sigset_t}). */
    static long bit(int sig) {
        return 1L << (sig - 1);
    }

    /**
     * The signals of process {@code pid} (of the JVM's pid namespace) that are caught or ignored,
     * as a mask; {@link #ALL_CATCHABLE} if that cannot be known. Reads the file through
     * {@code local} into {@code scratch} ({@code size} bytes of JVM memory).
     */
    static long notDefault(SyscallInterface local, int pid, long scratch, int size) {
        if (!procIsOurs()) {
            return ALL_CATCHABLE;
        }
        byte[] status;
        try {
            status = read(local, "/proc/" + pid + "/status", scratch, size);
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "can't read /proc/" + pid + "/status; resetting every signal", e);
            return ALL_CATCHABLE;
        }
        String text = new String(status, StandardCharsets.ISO_8859_1);
        long caught = field(text, "SigCgt:");
        long ignored = field(text, "SigIgn:");
        if (caught == -1 || ignored == -1) {
            return ALL_CATCHABLE;
        }
        return (caught | ignored) & ALL_CATCHABLE;
    }

    /** The file at {@code path}, read whole (up to what fits in the scratch space). */
    private static byte[] read(SyscallInterface local, String path, long scratch, int size) throws SyscallException {
        byte[] name = (path + "\0").getBytes(StandardCharsets.ISO_8859_1);
        if (name.length > PATH_ROOM) {
            throw new IllegalArgumentException("path too long: " + path);
        }
        local.writeMemory(scratch, name, 0, name.length);
        long buf = scratch + PATH_ROOM;
        int room = size - PATH_ROOM;
        int fd = (int) local.syscall(Sys.OPENAT, AT_FDCWD, scratch, O_RDONLY | O_CLOEXEC, 0);
        int got = 0;
        try {
            while (got < room) {
                long n;
                try {
                    n = local.syscall(Sys.READ, fd, buf + got, room - got);
                } catch (ErrnoException e) {
                    if (e.errno() == Errno.EINTR) {
                        continue;
                    }
                    throw e;
                }
                if (n == 0) {
                    break;
                }
                got += (int) n;
            }
        } finally {
            local.syscall(Sys.CLOSE, fd);
        }
        byte[] out = new byte[got];
        local.readMemory(buf, out, 0, got);
        return out;
    }

    /** The hexadecimal mask after {@code name} at the start of a line, or -1 if missing or malformed. */
    static long field(String status, String name) {
        int at = status.startsWith(name) ? 0 : status.indexOf("\n" + name);
        if (at < 0) {
            return -1;
        }
        int from = status.indexOf(name, at) + name.length();
        int end = status.indexOf('\n', from);
        if (end < 0) {
            return -1; // cut off: the line may be incomplete
        }
        String hex = status.substring(from, end).trim();
        if (hex.length() != 16) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(hex, 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean procIsOurs() {
        Boolean ours = procIsOurs;
        if (ours == null) {
            try {
                ours = Files.readSymbolicLink(Path.of("/proc/self")).toString()
                        .equals(Long.toString(ProcessHandle.current().pid()));
            } catch (IOException | RuntimeException e) {
                ours = false;
            }
            if (!ours) {
                LOG.log(System.Logger.Level.DEBUG, "/proc does not show this JVM's pid namespace (or can't be read):"
                        + " exec resets every signal");
            }
            procIsOurs = ours;
        }
        return ours;
    }
}
