package io.rsyscall4j;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * The namespace calls of {@link ConfinedTask}, made in the child (unshare, setns, id maps, the
 * loopback device), and the namespace flags' names and refusal hints they and clone use.
 */
final class Namespaces {
    /** Every {@code CLONE_NEW*} bit {@link CloneFlag} has. */
    static final long ALL;

    static {
        long all = 0;
        for (CloneFlag f : CloneFlag.values()) {
            if (f.isNamespace()) {
                all |= f.bit();
            }
        }
        ALL = all;
    }

    private Namespaces() {}

    /** {@link ConfinedTask#unshare}: {@code unshare(2)} in the child, then what new namespaces need. */
    static void unshare(ConfinedTask t, CloneFlag... flags) throws IOException {
        long ns = of(flags);
        if (files(flags)) {
            t.unshareFiles();
        }
        if (ns == 0) {
            return;
        }
        t.whileAlive("unshare " + describe(ns), () -> {
            long uid = -1;
            long gid = -1;
            if ((ns & Linux.CLONE_NEWUSER) != 0) {
                uid = t.sysif().syscall(Sys.GETEUID);
                gid = t.sysif().syscall(Sys.GETEGID);
            }
            try {
                t.sysif().syscall(Sys.UNSHARE, ns);
            } catch (ErrnoException e) {
                throw refused(e, ns);
            }
            if (uid >= 0) {
                t.creator(uid, gid);
            }
            if ((ns & Linux.CLONE_NEWPID) != 0) {
                t.process().pids().childrenInNewNamespace();
            }
            t.newNamespacesMade(ns);
            return null;
        });
    }

    /** {@link ConfinedTask#setns}: {@code setns(2)} in the child, on {@code ns} borrowed there. */
    static void setns(ConfinedTask t, FileDescriptor ns, CloneFlag... types) throws IOException {
        Objects.requireNonNull(ns, "ns");
        long kinds = of(types);
        if (files(types)) {
            throw new IllegalArgumentException("setns joins namespaces; FILES is not one");
        }
        t.whileAlive("setns", () -> {
            try (Borrowed b = ns.borrow(t)) {
                try {
                    t.sysif().syscall(Sys.SETNS, b.number(), kinds);
                } catch (ErrnoException e) {
                    SandboxException s = new SandboxException(Sys.SETNS, e.errno(), ns + ", "
                            + (kinds == 0 ? "any namespace" : describe(kinds)), hint(kinds, e.errno()));
                    s.setStackTrace(e.getStackTrace());
                    throw s;
                }
            }
            t.inOwnMountNamespace(false); // it may have joined the JVM's
            if (!ProcNs.same(t.pid(), "pid", t.pid(), "pid_for_children")) {
                t.process().pids().childrenInNewNamespace();
            }
            return null;
        });
    }

    /**
     * {@link ConfinedTask#mapUser}: the JVM writes the child's one-line id maps ({@code
     * /proc/<pid>/uid_map} and {@code gid_map}), {@code uid} and {@code gid} inside onto {@code
     * creatorUid} and {@code creatorGid} (-1: it made no user namespace), after denying {@code
     * setgroups}: no round trip to the child. The JVM may: its effective ids are the namespace
     * creator's (the creator's owner has every capability in it), or it has CAP_SETUID and
     * CAP_SETGID where the namespace's parent is.
     */
    static void mapUser(ConfinedTask t, long uid, long gid, long creatorUid, long creatorGid) throws IOException {
        if (creatorUid < 0) {
            throw new IllegalStateException("can't map uid " + uid + " in child task " + t.pid()
                    + ": it made no user namespace (clone or unshare it with CloneFlag.NEWUSER)");
        }
        writeIdMaps(t, List.of(new IdMapping(uid, creatorUid, 1)), List.of(new IdMapping(gid, creatorGid, 1)), true);
    }

    /** {@link ConfinedTask#writeIdMaps}: the JVM writes the child's {@code /proc/<pid>} id maps. */
    static void writeIdMaps(ConfinedTask t, List<IdMapping> uids, List<IdMapping> gids, boolean denySetgroups)
            throws IOException {
        Objects.requireNonNull(uids, "uids");
        Objects.requireNonNull(gids, "gids");
        t.whileAlive("writeIdMaps", () -> {
            SyscallInterface jvm = t.process().sysif().local();
            if (denySetgroups) {
                ProcNs.writeFromJvm(jvm, t.addressSpace(), t.pid(), "setgroups", "deny\n");
            }
            ProcNs.writeFromJvm(jvm, t.addressSpace(), t.pid(), "uid_map", IdMapping.lines(uids));
            ProcNs.writeFromJvm(jvm, t.addressSpace(), t.pid(), "gid_map", IdMapping.lines(gids));
            return null;
        });
    }

    /**
     * What new namespaces {@code ns} need ({@link ConfinedTask#newNamespacesMade}), in two round
     * trips: a new mount namespace's mounts made slaves and a datagram socket made in the new
     * network namespace, then {@code lo} brought up through it and the socket closed. A fresh
     * {@code lo}'s only flag is {@code IFF_LOOPBACK}, which {@code SIOCSIFFLAGS} keeps: no need
     * to read its flags first.
     */
    static void setUpNew(ConfinedTask t, long ns) throws IOException {
        boolean mnt = (ns & Linux.CLONE_NEWNS) != 0;
        boolean net = (ns & Linux.CLONE_NEWNET) != 0;
        if (!mnt && !net) {
            return;
        }
        t.whileAlive("set up " + describe(ns), () -> {
            if (mnt) {
                t.inOwnMountNamespace(true);
            }
            int socket = -1;
            try (ChildBatch b = new ChildBatch(t)) {
                if (mnt) {
                    b.add(e -> Mounts.refused(e, null, "/", Mounts.hint(e.errno(), null)), Sys.MOUNT, 0, b.string("/"), 0,
                            Linux.MS_SLAVE | Linux.MS_REC, 0);
                }
                int made = net ? b.add(Namespaces::loopbackRefused, Sys.SOCKET, Linux.AF_INET,
                        Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0) : -1;
                long[] r = b.run();
                socket = net ? (int) r[made] : -1;
            }
            if (socket >= 0) {
                try (ChildBatch b = new ChildBatch(t)) {
                    byte[] ifreq = new byte[40];
                    ifreq[0] = 'l';
                    ifreq[1] = 'o';
                    ifreq[Linux.IFNAMSIZ] = Linux.IFF_UP;
                    b.add(Namespaces::loopbackRefused, Sys.IOCTL, socket, Linux.SIOCSIFFLAGS, b.put(ifreq));
                    b.add(null, Sys.CLOSE, socket);
                    b.run();
                } catch (SandboxException e) {
                    try {
                        t.sysif().syscall(Sys.CLOSE, socket); // the batch stopped before its close
                    } catch (IOException | RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw e;
                }
            }
            return null;
        });
    }

    private static SandboxException loopbackRefused(ErrnoException e) {
        return new SandboxException(e.syscall(), e.errno(), "lo up",
                "bringing a device up needs CAP_NET_ADMIN over the network namespace");
    }

    /** {@link ConfinedTask#loopbackUp}: {@code SIOCSIFFLAGS} with {@code IFF_UP} on {@code lo}. */
    static void loopbackUp(ConfinedTask t) throws IOException {
        t.whileAlive("bring lo up", () -> {
            FileDescriptor s = null;
            try (ScratchBuffer buf = FdInternals.scratch(t.addressSpace(), t.sysif())) {
                s = t.socket(Linux.AF_INET, Linux.SOCK_DGRAM, 0);
                byte[] ifreq = new byte[40];
                ifreq[0] = 'l';
                ifreq[1] = 'o';
                buf.write(0, ifreq, 0, ifreq.length);
                try (Borrowed b = s.borrow(t)) {
                    t.sysif().syscall(Sys.IOCTL, b.number(), Linux.SIOCGIFFLAGS, buf.address());
                    byte[] got = new byte[40];
                    buf.read(0, got, 0, 40);
                    got[Linux.IFNAMSIZ] |= Linux.IFF_UP;
                    buf.write(0, got, 0, 40);
                    t.sysif().syscall(Sys.IOCTL, b.number(), Linux.SIOCSIFFLAGS, buf.address());
                }
            } catch (ErrnoException e) {
                throw new SandboxException(e.syscall(), e.errno(), "lo up",
                        "bringing a device up needs CAP_NET_ADMIN over the network namespace");
            } finally {
                if (s != null) {
                    s.close();
                }
            }
            return null;
        });
    }

    /** The namespace bits of {@code flags}. */
    static long of(CloneFlag... flags) {
        long bits = 0;
        for (CloneFlag f : flags) {
            if (Objects.requireNonNull(f, "clone flag").isNamespace()) {
                bits |= f.bit();
            }
        }
        return bits;
    }

    /** Whether {@code flags} has {@link CloneFlag#FILES}. */
    static boolean files(CloneFlag... flags) {
        for (CloneFlag f : flags) {
            if (Objects.requireNonNull(f, "clone flag") == CloneFlag.FILES) {
                return true;
            }
        }
        return false;
    }

    /** {@code "CLONE_NEWUSER|CLONE_NEWNET"}: the namespace (and FILES) bits of {@code flags} by name. */
    static String describe(long flags) {
        StringJoiner names = new StringJoiner("|");
        for (CloneFlag f : CloneFlag.values()) {
            if ((flags & f.bit()) != 0) {
                names.add("CLONE_" + f.name());
            }
        }
        return names.length() == 0 ? "no namespace" : names.toString();
    }

    /**
     * {@code e}, a refusal to make the namespaces {@code flags} (by clone or unshare), as a
     * {@link SandboxException} naming them, with a hint at the cause.
     */
    static SandboxException refused(ErrnoException e, long flags) {
        SandboxException s = new SandboxException(e.syscall(), e.errno(), describe(flags), hint(flags, e.errno()));
        s.setStackTrace(e.getStackTrace());
        return s;
    }

    /** Why the kernel may have refused to make the namespaces {@code flags} with error {@code errno}. */
    static String hint(long flags, int errno) {
        boolean user = (flags & Linux.CLONE_NEWUSER) != 0;
        switch (Errno.name(errno)) {
            case "EPERM":
                return user
                        ? "user namespaces may be disabled here (sysctl kernel.unprivileged_userns_clone,"
                                + " kernel.apparmor_restrict_unprivileged_userns), or this task is chrooted"
                        : "making these namespaces needs CAP_SYS_ADMIN: add CloneFlag.NEWUSER to make them"
                                + " in a user namespace of the child's own";
            case "EINVAL":
                return "the kernel does not support one of these namespaces, or refuses this combination"
                        + " (a process whose memory is shared cannot join or make some of them)";
            case "ENOSPC":
                return "the limit on namespaces of this kind was reached (sysctl user.max_*_namespaces;"
                        + " 0 disables the kind)";
            case "ENOMEM":
                return "too many nested pid namespaces, or the pid namespace's init has exited";
            case "EUSERS":
                return "too many nested user namespaces";
            default:
                return "see namespaces(7)";
        }
    }
}
