package io.rsyscall4j;

import io.rsyscall4j.api.Linux;

/**
 * What a child task shares with the task that clones it ({@link Task#clone}), and the namespaces
 * it is made in.
 *
 * <p>Every child shares its parent's address space ({@code CLONE_VM}, as in rsyscall): that is
 * how the JVM's memory serves as the child's syscall arguments. The rest is copied unless a flag
 * says to share it.
 *
 * <p>The {@code NEW*} flags put the child in new namespaces of that kind
 * ({@code namespaces(7)}), at the clone or later with {@link ChildTask#unshare}; the JVM stays in
 * its own. A user namespace comes first: the child is made in it, then the other namespaces, which
 * it owns (so an unprivileged caller may ask for them all at once).
 * {@link ChildTask#mapUser} then makes the child root inside and the caller outside. The
 * constraints a {@code CLONE_VM} child lives under are listed with each flag; a namespace the
 * kernel refuses raises a {@link SandboxException} naming the flags and a likely cause.
 */
public enum CloneFlag {
    /**
     * {@code CLONE_FILES}: the child joins its parent's fd table. The parent's handles can then be
     * used in the child with {@link io.rsyscall4j.fd.FileDescriptor#forTask}, and fds either opens
     * are seen by both. Without it the child gets a copy of the parent's table as of the clone,
     * whose fds it claims with {@link Task#inheritFd}.
     */
    FILES(Linux.CLONE_FILES),
    /**
     * {@code CLONE_NEWUSER}: a new user namespace, in which the child has every capability (over
     * the namespaces it then makes, not over the JVM's). Until {@link ChildTask#mapUser} its uid
     * and gid are the overflow ids (65534). A child sharing the JVM's memory can never
     * {@link ChildTask#setns} into a user namespace (the kernel refuses a process whose memory
     * other processes share).
     */
    NEWUSER(Linux.CLONE_NEWUSER),
    /**
     * {@code CLONE_NEWNS}: a mount namespace of its own, a copy of its parent's mount table whose
     * mounts are made slaves (as bubblewrap does: nothing mounted in it propagates back). Only a
     * child in one may {@linkplain ChildTask#mount mount}: rsyscall4j refuses to mount in the
     * JVM's mount namespace.
     */
    NEWNS(Linux.CLONE_NEWNS),
    /**
     * {@code CLONE_NEWNET}: a network namespace of its own, whose only device, the loopback, is
     * brought up ({@link ChildTask#loopbackUp}), as bubblewrap does.
     */
    NEWNET(Linux.CLONE_NEWNET),
    /**
     * {@code CLONE_NEWPID}: the child is pid 1 of a new pid namespace (its
     * {@link ChildTask#pid()} and {@link ChildProcess#pid()} stay the pid the JVM sees), which
     * ends, every process in it killed, when the child or the program it exec'd does. Such a
     * child's parent is outside its namespace, so the check that its parent outlived the clone
     * cannot be made: a parent dying during that clone leaves the child serving until the JVM
     * drops it. Made with {@link ChildTask#unshare}, the namespace is for the task's next child.
     */
    NEWPID(Linux.CLONE_NEWPID),
    /** {@code CLONE_NEWUTS}: its own host and domain names ({@link ChildTask#sethostname}). */
    NEWUTS(Linux.CLONE_NEWUTS),
    /** {@code CLONE_NEWIPC}: its own System V IPC objects and POSIX message queues. */
    NEWIPC(Linux.CLONE_NEWIPC),
    /** {@code CLONE_NEWCGROUP}: its cgroup becomes the root of the cgroup tree it sees. */
    NEWCGROUP(Linux.CLONE_NEWCGROUP);

    private final long bit;

    CloneFlag(long bit) {
        this.bit = bit;
    }

    /** The {@code CLONE_*} bit. */
    long bit() {
        return bit;
    }

    /** Whether this flag asks for a new namespace. */
    boolean isNamespace() {
        return this != FILES;
    }
}
