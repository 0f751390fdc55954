package io.rsyscall4j;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.AddressSpace;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a {@link ChildTask} can do to confine the program it will exec: namespaces, uid and gid
 * maps, credentials, capabilities, limits (and mounts, {@link Mounts}). Each call is one or a few
 * syscalls made in the child; none touches the JVM, which is why they are not on {@link Task}
 * (made in the JVM's own thread, each would change the JVM).
 */
abstract class ConfinedTask extends Task {
    /** The effective uid and gid the task had outside its user namespace, or -1 until it makes one. */
    private volatile long creatorUid = -1;
    private volatile long creatorGid = -1;
    /** Whether the task is known to be in a mount namespace other than the JVM's (set when it made one). */
    private volatile boolean ownMountNamespace;

    ConfinedTask(SyscallInterface sysif, int pid, FDTable fdTable, AddressSpace addressSpace) {
        super(sysif, pid, fdTable, addressSpace);
    }

    /** A step of setup, run by {@link #whileAlive}. */
    @FunctionalInterface
    interface Step<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code step} while the task is alive and neither execs nor exits meanwhile; throws
     * {@link IllegalStateException} naming {@code what} if it has exec'd, exited or died.
     */
    abstract <T> T whileAlive(String what, Step<T> step) throws IOException;

    /** The process behind the task. */
    abstract ClonedChild process();

    /** Records the ids the task had outside the user namespace it was just made in. */
    final void creator(long uid, long gid) {
        creatorUid = uid;
        creatorGid = gid;
    }

    /** Whether the task is known to be in a mount namespace other than the JVM's ({@link Mounts}). */
    final boolean inOwnMountNamespace() {
        return ownMountNamespace;
    }

    /** Records whether the task is known to be in a mount namespace other than the JVM's. */
    final void inOwnMountNamespace(boolean known) {
        ownMountNamespace = known;
    }

    /**
     * {@code unshare(2)} in the child: it leaves its namespaces of the kinds {@code flags} names
     * for new ones (a new user namespace first, so that it owns the others). {@link CloneFlag#FILES}
     * means {@link #unshareFiles}. With {@link CloneFlag#NEWPID} the task itself stays where it is;
     * its next child is pid 1 of the new namespace. A new mount namespace's mounts are made slaves
     * ({@link #makeSlave makeSlave("/", true)}: nothing mounted in it reaches the JVM's), a new
     * network namespace's loopback device is brought up ({@link #loopbackUp}).
     *
     * @throws SandboxException the kernel refused, named with the flags and a hint at the cause
     */
    public void unshare(CloneFlag... flags) throws IOException {
        Namespaces.unshare(this, flags);
    }

    /**
     * What follows making the namespaces {@code ns} (by clone or unshare): a new mount namespace's
     * mounts become slaves, recursively, as bubblewrap makes them, so that nothing mounted in it
     * propagates back to the JVM's (which a copy of shared mounts would otherwise do); a new network
     * namespace gets its loopback device up.
     */
    final void newNamespacesMade(long ns) throws IOException {
        Namespaces.setUpNew(this, ns);
    }

    /**
     * {@code setns(2)} in the child: it joins the namespaces of {@code ns}, which is either a
     * {@code /proc/<pid>/ns/*} handle (then {@code types} may be empty, or name its kind) or a
     * pidfd (then {@code types} names which of that process's namespaces to join). A child that
     * shares the JVM's memory cannot join a user namespace (the kernel refuses, {@code EINVAL}).
     * Joining a pid namespace places the task's next children in it.
     *
     * @param ns a handle in this task's fd table
     * @throws SandboxException the kernel refused
     */
    public void setns(FileDescriptor ns, CloneFlag... types) throws IOException {
        Namespaces.setns(this, ns, types);
    }

    /**
     * Maps, in the task's user namespace, {@code uid} and {@code gid} to the effective ids the task
     * had outside it (so {@code mapUser(0, 0)} makes it root inside and the caller outside), and
     * denies {@code setgroups(2)} there (the kernel's price for an unprivileged gid map). The JVM
     * writes the task's {@code /proc/<pid>/{setgroups,uid_map,gid_map}} (no round trip to the
     * task), which works for an unprivileged caller too: the JVM's effective ids are the
     * namespace creator's, or the JVM is root. Must be the first map written in that namespace.
     *
     * @throws IllegalStateException the task made no user namespace ({@link CloneFlag#NEWUSER})
     * @throws SandboxException the kernel refused (e.g. a map was already written)
     */
    public void mapUser(long uid, long gid) throws IOException {
        Namespaces.mapUser(this, uid, gid, creatorUid, creatorGid);
    }

    /**
     * Writes the uid and gid maps of the task's user namespace from the JVM (into
     * {@code /proc/<pid>/uid_map} and {@code gid_map}): any number of ranges, which needs
     * {@code CAP_SETUID} and {@code CAP_SETGID} where the JVM is, and the task's user namespace to
     * be a child of the JVM's. With {@code denySetgroups}, {@code setgroups(2)} is denied first.
     */
    public void writeIdMaps(List<IdMapping> uids, List<IdMapping> gids, boolean denySetgroups) throws IOException {
        Namespaces.writeIdMaps(this, uids, gids, denySetgroups);
    }

    /**
     * Brings the loopback device of the task's network namespace up ({@code SIOCSIFFLAGS} with
     * {@code IFF_UP} on a datagram socket), which gives it 127.0.0.1 and ::1. A new network
     * namespace ({@link CloneFlag#NEWNET}) has it down and nothing else.
     */
    public void loopbackUp() throws IOException {
        Namespaces.loopbackUp(this);
    }

    /** {@code sethostname(2)} in the child: needs a UTS namespace of its own ({@link CloneFlag#NEWUTS}). */
    public void sethostname(String name) throws IOException {
        byte[] b = Objects.requireNonNull(name, "name").getBytes(StandardCharsets.UTF_8);
        call("sethostname", b, (addr) -> sysif().syscall(Sys.SETHOSTNAME, addr, b.length), name,
                "the hostname is the JVM's too unless the child has a UTS namespace (CloneFlag.NEWUTS)");
    }

    /** {@code prlimit(0, resource, {soft, hard})} in the child: its (and its program's) limit. */
    public void setrlimit(Rlimit resource, long soft, long hard) throws IOException {
        Objects.requireNonNull(resource, "resource");
        byte[] b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(soft).putLong(hard).array();
        call("setrlimit", b, (addr) -> sysif().syscall(Sys.PRLIMIT64, 0, resource.number(), addr, 0),
                "RLIMIT_" + resource + " " + soft + "/" + hard, "raising a hard limit needs CAP_SYS_RESOURCE");
    }

    /**
     * {@code prctl(PR_SET_NO_NEW_PRIVS, 1)}: neither the child nor any program it execs can gain
     * privileges (setuid bits and file capabilities are ignored). Cannot be undone.
     */
    public void noNewPrivs() throws IOException {
        whileAlive("noNewPrivs", () -> sysif().syscall(Sys.PRCTL, Linux.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    }

    /**
     * Drops every capability: the bounding set (which needs {@code CAP_SETPCAP}, skipped without
     * it), the ambient set, then the effective, permitted and inheritable sets. The program the
     * child execs has none, even as root.
     */
    public void dropCapabilities() throws IOException {
        Credentials.dropCapabilities(this);
    }

    /**
     * {@code setresuid(2)} in the child. Changing the effective uid makes the kernel mark the
     * memory the child shares with the JVM not dumpable; it is made dumpable again if it was (so
     * the JVM's {@code /proc} entries and the child's stay as they were).
     */
    public void setresuid(long ruid, long euid, long suid) throws IOException {
        Credentials.setIds(this, Sys.SETRESUID, ruid, euid, suid);
    }

    /** {@code setresgid(2)} in the child; as {@link #setresuid}. */
    public void setresgid(long rgid, long egid, long sgid) throws IOException {
        Credentials.setIds(this, Sys.SETRESGID, rgid, egid, sgid);
    }

    /** {@code setgroups(2)} in the child: its supplementary groups become {@code gids}. */
    public void setgroups(long... gids) throws IOException {
        Credentials.setgroups(this, gids);
    }


    /**
     * {@code mount(2)} in the child: {@code source} (or null) on {@code target}, a filesystem of
     * type {@code fstype} with {@code flags} and {@code data} (its options, or null). Every mount
     * call is refused ({@link IllegalStateException}) unless the child is in a mount namespace of
     * its own ({@link CloneFlag#NEWNS}): none is ever made in the JVM's.
     *
     * @throws IllegalArgumentException {@code target} is not absolute
     * @throws SandboxException the kernel refused; the message names source and target
     */
    public void mount(String source, String target, String fstype, Set<MountFlag> flags, String data)
            throws IOException {
        Mounts.mount(this, source, target, fstype, MountFlag.bits(flags), data);
    }

    /** A recursive bind mount of {@code source} on {@code target}, as {@code bwrap --bind}. */
    public void bindMount(String source, String target) throws IOException {
        Mounts.bind(this, source, target, false);
    }

    /** A recursive bind mount made read-only throughout, as {@code bwrap --ro-bind}. */
    public void bindMountReadOnly(String source, String target) throws IOException {
        Mounts.bind(this, source, target, true);
    }

    /** A {@code nosuid,nodev} tmpfs on {@code target}, with {@code options} (or null), as {@code bwrap --tmpfs}. */
    public void mountTmpfs(String target, String options) throws IOException {
        Mounts.tmpfs(this, target, options);
    }

    /** The child's pid namespace's procfs on {@code target}, as {@code bwrap --proc}. */
    public void mountProc(String target) throws IOException {
        Mounts.proc(this, target);
    }

    /** Sets the per-mount flags of the mount at {@code target} to {@code flags} (a bind remount). */
    public void remount(String target, Set<MountFlag> flags) throws IOException {
        Mounts.remount(this, target, flags);
    }

    /** Makes the mount at {@code target} private (and every mount below it if {@code recursive}). */
    public void makePrivate(String target, boolean recursive) throws IOException {
        Mounts.propagation(this, target, Linux.MS_PRIVATE, recursive);
    }

    /** Makes the mount at {@code target} a slave: it receives mounts from its master, sends none. */
    public void makeSlave(String target, boolean recursive) throws IOException {
        Mounts.propagation(this, target, Linux.MS_SLAVE, recursive);
    }

    /**
     * Makes {@code newRoot} (a mount point) the child's root and working directory, the old root
     * detached ({@code pivot_root(2)}); needs a root that is not shared ({@link #makePrivate}).
     */
    public void pivotRoot(String newRoot) throws IOException {
        Mounts.pivotRoot(this, newRoot);
    }

    /**
     * {@code pivot_root(newRoot, putOld)} and {@code chdir("/")} in the child: the old root stays
     * at {@code putOld} (a directory under {@code newRoot}), from where binds can still be made,
     * until {@link #umount} detaches it.
     */
    public void pivotRoot(String newRoot, String putOld) throws IOException {
        Mounts.pivotRoot(this, newRoot, putOld);
    }

    /** {@code chroot(path)} and {@code chdir("/")} in the child. */
    public void chroot(String path) throws IOException {
        Mounts.chroot(this, path);
    }

    /** Detaches the mount at {@code target} ({@code umount2(MNT_DETACH)}). */
    public void umount(String target) throws IOException {
        Mounts.umount(this, target);
    }

    /** {@code chdir(path)} in the child: its working directory, and its program's. */
    public void chdir(String path) throws IOException {
        byte[] c = CStrings.cString(path);
        call("chdir", c, (addr) -> sysif().syscall(Sys.CHDIR, addr), path, "the directory must exist and be searchable");
    }

    /** {@code mkdir(path, mode)} in the child (the umask applies). */
    public void mkdir(String path, int mode) throws IOException {
        byte[] c = CStrings.cString(path);
        call("mkdir", c, (addr) -> sysif().syscall(Sys.MKDIRAT, Linux.AT_FDCWD, addr, mode), path,
                "the parent directory must exist and be writable");
    }

    /** A call whose argument is {@code bytes} in memory; a refusal is named with {@code subject} and {@code hint}. */
    void call(String what, byte[] bytes, MemoryCall c, String subject, String hint) throws IOException {
        whileAlive(what, () -> {
            try (ScratchBuffer buf = FdInternals.scratch(addressSpace(), sysif())) {
                if (bytes.length > 0) {
                    buf.write(0, bytes, 0, bytes.length);
                }
                return c.run(buf.address());
            } catch (ErrnoException e) {
                SandboxException s = new SandboxException(e.syscall(), e.errno(), subject, hint);
                s.setStackTrace(e.getStackTrace());
                throw s;
            }
        });
    }

    @FunctionalInterface
    interface MemoryCall {
        long run(long address) throws IOException;
    }

}
