package io.rsyscall4j;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The credential calls of {@link ConfinedTask}, made in the child: its uids and gids, its
 * supplementary groups, and its capabilities.
 */
final class Credentials {

    private Credentials() {}

    /**
     * {@code setresuid(2)} or {@code setresgid(2)} ({@code nr}) in the child, keeping the memory it
     * shares with the JVM dumpable if it was: the kernel clears that flag when the effective id
     * changes.
     */
    static void setIds(ConfinedTask t, Sys nr, long r, long e, long s) throws IOException {
        t.whileAlive(nr.syscallName(), () -> {
            long dumpable = t.sysif().syscall(Sys.PRCTL, Linux.PR_GET_DUMPABLE, 0, 0, 0, 0);
            try {
                t.sysif().syscall(nr, r, e, s);
            } catch (ErrnoException x) {
                throw new SandboxException(nr, x.errno(), r + ", " + e + ", " + s,
                        "changing ids needs CAP_SETUID/CAP_SETGID, and the ids mapped in the user namespace");
            } finally {
                if (dumpable == 1 && t.sysif().syscall(Sys.PRCTL, Linux.PR_GET_DUMPABLE, 0, 0, 0, 0) != 1) {
                    t.sysif().syscall(Sys.PRCTL, Linux.PR_SET_DUMPABLE, 1, 0, 0, 0);
                }
            }
            return null;
        });
    }

    /** {@code setgroups(2)} in the child: its supplementary groups become {@code gids}. */
    static void setgroups(ConfinedTask t, long... gids) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(4 * gids.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long g : gids) {
            bb.putInt((int) g);
        }
        byte[] b = bb.array();
        t.call("setgroups", b, (addr) -> t.sysif().syscall(Sys.SETGROUPS, gids.length, addr),
                gids.length + " groups", "needs CAP_SETGID, and setgroups not denied in the user namespace");
    }

    /** Empties the bounding set (as far as allowed), the ambient set, then the other three. */
    static void dropCapabilities(ConfinedTask t) throws IOException {
        t.whileAlive("dropCapabilities", () -> {
            dropBoundingSet(t);
            t.sysif().syscall(Sys.PRCTL, Linux.PR_CAP_AMBIENT, Linux.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
            byte[] hd = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(Linux.LINUX_CAPABILITY_VERSION_3).putInt(0).array(); // header, then 24 bytes of zero sets
            try (ScratchBuffer buf = FdInternals.scratch(t.addressSpace(), t.sysif())) {
                buf.write(0, hd, 0, hd.length);
                t.sysif().syscall(Sys.CAPSET, buf.address(), buf.address() + 8);
            }
            return null;
        });
    }

    /**
     * Empties the capability bounding set, as far as the child may ({@code CAP_SETPCAP}): it
     * stays empty across a later switch of ids, which leaves no right to drop it. Stops at the
     * first {@code EPERM}; skips capabilities the kernel does not know.
     */
    static void dropBoundingSet(ConfinedTask t) throws IOException {
        for (int cap = 0; cap <= Linux.CAP_LAST_CAP; cap++) {
            try {
                t.sysif().syscall(Sys.PRCTL, Linux.PR_CAPBSET_DROP, cap, 0, 0, 0);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EPERM) {
                    return;
                }
                if (e.errno() != Errno.EINVAL) { // a capability this kernel does not know
                    throw e;
                }
            }
        }
    }
}
