package io.rsyscall4j.cli;

import io.rsyscall4j.ChildTask;
import io.rsyscall4j.CloneFlag;
import io.rsyscall4j.SandboxException;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The sandbox options of {@code exec}, named as bubblewrap names them: the namespaces to unshare,
 * the new root's mounts (in command-line order), the hostname, the uid and gid inside, the
 * working directory. Checked before anything is opened or started; applied to the child task
 * before it execs.
 *
 * <p>As with bubblewrap, any mount option gives the program a new root: an empty tmpfs holding
 * only what the options put there (the launcher's root stays reachable only until the new root is
 * entered, then it is detached).
 */
final class SandboxOptions {
    private static final Map<String, CloneFlag> NAMESPACES = new LinkedHashMap<>();

    static {
        NAMESPACES.put("user", CloneFlag.NEWUSER);
        NAMESPACES.put("mount", CloneFlag.NEWNS);
        NAMESPACES.put("net", CloneFlag.NEWNET);
        NAMESPACES.put("pid", CloneFlag.NEWPID);
        NAMESPACES.put("uts", CloneFlag.NEWUTS);
        NAMESPACES.put("ipc", CloneFlag.NEWIPC);
        NAMESPACES.put("cgroup", CloneFlag.NEWCGROUP);
    }

    private static final String BASE = "/tmp";
    private static final String NEW_ROOT = "/tmp/newroot";
    private static final String OLD_ROOT = "/tmp/oldroot";

    /** One mount of the new root, in command-line order. */
    private record MountOp(String option, String source, String target) {}

    private final List<MountOp> mounts = new ArrayList<>();
    private final Set<CloneFlag> unshare = EnumSet.noneOf(CloneFlag.class);

    @Option(names = "--hostname", paramLabel = "NAME", description = "The hostname inside (needs --unshare uts).")
    String hostname;

    @Option(names = "--uid", paramLabel = "N", description = "The uid inside (needs --unshare user; default: the caller's).")
    Long uid;

    @Option(names = "--gid", paramLabel = "N", description = "The gid inside (needs --unshare user; default: the caller's).")
    Long gid;

    @Option(names = "--chdir", paramLabel = "DIR", description = "The program's working directory"
            + " (relative: to the launcher's; with a new root: absolute, in it).")
    String chdir;

    /** The option that gave {@link #chdir}, for messages. */
    private String chdirOption = "--chdir";

    @Option(names = "--cwd", paramLabel = "DIR", description = "The same as --chdir.")
    void cwd(String dir) {
        chdir = dir;
        chdirOption = "--cwd";
    }

    private final List<String> unshareNames = new ArrayList<>();

    @Option(names = "--unshare", paramLabel = "NS[,NS...]", description = {
        "New namespaces for the program: user, mount, net, pid, uts, ipc, cgroup, all. Repeatable."})
    void unshare(List<String> all) {
        if (!all.isEmpty()) {
            unshareNames.addAll(List.of(last(all).split(",", -1)));
        }
    }

    @Option(names = "--bind", paramLabel = "SRC:DST", description = "Bind SRC on DST in the new root. Repeatable.")
    void bind(List<String> all) {
        if (!all.isEmpty()) {
            mounts.add(new MountOp("--bind", last(all), null));
        }
    }

    @Option(names = "--ro-bind", paramLabel = "SRC:DST", description = "Bind SRC on DST, read-only. Repeatable.")
    void roBind(List<String> all) {
        if (!all.isEmpty()) {
            mounts.add(new MountOp("--ro-bind", last(all), null));
        }
    }

    @Option(names = "--tmpfs", paramLabel = "DIR", description = "A tmpfs on DIR in the new root. Repeatable.")
    void tmpfs(List<String> all) {
        if (!all.isEmpty()) {
            mounts.add(new MountOp("--tmpfs", null, last(all)));
        }
    }

    @Option(names = "--proc", paramLabel = "DIR", description = "The pid namespace's procfs on DIR in the new root.")
    void proc(List<String> all) {
        if (!all.isEmpty()) {
            mounts.add(new MountOp("--proc", null, last(all)));
        }
    }

    /**
     * The value just given: picocli hands a repeatable option's setter every value so far, each
     * time the option is matched, which keeps the mounts in command-line order across options.
     */
    private static String last(List<String> all) {
        return all.get(all.size() - 1);
    }

    /** A bind's SRC:DST, the source made absolute with every symlink resolved, as the kernel will see it. */
    private static MountOp resolveBind(MountOp m) {
        String spec = m.source();
        String what = m.option() + " " + spec;
        int colon = spec.indexOf(':');
        if (colon <= 0 || colon == spec.length() - 1) {
            throw bad(what + ": expected SRC:DST");
        }
        String target = spec.substring(colon + 1);
        checkTarget(what, target);
        Path src;
        try {
            src = Path.of(spec.substring(0, colon)).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw bad(what + ": the source cannot be named in this locale (sun.jnu.encoding)");
        }
        try {
            src = src.toRealPath();
        } catch (IOException e) {
            throw bad(what + ": the source " + src + " does not exist");
        }
        return new MountOp(m.option(), src.toString(), target);
    }

    /**
     * The text of an option's byte string ({@link RawText}) that the sandbox hands to the kernel
     * through {@code String} paths: it must be UTF-8, which fdcore encodes back to the same bytes.
     */
    private static String utf8(String option, String byteString) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(RawText.bytes(byteString))).toString();
        } catch (CharacterCodingException e) {
            throw bad(option + " " + RawText.show(byteString) + ": sandbox paths and names must be UTF-8");
        }
    }

    /** Whether {@code path} is a directory; true if the JDK cannot name it here (the child's chdir will tell). */
    private static boolean isDirectory(String path) {
        try {
            return Files.isDirectory(Path.of(path));
        } catch (InvalidPathException e) {
            return true;
        }
    }

    private static void checkTarget(String what, String target) {
        if (!target.startsWith("/")) {
            throw bad(what + ": the target must be an absolute path in the new root, not " + target);
        }
    }

    /** Whether any sandbox option was given. */
    boolean any() {
        return !unshare.isEmpty() || !mounts.isEmpty() || hostname != null || uid != null || gid != null
                || chdir != null;
    }

    /**
     * Checks the options together (what needs which namespace, absolute targets, existing
     * sources), before anything is opened or started; returns the namespaces to clone the child
     * in. Mount options imply a mount namespace.
     */
    CloneFlag[] check() {
        for (String name : unshareNames) {
            if (name.equals("all")) {
                unshare.addAll(NAMESPACES.values());
            } else if (NAMESPACES.containsKey(name)) {
                unshare.add(NAMESPACES.get(name));
            } else {
                throw bad("--unshare " + RawText.show(name) + ": not a namespace (one of " + String.join(", ", NAMESPACES.keySet())
                        + ", all)");
            }
        }
        if (!mounts.isEmpty()) {
            unshare.add(CloneFlag.NEWNS);
        }
        if ((uid != null || gid != null) && !unshare.contains(CloneFlag.NEWUSER)) {
            throw bad((uid != null ? "--uid" : "--gid") + " needs a user namespace: add --unshare user");
        }
        if (hostname != null && !unshare.contains(CloneFlag.NEWUTS)) {
            throw bad("--hostname needs a UTS namespace: add --unshare uts");
        }
        hostname = hostname == null ? null : utf8("--hostname", hostname);
        chdir = chdir == null ? null : utf8(chdirOption, chdir);
        if (chdir != null && !mounts.isEmpty() && !chdir.startsWith("/")) {
            throw bad(chdirOption + " " + chdir + ": with a new root the directory must be an absolute path in it");
        }
        if (chdir != null && mounts.isEmpty() && !isDirectory(chdir)) {
            throw bad(chdirOption + " " + chdir + ": no such directory");
        }
        List<MountOp> resolved = new ArrayList<>();
        for (MountOp m : mounts) {
            if (m.target() == null) {
                resolved.add(resolveBind(new MountOp(m.option(), utf8(m.option(), m.source()), null)));
            } else {
                String target = utf8(m.option(), m.target());
                checkTarget(m.option() + " " + target, target);
                resolved.add(new MountOp(m.option(), null, target));
            }
        }
        mounts.clear();
        mounts.addAll(resolved);
        return unshare.toArray(CloneFlag[]::new);
    }

    /** The child task, cloned from {@code local} in the namespaces {@link #check} returned. */
    static ChildTask clone(Task local, CloneFlag[] namespaces) throws IOException {
        try {
            return local.clone(namespaces);
        } catch (SandboxException e) {
            throw new CommandFailure("--unshare: " + e.getMessage(), 1, e);
        }
    }

    /** Sets the child up as the options say: ids, hostname, the new root, the working directory. */
    void apply(Task local, ChildTask child, Trace tr) throws IOException {
        try {
            setUp(local, child, tr);
        } catch (SandboxException e) {
            throw new CommandFailure("sandbox: " + e.getMessage(), 1, e);
        }
    }

    private void setUp(Task local, ChildTask child, Trace tr) throws IOException {
        if (unshare.contains(CloneFlag.NEWUSER)) {
            long inUid = uid != null ? uid : local.sysif().syscall(Sys.GETEUID);
            long inGid = gid != null ? gid : local.sysif().syscall(Sys.GETEGID);
            child.mapUser(inUid, inGid);
            tr.event("child %d: uid %d, gid %d inside its user namespace", child.pid(), inUid, inGid);
        }
        if (hostname != null) {
            child.sethostname(hostname);
        }
        if (!mounts.isEmpty()) {
            newRoot(child, tr);
        }
        if (chdir != null) {
            child.chdir(chdir);
        }
    }

    /**
     * bubblewrap's way to a new root: a tmpfs as an interim root with the old one under it, the new
     * root (a tmpfs) assembled beside it from binds of the old, then entered, the rest detached.
     */
    private void newRoot(ChildTask child, Trace tr) throws IOException {
        child.mountTmpfs(BASE, "mode=0755");
        child.mkdir(NEW_ROOT, 0755);
        child.mkdir(OLD_ROOT, 0755);
        child.pivotRoot(BASE, OLD_ROOT);
        String newRoot = NEW_ROOT.substring(BASE.length());
        String oldRoot = OLD_ROOT.substring(BASE.length());
        child.mountTmpfs(newRoot, "mode=0755");
        for (MountOp m : mounts) {
            String target = newRoot + m.target();
            switch (m.option()) {
                case "--tmpfs" -> {
                    mkdirs(child, target);
                    child.mountTmpfs(target, "mode=0755");
                }
                case "--proc" -> {
                    mkdirs(child, target);
                    child.mountProc(target);
                }
                default -> {
                    String source = oldRoot + m.source();
                    if (Files.isDirectory(Path.of(m.source()))) {
                        mkdirs(child, target);
                    } else {
                        mkdirs(child, parent(target));
                        FileDescriptor f = child.open(target, Linux.O_WRONLY | Linux.O_CREAT, 0644);
                        f.close();
                    }
                    if (m.option().equals("--ro-bind")) {
                        child.bindMountReadOnly(source, target);
                    } else {
                        child.bindMount(source, target);
                    }
                }
            }
            tr.event("child %d: %s %s", child.pid(), m.option(),
                    (m.source() == null ? "" : m.source() + " on ") + m.target());
        }
        child.pivotRoot(newRoot);
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    /** {@code mkdir -p} in the child. */
    private static void mkdirs(ChildTask child, String path) throws IOException {
        if (path.equals("/") || path.isEmpty()) {
            return;
        }
        mkdirs(child, parent(path));
        try {
            child.mkdir(path, 0755);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EEXIST) {
                throw e;
            }
        }
    }

    private static CommandFailure bad(String message) {
        return new CommandFailure(message, CommandFailure.BAD_INPUT);
    }
}
