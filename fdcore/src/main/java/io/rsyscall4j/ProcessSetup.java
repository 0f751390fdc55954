package io.rsyscall4j;

import io.rsyscall4j.api.Sys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Command} sets up in its child between the clone and the exec: namespaces, ids,
 * hostname, umask, session, limits, the caller's steps, privileges. Each value is checked when
 * given, the whole before anything is made ({@link #check}), and applied in {@link Command}'s
 * order ({@link #apply}).
 */
final class ProcessSetup {
    Integer umask;
    boolean newSession;
    final EnumMap<Rlimit, long[]> rlimits = new EnumMap<>(Rlimit.class);
    final EnumSet<CloneFlag> namespaces = EnumSet.noneOf(CloneFlag.class);
    String hostname;
    /** uid, gid, then the supplementary groups; null to keep the parent task's. */
    long[] ids;
    boolean noNewPrivs;
    boolean dropCapabilities;
    final List<Command.Setup> beforeExec = new ArrayList<>();

    void umask(int mask) {
        if ((mask & ~0777) != 0) {
            throw new IllegalArgumentException("umask " + Integer.toOctalString(mask) + " has bits beyond 0777");
        }
        this.umask = mask;
    }

    void unshare(CloneFlag... kinds) {
        for (CloneFlag f : kinds) {
            if (!Objects.requireNonNull(f, "namespace").isNamespace()) {
                throw new IllegalArgumentException(f + " is not a namespace: a program gets its own fd table anyway");
            }
        }
        namespaces.addAll(Arrays.asList(kinds));
    }

    void user(long uid, long gid, long... groups) {
        long[] all = new long[2 + groups.length];
        all[0] = uid;
        all[1] = gid;
        System.arraycopy(groups, 0, all, 2, groups.length);
        for (long id : all) {
            if (id < 0 || id > 0xFFFF_FFFEL) {
                throw new IllegalArgumentException("id " + id + " is not a Linux uid or gid (0 to 4294967294)");
            }
        }
        this.ids = all;
    }

    CloneFlag[] namespaces() {
        return namespaces.toArray(CloneFlag[]::new);
    }

    /** Whether a step before the exec may use the child's fd table or change its limit on fd numbers. */
    boolean touchesFdTable() {
        return !beforeExec.isEmpty() || rlimits.containsKey(Rlimit.NOFILE);
    }

    /** Refuses, before anything is made, a sandbox the namespaces asked for cannot give. */
    void check() {
        if (hostname != null && !namespaces.contains(CloneFlag.NEWUTS)) {
            throw new IllegalStateException("hostname " + hostname
                    + " needs a UTS namespace of the program's own: add unshare(CloneFlag.NEWUTS)");
        }
        if (ids != null && ids.length > 2 && namespaces.contains(CloneFlag.NEWUSER)) {
            throw new IllegalStateException("supplementary groups can't be set in a new user namespace:"
                    + " the kernel denies setgroups(2) there unless the JVM writes the maps");
        }
    }

    /** Sets up {@code child}, cloned by {@code parent}, in {@link Command}'s order; {@code directory} may be null. */
    void apply(Task parent, ChildTask child, Path directory) throws IOException {
        if (namespaces.contains(CloneFlag.NEWUSER)) {
            child.mapUser(ids != null ? ids[0] : parent.sysif().syscall(Sys.GETEUID),
                    ids != null ? ids[1] : parent.sysif().syscall(Sys.GETEGID));
        }
        if (hostname != null) {
            child.sethostname(hostname);
        }
        if (umask != null) {
            child.sysif().syscall(Sys.UMASK, umask);
        }
        if (newSession) {
            child.sysif().syscall(Sys.SETSID);
        }
        for (Map.Entry<Rlimit, long[]> e : rlimits.entrySet()) {
            child.setrlimit(e.getKey(), e.getValue()[0], e.getValue()[1]);
        }
        for (Command.Setup step : beforeExec) {
            step.setUp(child);
        }
        if (ids != null && !namespaces.contains(CloneFlag.NEWUSER)) {
            if (dropCapabilities) {
                Credentials.dropBoundingSet(child); // while it still may
            }
            child.setgroups(Arrays.copyOfRange(ids, 2, ids.length));
            child.setresgid(ids[1], ids[1], ids[1]);
            child.setresuid(ids[0], ids[0], ids[0]);
        }
        if (directory != null) {
            child.chdir(directory.toString());
        }
        if (noNewPrivs) {
            child.noNewPrivs();
        }
        if (dropCapabilities) {
            child.dropCapabilities();
        }
    }
}
