package io.rsyscall4j;

import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;

/**
 * The pids of a {@link ClonedChild} in the pid namespaces that see it: the JVM's, its parent's,
 * its own; and where its own next children will be. The same number in all three until a clone
 * or an {@code unshare} puts it in (or under) a new pid namespace.
 */
final class ChildPids {
    /** The pid in the JVM's pid namespace. */
    private volatile int jvm;
    /** The pid in the parent's pid namespace (what its {@code clone} returned). */
    private final int inParent;
    /** The pid the process sees for itself ({@code getpid}). */
    private volatile int own;
    private volatile boolean inJvmNamespace = true;
    /** Set by {@code unshare(CLONE_NEWPID)}: its next children are in a pid namespace it is not in. */
    private volatile boolean childrenInNewNamespace;

    /** The pids of a child whose clone returned {@code pid} (in its parent's namespace). */
    ChildPids(int pid) {
        this.jvm = pid;
        this.inParent = pid;
        this.own = pid;
    }

    /** The pid in the JVM's pid namespace. */
    int jvm() {
        return jvm;
    }

    /** The pid in the parent's pid namespace. */
    int inParent() {
        return inParent;
    }

    /** The pid the process sees for itself ({@code getpid}), in its own pid namespace. */
    int own() {
        return own;
    }

    /**
     * The pid a child this process clones with the new namespaces {@code namespaces} will see as
     * its parent's ({@code getppid}): 0 when that child is in a pid namespace this process is not
     * in.
     */
    int forChild(long namespaces) {
        return (namespaces & Linux.CLONE_NEWPID) != 0 || childrenInNewNamespace ? 0 : own;
    }

    /** This process unshared its pid namespace: its next children are in a new one. */
    void childrenInNewNamespace() {
        childrenInNewNamespace = true;
    }

    /**
     * Right after the clone, before the child is handed out: learns the pids of a child made in
     * (or under) another pid namespace than the JVM's, where {@code clone} returned the pid in the
     * parent's namespace: the JVM's is read from the child's pidfd's {@code fdinfo}, the child's
     * own by asking it through {@code sysif}.
     *
     * @param parent the pids of the child whose server made this one, or null when the JVM did
     * @param namespaces the {@code CLONE_NEW*} bits of the clone
     * @param pidfd the child's pidfd, in the JVM's table
     * @param sysif the child's connection
     */
    void place(ChildPids parent, long namespaces, int pidfd, ChildTransport sysif) throws SyscallException {
        boolean sameAsParent = parent == null ? (namespaces & Linux.CLONE_NEWPID) == 0 : parent.forChild(namespaces) != 0;
        inJvmNamespace = sameAsParent && (parent == null || parent.inJvmNamespace);
        if (inJvmNamespace) {
            return;
        }
        if (parent != null && !parent.inJvmNamespace) {
            jvm = Reaping.pidOf(pidfd);
        }
        own = sameAsParent ? inParent : (int) sysif.syscall(Sys.GETPID);
    }
}
