package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Command}'s sandbox: namespaces, hostname, ids, no-new-privs, capabilities and
 * {@code beforeExec} steps, as the program sees them, for root and for an unprivileged caller;
 * a sandbox that can't be made starts nothing.
 */
class CommandSandboxTest {
    @TempDir
    Path dir;

    private static List<String> lines(ProcessOutput o) {
        assertEquals(0, o.status(), () -> "exit status; stderr: " + new String(o.stderr(), StandardCharsets.UTF_8));
        return new String(o.stdout(), StandardCharsets.UTF_8).lines().toList();
    }

    private static String hostname() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    }

    @BothProviders
    void theProgramSeesItsNamespacesHostnameAndIds(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        String outside = hostname();
        for (boolean unprivileged : new boolean[] {false, true}) {
            Task parent = unprivileged ? Sandboxes.unprivileged(local) : local;
            List<String> seen = lines(Command.of("sh", "-c", "cat /proc/sys/kernel/hostname; id -u; id -g; echo $$;"
                            + " for k in user uts net pid ipc; do readlink /proc/self/ns/$k; done;"
                            + " tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
                    .unshare(CloneFlag.NEWUSER, CloneFlag.NEWUTS, CloneFlag.NEWNET, CloneFlag.NEWPID)
                    .hostname("rsyscall4j-box").user(1000, 1001).output(parent));
            String who = unprivileged ? "unprivileged: " : "root: ";
            assertEquals(List.of("rsyscall4j-box", "1000", "1001", "1"), seen.subList(0, 4), who + seen);
            List<String> kinds = List.of("user", "uts", "net", "pid", "ipc");
            for (int i = 0; i < kinds.size(); i++) {
                String jvm = Files.readSymbolicLink(Path.of("/proc/self/ns/" + kinds.get(i))).toString();
                if (kinds.get(i).equals("ipc")) {
                    assertEquals(jvm, seen.get(4 + i), who + "the ipc namespace was not asked for");
                } else {
                    assertNotEquals(jvm, seen.get(4 + i), who + "a new " + kinds.get(i) + " namespace");
                }
            }
            assertEquals(List.of("lo"), seen.subList(9, seen.size()), who + "the new network namespace has only lo");
            assertEquals(outside, hostname(), "the JVM's hostname is unchanged");
            long own = unprivileged ? 65534 : 0;
            assertEquals(List.of(Long.toString(own), Long.toString(own)),
                    lines(Command.of("sh", "-c", "id -u; id -g").unshare(CloneFlag.NEWUSER).output(parent)),
                    who + "without user(), the caller's own ids inside");
        }
    }

    @BothProviders
    void rootStartsAProgramAsAnotherUser(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        assertEquals(List.of("65534", "65534", "65534 100"),
                lines(Command.of("sh", "-c", "id -u; id -g; id -G").user(65534, 65534, 100).output(local)));
        assertEquals(List.of("0"), lines(Command.of("id", "-u").output(local)), "the JVM's ids are unchanged");
    }

    @BothProviders
    void noNewPrivsAndNoCapabilitiesReachTheProgram(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        String[] status = {"grep", "-E", "^(NoNewPrivs|CapInh|CapPrm|CapEff|CapBnd|CapAmb):", "/proc/self/status"};
        Map<String, String> plain = fields(lines(Command.of(List.of(status)).output(local)));
        assertEquals("0", plain.get("NoNewPrivs"));
        assertNotEquals(0L, Long.parseLong(plain.get("CapBnd"), 16), "root's program has capabilities: " + plain);
        for (boolean switchIds : new boolean[] {false, true}) {
            Command c = Command.of(List.of(status)).noNewPrivs().dropCapabilities();
            if (switchIds) {
                c.user(65534, 65534);
            }
            Map<String, String> none = fields(lines(c.output(local)));
            assertEquals("1", none.get("NoNewPrivs"), none.toString());
            for (String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
                assertEquals(0L, Long.parseLong(none.get(set), 16), set + " with switchIds " + switchIds + ": " + none);
            }
        }
    }

    private static Map<String, String> fields(List<String> lines) {
        Map<String, String> m = new java.util.TreeMap<>();
        for (String l : lines) {
            String[] kv = l.split(":\\s*", 2);
            m.put(kv[0], kv[1]);
        }
        return m;
    }

    @BothProviders
    void beforeExecStepsRunInTheSandbox(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (boolean unprivileged : new boolean[] {false, true}) {
            Task parent = unprivileged ? Sandboxes.unprivileged(local) : local;
            Path target = Files.createDirectories(dir.resolve("mnt-" + unprivileged));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // for uid 65534 too
            String before = Sandboxes.jvmMountinfo();
            List<String> seen = lines(Command.of("stat", "-f", "-c", "%T", target.toString())
                    .unshare(CloneFlag.NEWUSER, CloneFlag.NEWNS)
                    .beforeExec(child -> child.mountTmpfs(target.toString(), "mode=0700"))
                    .output(parent));
            assertEquals(List.of("tmpfs"), seen, "the program sees the step's mount");
            assertEquals(before, Sandboxes.jvmMountinfo(), "nothing is mounted in the JVM's namespace");
        }
    }

    private void refused(Class<? extends Throwable> type, Executable start, String... named) throws Exception {
        assertEquals(0, Command.of("true").start().waitFor()); // the process watcher's own fds are made
        Map<Integer, String> before = FdSnapshot.take();
        Throwable e = assertThrows(type, start);
        for (String n : named) {
            assertTrue(e.getMessage().contains(n), "\"" + e.getMessage() + "\" names " + n);
        }
        assertFalse(Files.exists(dir.resolve("marker")), "nothing was started");
        FdSnapshot.assertUnchanged(before, "after " + e);
    }

    private Command touch() {
        return Command.of("touch", dir.resolve("marker").toString());
    }

    @BothProviders
    void aSandboxThatCantBeMadeStartsNothing(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        refused(IllegalStateException.class, () -> touch().hostname("h").start(local), "hostname h", "NEWUTS");
        refused(IllegalStateException.class,
                () -> touch().unshare(CloneFlag.NEWUSER).user(0, 0, 100).start(local), "supplementary groups");
        refused(IllegalArgumentException.class, () -> touch().unshare(CloneFlag.FILES), "FILES is not a namespace");
        refused(IllegalArgumentException.class, () -> touch().user(-1, 0), "id -1");
        refused(IOException.class, () -> touch().beforeExec(child -> {
            throw new IOException("the step refused");
        }).start(local), "the step refused");
        ChildTask unprivileged = Sandboxes.unprivileged(local);
        refused(SandboxException.class, () -> touch().user(0, 0).start(unprivileged), "setgroups", "EPERM");
    }
}
