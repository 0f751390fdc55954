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
import java.util.Set;

/**
 * The mount calls of {@link ConfinedTask}, made in the child, each refused unless the child is in
 * a mount namespace other than the JVM's: a mount made by mistake in the JVM's namespace would
 * change the machine's view of its files, so it is never attempted.
 */
final class Mounts {
    /** The size of {@code struct stat} on x86_64, where a bind's source check puts it. */

    private Mounts() {}

    /** {@code mount(2)}; {@code source}, {@code fstype}, {@code data} may be null. */
    static void mount(ConfinedTask t, String source, String target, String fstype, long flags, String data)
            throws IOException {
        absolute("mount target", target);
        t.whileAlive("mount " + target, () -> {
            checkOwnMountNamespace(t, "mount " + target);
            mountSyscall(t, source, target, fstype, flags, data);
            return null;
        });
    }

    /**
     * A bind mount of {@code source} on {@code target} (recursive, as {@code mount --rbind}),
     * read-only (the whole tree, {@code mount_setattr(AT_RECURSIVE)}) if asked: the source's
     * check, the mount and the attribute in one round trip.
     */
    static void bind(ConfinedTask t, String source, String target, boolean readOnly) throws IOException {
        absolute("bind source", source);
        absolute("bind target", target);
        t.whileAlive("bind " + source + " on " + target, () -> {
            checkOwnMountNamespace(t, "bind " + source + " on " + target);
            try (ChildBatch b = new ChildBatch(t)) {
                long src = b.string(source);
                long dst = b.string(target);
                b.add(e -> new SandboxException(Sys.NEWFSTATAT, e.errno(), "bind source " + source,
                        "the bind source does not exist"), Sys.NEWFSTATAT, Linux.AT_FDCWD, src, b.put(new byte[Linux.STAT_SIZE]), 0);
                b.add(e -> refused(e, source, target, hint(e.errno(), null)), Sys.MOUNT, src, dst, 0,
                        Linux.MS_BIND | Linux.MS_REC, 0);
                if (readOnly) {
                    byte[] attr = ByteBuffer.allocate(Linux.MOUNT_ATTR_SIZE_VER0).order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(Linux.MOUNT_ATTR_RDONLY).array();
                    b.add(e -> refused(e, source, target, "making a bind read-only needs Linux 5.12 (mount_setattr)"),
                            Sys.MOUNT_SETATTR, Linux.AT_FDCWD, dst, Linux.AT_RECURSIVE, b.put(attr), Linux.MOUNT_ATTR_SIZE_VER0);
                }
                b.run();
            }
            return null;
        });
    }

    /** A tmpfs on {@code target}, {@code nosuid,nodev}, with {@code options} (e.g. {@code "mode=0755,size=16m"}). */
    static void tmpfs(ConfinedTask t, String target, String options) throws IOException {
        mount(t, "tmpfs", target, "tmpfs", Linux.MS_NOSUID | Linux.MS_NODEV, options);
    }

    /** A procfs of the child's pid namespace on {@code target}, {@code nosuid,nodev,noexec}. */
    static void proc(ConfinedTask t, String target) throws IOException {
        mount(t, "proc", target, "proc", Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC, null);
    }

    /** Changes the per-mount flags of the mount at {@code target} ({@code MS_REMOUNT | MS_BIND}). */
    static void remount(ConfinedTask t, String target, Set<MountFlag> flags) throws IOException {
        mount(t, null, target, null, Linux.MS_REMOUNT | Linux.MS_BIND | MountFlag.bits(flags), null);
    }

    /** Sets the propagation of the mount at {@code target} (and below it if {@code recursive}). */
    static void propagation(ConfinedTask t, String target, long kind, boolean recursive) throws IOException {
        mount(t, null, target, null, kind | (recursive ? Linux.MS_REC : 0), null);
    }

    /**
     * Makes {@code newRoot}, a mount point, the root of the child's mount namespace and its working
     * directory, and detaches the old root ({@code pivot_root(".", ".")}, as pivot_root(2)
     * suggests): nothing of the old tree stays reachable.
     */
    static void pivotRoot(ConfinedTask t, String newRoot) throws IOException {
        absolute("new root", newRoot);
        t.whileAlive("pivot_root " + newRoot, () -> {
            checkOwnMountNamespace(t, "pivot_root " + newRoot);
            try (ChildBatch b = new ChildBatch(t)) {
                long dot = b.string(".");
                b.add(e -> new SandboxException(Sys.CHDIR, e.errno(), newRoot, "the new root does not exist"),
                        Sys.CHDIR, b.string(newRoot));
                b.add(e -> new SandboxException(Sys.PIVOT_ROOT, e.errno(), newRoot,
                        "the new root must be a mount point (a tmpfs, or a bind of a directory onto itself),"
                                + " and the current root must not be shared (makePrivate(\"/\", true) first)"),
                        Sys.PIVOT_ROOT, dot, dot);
                b.add(e -> e.withSubject("."), Sys.UMOUNT2, dot, Linux.MNT_DETACH);
                b.add(e -> e.withSubject("/"), Sys.CHDIR, b.string("/"));
                b.run();
            }
            return null;
        });
    }

    /**
     * {@code pivot_root(newRoot, putOld)} then {@code chdir("/")}: the old root stays reachable at
     * {@code putOld} (for binds from it), to be detached later with {@link #umount}.
     */
    static void pivotRoot(ConfinedTask t, String newRoot, String putOld) throws IOException {
        absolute("new root", newRoot);
        absolute("old root's place", putOld);
        t.whileAlive("pivot_root " + newRoot, () -> {
            checkOwnMountNamespace(t, "pivot_root " + newRoot);
            try (ChildBatch b = new ChildBatch(t)) {
                b.add(e -> new SandboxException(Sys.PIVOT_ROOT, e.errno(), newRoot + ", " + putOld,
                        "the new root must be a mount point, the old root's place a directory under it,"
                                + " and the current root not shared"), Sys.PIVOT_ROOT, b.string(newRoot), b.string(putOld));
                b.add(e -> e.withSubject("/"), Sys.CHDIR, b.string("/"));
                b.run();
            }
            return null;
        });
    }

    /** {@code chroot(path)} then {@code chdir("/")}. */
    static void chroot(ConfinedTask t, String path) throws IOException {
        t.whileAlive("chroot " + path, () -> {
            try (ChildBatch b = new ChildBatch(t)) {
                b.add(e -> new SandboxException(Sys.CHROOT, e.errno(), path, "chroot needs CAP_SYS_CHROOT"),
                        Sys.CHROOT, b.string(path));
                b.add(e -> e.withSubject("/"), Sys.CHDIR, b.string("/"));
                b.run();
            }
            return null;
        });
    }

    /** {@code umount2(target, MNT_DETACH)}. */
    static void umount(ConfinedTask t, String target) throws IOException {
        absolute("umount target", target);
        t.whileAlive("umount " + target, () -> {
            checkOwnMountNamespace(t, "umount " + target);
            pathCall(t, Sys.UMOUNT2, target, Linux.MNT_DETACH, "nothing is mounted there, or it is locked");
            return null;
        });
    }

    /**
     * Refuses unless the child's mount namespace differs from the JVM's (read from the JVM's
     * {@code /proc}); also refuses if that cannot be told.
     */
    static void checkOwnMountNamespace(ConfinedTask t, String what) {
        if (t.inOwnMountNamespace()) {
            return;
        }
        String mine;
        String jvms;
        try {
            mine = ProcNs.of(t.pid(), "mnt");
            jvms = ProcNs.jvm("mnt");
        } catch (IOException e) {
            throw new IllegalStateException("can't " + what + " in child task " + t.pid()
                    + ": its mount namespace cannot be told from the JVM's (" + e + ")");
        }
        if (mine.equals(jvms)) {
            throw new IllegalStateException("refusing to " + what + " in child task " + t.pid()
                    + ": it is in the JVM's mount namespace; clone or unshare it with CloneFlag.NEWNS first");
        }
        t.inOwnMountNamespace(true);
    }

    private static void absolute(String role, String path) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException(role + " must be an absolute path: " + path);
        }
    }


    private static void mountSyscall(ConfinedTask t, String source, String target, String fstype, long flags,
            String data) throws IOException {
        try (ScratchBuffer buf = FdInternals.scratch(t.addressSpace(), t.sysif())) {
            int at = 0;
            long[] addr = new long[4];
            String[] strings = {source, target, fstype, data};
            for (int i = 0; i < 4; i++) {
                if (strings[i] != null) {
                    byte[] c = CStrings.cString(strings[i]);
                    if (at + c.length > buf.capacity()) {
                        throw new IllegalArgumentException("mount arguments too long: " + target);
                    }
                    buf.write(at, c, 0, c.length);
                    addr[i] = buf.address() + at;
                    at += c.length;
                }
            }
            t.sysif().syscall(Sys.MOUNT, addr[0], addr[1], addr[2], flags, addr[3]);
        } catch (ErrnoException e) {
            throw refused(e, source, target, hint(e.errno(), fstype));
        }
    }

    static SandboxException refused(ErrnoException e, String source, String target, String hint) {
        SandboxException s = new SandboxException(e.syscall(), e.errno(),
                (source == null ? "" : source + " -> ") + target, hint);
        s.setStackTrace(e.getStackTrace());
        return s;
    }

    static String hint(int errno, String fstype) {
        switch (errno) {
            case Errno.ENOENT:
                return "the source or the mount point does not exist (mkdir the mount point first)";
            case Errno.ENOTDIR:
                return "a directory can only be mounted on a directory, a file on a file";
            case Errno.EPERM:
                return "mounting needs CAP_SYS_ADMIN over the mount namespace (clone with CloneFlag.NEWUSER and NEWNS),"
                        + " and a remount in a user namespace must keep the flags locked by its creator"
                        + ("proc".equals(fstype) ? "; a procfs needs a pid namespace of the child's own" : "");
            case Errno.EINVAL:
                return "the target is not a mount point, or the flags do not fit together";
            default:
                return "see mount(2)";
        }
    }

    /** A call taking one path, then {@code arg}. */
    private static void pathCall(ConfinedTask t, Sys nr, String path, long arg, String hint) throws IOException {
        byte[] c = CStrings.cString(path);
        try (ScratchBuffer buf = FdInternals.scratch(t.addressSpace(), t.sysif())) {
            buf.write(0, c, 0, c.length);
            t.sysif().syscall(nr, buf.address(), arg);
        } catch (ErrnoException e) {
            SandboxException s = new SandboxException(nr, e.errno(), path, hint);
            s.setStackTrace(e.getStackTrace());
            throw s;
        }
    }
}
