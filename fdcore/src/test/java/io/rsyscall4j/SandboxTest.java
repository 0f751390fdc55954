package io.rsyscall4j;

import static io.rsyscall4j.NamespacesTest.words;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sandboxes on the real kernel: mounts (read-only binds, tmpfs, proc, a new root by pivot_root
 * and by chroot), a network namespace with only lo up, a pid namespace whose program is pid 1,
 * and the credential and limit calls; none of it visible from the JVM.
 */
class SandboxTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** A read-only bind: mountinfo says ro, a write fails; the JVM's mounts are unchanged. */
    @BothProviders
    void readOnlyBindIsReadOnlyInsideAndInvisibleOutside(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (boolean unprivileged : new boolean[] {false, true}) {
            Path src = Files.createDirectories(dir.resolve("src-" + unprivileged));
            Files.writeString(src.resolve("file"), "inside\n");
            Path target = Files.createDirectories(dir.resolve("target-" + unprivileged));
            if (unprivileged) {
                Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            String before = Sandboxes.jvmMountinfo();
            Sandboxes.Capture capture = Sandboxes.capture(local);
            ChildTask parent = unprivileged ? Sandboxes.unprivileged(local) : local.clone();
            ChildTask child = parent.clone(CloneFlag.NEWUSER, CloneFlag.NEWNS);
            child.mapUser(0, 0);
            child.bindMountReadOnly(src.toString(), target.toString());
            Sandboxes.Output o = capture.run(child, "sh", "-c", "grep ' " + target + " ' /proc/self/mountinfo; cat "
                    + target + "/file; echo x 2>&- > " + target + "/new || echo refused");
            List<String> lines = o.out().lines().toList();
            assertEquals(3, lines.size(), o.out());
            String[] fields = lines.get(0).split(" ");
            assertEquals(target.toString(), fields[4], lines.get(0));
            assertTrue(fields[5].startsWith("ro,"), "mount options of the bind: " + lines.get(0));
            assertEquals(List.of("inside", "refused"), lines.subList(1, 3));
            assertEquals(before, Sandboxes.jvmMountinfo(), "the JVM's mount table");
            assertFalse(Files.exists(target.resolve("file")), "the JVM sees the target empty");
            parent.exit(0);
        }
    }

    /** A new root from read-only binds, a tmpfs and a proc, entered by pivot_root; pid 1 inside. */
    @BothProviders
    void pivotRootIntoARootAssembledFromBinds(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        String before = Sandboxes.jvmMountinfo();
        Sandboxes.Capture capture = Sandboxes.capture(local);
        ChildTask child = local.clone(CloneFlag.NEWUSER, CloneFlag.NEWNS, CloneFlag.NEWPID);
        child.mapUser(0, 0);
        String root = assembleRoot(child);
        child.pivotRoot(root);
        String out = capture.output(child, "sh", "-c", "echo $$; ls /; cat /proc/1/comm; "
                + "grep -c ' / / ' /proc/self/mountinfo; touch /usr/x 2>&- || echo ro; touch /tmp/y && echo rw");
        assertEquals(List.of("1", "bin", "lib", "lib64", "proc", "tmp", "usr", "sh", "1", "ro", "rw"), words(out));
        assertEquals(before, Sandboxes.jvmMountinfo(), "the JVM's mount table");
    }

    /** The same root entered by chroot. */
    @BothProviders
    void chrootIntoARootAssembledFromBinds(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Sandboxes.Capture capture = Sandboxes.capture(local);
        ChildTask child = local.clone(CloneFlag.NEWUSER, CloneFlag.NEWNS, CloneFlag.NEWPID);
        child.mapUser(0, 0);
        child.chroot(assembleRoot(child));
        assertEquals(List.of("bin", "lib", "lib64", "proc", "tmp", "usr", "/"),
                words(capture.output(child, "sh", "-c", "ls /; pwd")));
    }

    /** A tmpfs made the root (so it is a mount point), with /usr, /bin, /lib, /lib64 bound read-only. */
    private String assembleRoot(ChildTask child) throws IOException {
        String root = Files.createDirectories(dir.resolve("root")).toString();
        child.mountTmpfs(root, "mode=0755");
        for (String d : List.of("usr", "bin", "lib", "lib64")) {
            child.mkdir(root + "/" + d, 0755);
            child.bindMountReadOnly("/" + d, root + "/" + d);
        }
        child.mkdir(root + "/proc", 0755);
        child.mountProc(root + "/proc");
        child.mkdir(root + "/tmp", 01777);
        child.mountTmpfs(root + "/tmp", null);
        return root;
    }

    /** Bad mounts: a missing source, a relative target, no mount namespace; nothing mounted. */
    @BothProviders
    void badMountsAreNamedAndMountNothing(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        String before = Sandboxes.jvmMountinfo();
        Path target = Files.createDirectories(dir.resolve("t"));
        ChildTask child = local.clone(CloneFlag.NEWUSER, CloneFlag.NEWNS);
        child.mapUser(0, 0);
        SandboxException missing = assertThrows(SandboxException.class,
                () -> child.bindMountReadOnly("/no/such/source", target.toString()));
        assertEquals(Errno.ENOENT, missing.errno());
        assertTrue(missing.getMessage().contains("bind source /no/such/source"), missing.getMessage());
        assertTrue(missing.hint().contains("does not exist"), missing.getMessage());
        SandboxException noPoint = assertThrows(SandboxException.class,
                () -> child.bindMount("/usr", target + "/no/such/dir"));
        assertTrue(noPoint.getMessage().startsWith("mount(/usr -> " + target + "/no/such/dir): ENOENT"),
                noPoint.getMessage());
        IllegalArgumentException relative = assertThrows(IllegalArgumentException.class,
                () -> child.bindMount("/usr", "relative/target"));
        assertTrue(relative.getMessage().contains("bind target must be an absolute path: relative/target"),
                relative.getMessage());

        ChildTask inJvmsNamespace = local.clone(CloneFlag.NEWUSER);
        inJvmsNamespace.mapUser(0, 0);
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> inJvmsNamespace.mountTmpfs(target.toString(), null));
        assertTrue(refused.getMessage().contains("JVM's mount namespace"), refused.getMessage());
        ChildTask plain = local.clone();
        assertThrows(IllegalStateException.class, () -> plain.bindMount("/usr", target.toString()));
        assertEquals(before, Sandboxes.jvmMountinfo(), "the JVM's mount table");
        child.exit(0);
        inJvmsNamespace.exit(0);
        plain.exit(0);
    }

    /** A new network namespace has lo, up (it has 127.0.0.1), and nothing else; root and unprivileged. */
    @BothProviders
    void newNetworkNamespaceHasOnlyLoopbackUp(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (boolean unprivileged : new boolean[] {false, true}) {
            Sandboxes.Capture capture = Sandboxes.capture(local);
            ChildTask parent = unprivileged ? Sandboxes.unprivileged(local) : local.clone();
            ChildTask child = unprivileged ? parent.clone(CloneFlag.NEWUSER, CloneFlag.NEWNET) : parent.clone(CloneFlag.NEWNET);
            String out = capture.output(child, "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1; "
                    + "grep -q '127.0.0.1' /proc/net/fib_trie && echo up");
            assertEquals(List.of("lo", "up"), words(out), "devices, then the local addresses (unprivileged " + unprivileged + ")");
            parent.exit(0);
        }
    }

    /**
     * A server and a client in one new network namespace talk over its loopback, through the
     * library's sockets; the JVM's loopback has nothing at that port. Root and unprivileged.
     */
    @BothProviders
    void aServerAndAClientInOneNetworkNamespaceTalkOverItsLoopback(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (boolean unprivileged : new boolean[] {false, true}) {
            ChildTask parent = unprivileged ? Sandboxes.unprivileged(local) : local.clone();
            ChildTask server = unprivileged ? parent.clone(CloneFlag.NEWUSER, CloneFlag.NEWNET) : parent.clone(CloneFlag.NEWNET);
            FileDescriptor listener = server.listen(new InetSocketAddress("127.0.0.1", 0), SocketType.STREAM, 4);
            InetSocketAddress at = (InetSocketAddress) Sockets.localAddress(listener);
            ChildTask client = server.clone();
            FileDescriptor connection = client.connect(at, SocketType.STREAM);
            FileDescriptor accepted = server.accept(listener);
            connection.writeAll("inside".getBytes(StandardCharsets.US_ASCII));
            byte[] got = new byte[16];
            int n = accepted.read(got, 0, got.length);
            assertEquals("inside", new String(got, 0, n, StandardCharsets.US_ASCII), "unprivileged " + unprivileged);
            assertEquals(Sockets.localAddress(connection), Sockets.remoteAddress(accepted));
            ErrnoException outside = assertThrows(ErrnoException.class, () -> local.connect(at, SocketType.STREAM));
            assertEquals("ECONNREFUSED", Errno.name(outside.errno()), "the JVM's loopback has nothing at " + at);
            client.exit(0);
            parent.exit(0);
        }
    }

    /**
     * A new pid namespace: the program is pid 1 (its ChildProcess has the pid the JVM sees), an
     * orphan in it is reparented to the program, and when the program ends the orphan is gone.
     */
    @BothProviders
    void programInNewPidNamespaceIsItsInitAndTakesItsProcessesAlong(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Pipe hold = local.pipe();
        ChildTask child = local.clone(CloneFlag.NEWPID);
        child.inheritFd(hold.read()).dup2(child.stdin());
        ChildProcess init = child.exec("sh", List.of("sh", "-c", "sh -c 'sleep 1000 & exit 0'; read x"), Sandboxes.ENV);
        assertEquals(init.pid() + "\t1", ChildTestSupport.status(init.pid(), "NSpid"));
        List<Long> orphans = new ArrayList<>();
        ChildTestSupport.await("the orphaned sleep is the program's child", DEADLINE, () -> {
            orphans.clear();
            orphans.addAll(children(init.pid()));
            return orphans.size() == 1 && cmdline(orphans.get(0)).startsWith("sleep");
        });
        long orphan = orphans.get(0);
        assertNotEquals("1", ChildTestSupport.status(orphan, "NSpid").split("\t")[1]);
        init.kill(9);
        assertEquals(128 + 9, init.waitFor());
        ChildTestSupport.await("the orphan died with its namespace", DEADLINE, () -> Kernel.processEnded(orphan));
        hold.write().close();
        hold.read().close();
    }

    /** Hostname, limits, no_new_privs and capabilities, each typed; the JVM's unchanged. */
    @BothProviders
    void hostnameLimitsNoNewPrivsAndCapabilities(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname"));
        Sandboxes.Capture capture = Sandboxes.capture(local);
        ChildTask child = local.clone(CloneFlag.NEWUTS);
        child.sethostname("sandbox");
        child.setrlimit(Rlimit.NOFILE, 123, 456);
        child.noNewPrivs();
        child.dropCapabilities();
        String out = capture.output(child, "sh", "-c", "hostname; ulimit -n; ulimit -Hn; "
                + "grep -E '^(NoNewPrivs|CapEff|CapPrm|CapBnd|CapAmb):' /proc/self/status");
        assertEquals(List.of("sandbox", "123", "456", "CapPrm: 0000000000000000", "CapEff: 0000000000000000",
                "CapBnd: 0000000000000000", "CapAmb: 0000000000000000", "NoNewPrivs: 1"), words(out));
        assertEquals(hostname, Files.readString(Path.of("/proc/sys/kernel/hostname")), "the JVM's hostname");
        assertNotEquals("0000000000000000", ChildTestSupport.status(ProcessHandle.current().pid(), "CapEff"));
    }

    /** setgroups, setresgid, setresuid: the program runs with exactly those ids. */
    @BothProviders
    void idsChangeForTheProgram(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Sandboxes.Capture capture = Sandboxes.capture(local);
        ChildTask child = local.clone();
        child.setgroups(1, 2);
        child.setresgid(3, 4, 5);
        child.setresuid(6, 7, 8);
        assertEquals("6 7 8 7", ChildTestSupport.status(child.pid(), "Uid").replaceAll("\\s+", " "));
        assertEquals("3 4 5 4", ChildTestSupport.status(child.pid(), "Gid").replaceAll("\\s+", " "));
        String out = capture.output(child, "grep", "-E", "^(Uid|Gid|Groups):", "/proc/self/status");
        assertEquals(List.of("Uid: 6 7 7 7", "Gid: 3 4 4 4", "Groups: 1 2"), words(out), "exec sets the saved ids");
        assertEquals(1, dumpable(local), "the JVM's memory stays dumpable");
    }

    /**
     * A child task whose ids changed still dies with its parent: the kernel clears the
     * parent-death signal when the effective ids change, and the child sets it again. Its parent,
     * a child task standing in for the JVM, is killed; the child ends. Needs CAP_SETUID and
     * CAP_SETGID (root, as CI runs).
     */
    @BothProviders
    void aChildWhoseIdsChangedStillDiesWithItsParent(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ChildTask parent = local.clone();
        ChildTask child = parent.clone();
        child.setgroups();
        child.setresgid(65534, 65534, 65534);
        child.setresuid(65534, 65534, 65534);
        child.dropCapabilities();
        long page = ChildTestSupport.page(local.sysif());
        try {
            child.sysif().syscall(Sys.PRCTL, Linux.PR_GET_PDEATHSIG, page, 0, 0, 0);
            assertEquals(Linux.SIGKILL, ChildTestSupport.getInt(local.sysif(), page), "the parent-death signal");
        } catch (AssertionError e) {
            child.process().kill(Linux.SIGKILL); // or it outlives this JVM, holding surefire's output open
            throw e;
        } finally {
            ChildTestSupport.unmap(local.sysif(), page);
        }
        parent.process().kill(Linux.SIGKILL);
        assertEquals(128 + Linux.SIGKILL, child.process().waitFor(), "the child died with its parent");
    }

    private static long dumpable(Task local) throws IOException {
        return local.sysif().syscall(Sys.PRCTL, Linux.PR_GET_DUMPABLE, 0, 0, 0, 0);
    }

    private static List<Long> children(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).trim();
            return s.isEmpty() ? List.of() : java.util.Arrays.stream(s.split(" ")).map(Long::parseLong).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }
}
