package io.rsyscall4j;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallHangup;
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
     * {@code setresuid(2)} or {@code setresgid(2)} ({@code nr}) in the child, in one round trip
     * with what the change takes away and must be given back. The kernel clears the
     * parent-death signal when the effective id changes ({@code prctl(2)},
     * {@code PR_SET_PDEATHSIG}): it is set again at once, and the child's parent read before and
     * after, so that a parent that died in between, whose death no signal will tell, is noticed
     * and the child killed rather than left to outlive it. The kernel also marks the memory the
     * child shares with the JVM (or with its remote root) not dumpable then: it is made dumpable
     * again if it was.
     *
     * @throws SandboxException the kernel refused the change
     * @throws SyscallHangup the child's parent died during the change: the child was killed
     */
    static void setIds(ConfinedTask t, Sys nr, long r, long e, long s) throws IOException {
        t.whileAlive(nr.syscallName(), () -> {
            boolean dumpable = t.process().sysif().local().syscall(Sys.PRCTL, Linux.PR_GET_DUMPABLE, 0, 0, 0, 0) == 1;
            long[] results;
            try (ChildBatch batch = new ChildBatch(t)) {
                batch.add(null, Sys.GETPPID);
                batch.add(x -> new SandboxException(nr, x.errno(), r + ", " + e + ", " + s,
                        "changing ids needs CAP_SETUID/CAP_SETGID, and the ids mapped in the user namespace"), nr, r, e, s);
                batch.add(null, Sys.PRCTL, Linux.PR_SET_PDEATHSIG, Linux.SIGKILL, 0, 0, 0);
                batch.add(null, Sys.GETPPID);
                if (dumpable) {
                    batch.add(null, Sys.PRCTL, Linux.PR_SET_DUMPABLE, 1, 0, 0, 0);
                }
                results = batch.run();
            }
            if (results[3] != results[0]) {
                t.process().kill(Linux.SIGKILL);
                throw new SyscallHangup(nr.syscallName() + ": the parent of child task " + t.pid() + " (" + results[0]
                        + ") died while its ids changed, unseen by the parent-death signal: the child was killed");
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
