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
 * Which signals of a child task exec must set back to their default disposition, so that it
 * resets only those: a JVM catches about a dozen signals, and each reset is a step of the child's
 * server. Resetting all 62 catchable signals was an eighth of a spawn; reading which ones to reset
 * costs one small {@code /proc} read in the JVM.
 *
 * <p>Reset are the signals the child catches (the copies of the JVM's handlers, which must never
 * run in it) and those it ignores, except the signals the JVM's own process ignores: those stay
 * ignored in the program, as {@code ProcessBuilder}'s programs inherit them ({@code execve} keeps
 * {@code SIG_IGN}): a JVM started under {@code nohup} ignores {@code SIGHUP}, one started as a
 * background job of a non-interactive shell {@code SIGINT}. HotSpot ignores no signal of its own
 * accord; it leaves {@code SIGHUP}, {@code SIGINT} and {@code SIGTERM} ignored if they were
 * (others, such as {@code SIGQUIT} and {@code SIGPIPE}, it catches whatever it inherited). The
 * JVM's set is read once, from {@code /proc/self/status}, at the first exec.
 *
 * <p>The kernel says it in {@code /proc/<pid>/status} ({@code SigCgt}: caught, {@code SigIgn}:
 * ignored). A child task's dispositions cannot change behind our back: it runs no code but its
 * server, with every signal blocked, so what the file says just before the exec is what the exec
 * would otherwise inherit. The file is trusted only if {@code /proc} shows the JVM's own pid
 * namespace (its {@code self} is the JVM's pid; else it would name another namespace's process of
 * the same number); when it cannot be trusted or read, every catchable signal is reset but those
 * the JVM ignores (and those too if the JVM's own file cannot be read).
 */
final class ChildSignals {
    /** Every signal but SIGKILL and SIGSTOP, whose dispositions cannot be changed. */
    static final long ALL_CATCHABLE = ~(bit(SIGKILL) | bit(SIGSTOP));
    /** Room for the path at the start of the scratch space; the file is read after it. */
    private static final int PATH_ROOM = 64;
    private static final System.Logger LOG = System.getLogger(ChildSignals.class.getName());
    /** Whether /proc shows the JVM's pid namespace; decided once. */
    private static volatile Boolean procIsOurs;
    /** The signals the JVM's process ignores, as a mask; read once. */
    private static volatile Long jvmIgnored;

    private ChildSignals() {}

    /** The mask bit of signal {@code sig} (bit {@code sig - 1}, as in a {@code sigset_t}). */
    static long bit(int sig) {
        return 1L << (sig - 1);
    }

    /**
     * The signals of process {@code pid} (of the JVM's pid namespace) to set to their default
     * before it execs, as a mask: those caught, and those ignored that the JVM's process does not
     * ignore; {@link #ALL_CATCHABLE} less those the JVM ignores if the file cannot be read. Reads
     * the file through {@code local} into {@code scratch} ({@code size} bytes of JVM memory).
     */
    static long toReset(SyscallInterface local, int pid, long scratch, int size) {
        long keep = jvmIgnored();
        if (!procIsOurs()) {
            return ALL_CATCHABLE & ~keep;
        }
        byte[] status;
        try {
            status = read(local, "/proc/" + pid + "/status", scratch, size);
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "can't read /proc/" + pid + "/status; resetting every signal", e);
            return ALL_CATCHABLE & ~keep;
        }
        String text = new String(status, StandardCharsets.ISO_8859_1);
        long caught = field(text, "SigCgt:");
        long ignored = field(text, "SigIgn:");
        if (caught == -1 || ignored == -1) {
            return ALL_CATCHABLE & ~keep;
        }
        return (caught | (ignored & ~keep)) & ALL_CATCHABLE;
    }

    /**
     * The signals the JVM's process ignores ({@code SigIgn} of {@code /proc/self/status}), read at
     * the first call; 0 if that file cannot be read or trusted.
     */
    static long jvmIgnored() {
        Long ignored = jvmIgnored;
        if (ignored == null) {
            ignored = 0L;
            if (procIsOurs()) {
                try {
                    String status = Files.readString(Path.of("/proc/self/status"), StandardCharsets.ISO_8859_1);
                    long f = field(status, "SigIgn:");
                    ignored = f == -1 ? 0 : f & ALL_CATCHABLE;
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "can't read /proc/self/status: exec resets ignored signals too", e);
                }
            }
            jvmIgnored = ignored;
        }
        return ignored;
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
