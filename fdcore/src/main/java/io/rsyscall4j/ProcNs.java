package io.rsyscall4j;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.AddressSpace;
import io.rsyscall4j.fd.OpenFlags;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the JVM reads and writes of a child's namespaces in its own {@code /proc}. */
final class ProcNs {
    private ProcNs() {}

    /** The namespace {@code /proc/<pid>/ns/<kind>} names, e.g. {@code "mnt:[4026531841]"}. */
    static String of(long pid, String kind) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + kind)).toString();
    }

    /** The JVM's own namespace of {@code kind}. */
    static String jvm(String kind) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/" + kind)).toString();
    }

    /** Whether namespace {@code kindA} of {@code a} is namespace {@code kindB} of {@code b}. */
    static boolean same(long a, String kindA, long b, String kindB) throws IOException {
        return of(a, kindA).equals(of(b, kindB));
    }

    /**
     * Writes {@code text} in one write to {@code /proc/<pid>/<file>}, through {@code local} (the
     * JVM's provider) with memory of {@code space}.
     *
     * @throws SandboxException the kernel refused
     */
    static void writeFromJvm(SyscallInterface local, AddressSpace space, long pid, String file, String text)
            throws IOException {
        String path = "/proc/" + pid + "/" + file;
        byte[] cpath = CStrings.cString(path);
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        try (ScratchBuffer buf = FdInternals.scratch(space, local)) {
            buf.write(0, cpath, 0, cpath.length);
            buf.write(cpath.length, b, 0, b.length);
            int fd = (int) local.syscall(Sys.OPENAT, Linux.AT_FDCWD, buf.address(), OpenFlags.O_WRONLY | OpenFlags.O_CLOEXEC, 0);
            try {
                local.syscall(Sys.WRITE, fd, buf.address() + cpath.length, b.length);
            } finally {
                local.syscall(Sys.CLOSE, fd);
            }
        } catch (ErrnoException e) {
            SandboxException s = new SandboxException(e.syscall(), e.errno(), path + " <- " + text.trim(),
                    "writing several ranges needs CAP_SETUID/CAP_SETGID in the parent user namespace; a map is written"
                            + " once; setgroups must be denied before an unprivileged gid map");
            s.setStackTrace(e.getStackTrace());
            throw s;
        }
    }
}
