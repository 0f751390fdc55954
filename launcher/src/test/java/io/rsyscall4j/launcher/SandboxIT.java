package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rsyscall4j exec} with bubblewrap's sandbox options, from the packaged jar: side by side
 * with {@code bwrap} itself on one probe program, the namespaces asked for and no others, and bad
 * input refused before anything is started or mounted.
 */
class SandboxIT {
    /** Prints the program's namespaces, ids, hostname, pid, mounts (point and ro/rw) and fds. */
    private static final String PROBE = """
            for k in user mnt net pid uts ipc cgroup; do echo "ns $k $(readlink /proc/self/ns/$k)"; done
            echo "ids $(id -u) $(id -g)"; echo "host $(hostname)"; echo "pid $$"
            while read -r a b c d mp opts rest; do echo "mount $mp ${opts%%,*}"; done < /proc/self/mountinfo
            echo "fds $(ls /proc/self/fd | tr '\\n' ' ')"
            """;
    private static final List<String> KINDS = List.of("user", "mnt", "net", "pid", "uts", "ipc", "cgroup");

    @Test
    void theSameSandboxAskedOfBwrapAndOfTheLauncherLooksTheSameFromInside() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/bwrap")),
                "bubblewrap is needed for this comparison: apt-get install bubblewrap (.ci/run does)");
        List<String> binds = new ArrayList<>();
        List<String> ours = new ArrayList<>(List.of("exec", "--fd", "3=null", "--unshare", "user,net,uts,ipc,pid",
                "--uid", "0", "--gid", "0", "--hostname", "sandbox"));
        for (String d : List.of("/usr", "/bin", "/lib", "/lib64")) {
            binds.addAll(List.of("--ro-bind", d, d));
            ours.addAll(List.of("--ro-bind", d + ":" + d));
        }
        ours.addAll(List.of("--proc", "/proc", "--tmpfs", "/tmp", "--", "sh", "-c", PROBE));
        List<String> bwrap = new ArrayList<>(List.of("sh", "-c", "exec 3</dev/null; exec \"$@\"", "sh", "bwrap",
                "--unshare-user", "--unshare-net", "--unshare-uts", "--unshare-ipc", "--unshare-pid", "--as-pid-1",
                "--uid", "0", "--gid", "0", "--hostname", "sandbox"));
        bwrap.addAll(binds);
        bwrap.addAll(List.of("--proc", "/proc", "--tmpfs", "/tmp", "--", "sh", "-c", PROBE));

        Run.Result theirs = Run.command(bwrap, Map.of());
        Run.Result mine = Run.launch(ours.toArray(String[]::new));
        assertEquals(0, theirs.status(), theirs.toString());
        assertEquals(0, mine.status(), mine.toString());
        assertEquals(view(theirs.out()), view(mine.out()), "bwrap's view, then the launcher's");
        List<String> expected = new ArrayList<>();
        for (String k : KINDS) {
            expected.add("ns " + k + (k.equals("cgroup") ? " same" : " new"));
        }
        expected.addAll(List.of("ids 0 0", "host sandbox", "pid 1", "mount / rw", "mount /usr ro", "mount /bin ro",
                "mount /lib ro", "mount /lib64 ro", "mount /proc rw", "mount /tmp rw", "fds 0 1 2 3 4"));
        assertEquals(expected, view(mine.out()));
        assertEquals("", mine.err());
    }

    /** Only the namespaces asked for are new (as root, no user namespace needed). */
    @Test
    void theProgramIsInNewNamespacesExactlyForThoseAsked() throws Exception {
        String hostname = hostnameOutside();
        Run.Result r = Run.launch("exec", "--unshare", "net,uts", "--hostname", "inside", "--", "sh", "-c", PROBE);
        assertEquals(0, r.status(), r.toString());
        List<String> v = view(r.out());
        assertEquals(List.of("ns user same", "ns mnt same", "ns net new", "ns pid same", "ns uts new", "ns ipc same",
                "ns cgroup same", "ids 0 0", "host inside"), v.subList(0, 9));
        assertEquals(hostname, hostnameOutside(), "the hostname outside");
    }

    /** Bad input: one line naming what is wrong, status 2, nothing started, nothing mounted. */
    @Test
    void badSandboxOptionsStartNothingAndMountNothing(@TempDir Path tmp) throws Exception {
        String mountsBefore = Files.readString(Path.of("/proc/self/mountinfo"));
        Path marker = tmp.resolve("started");
        String[][] cases = {
            {"--bind", "/no/such/dir:/x"},
            {"--ro-bind", "/usr:relative/target"},
            {"--uid", "5"},
            {"--hostname", "h"},
            {"--unshare", "user,bogus"},
        };
        String[] messages = {
            "rsyscall4j: --bind /no/such/dir:/x: the source /no/such/dir does not exist",
            "rsyscall4j: --ro-bind /usr:relative/target: the target must be an absolute path in the new root, not relative/target",
            "rsyscall4j: --uid needs a user namespace: add --unshare user",
            "rsyscall4j: --hostname needs a UTS namespace: add --unshare uts",
            "rsyscall4j: --unshare bogus: not a namespace (one of user, mount, net, pid, uts, ipc, cgroup, all)",
        };
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("exec"));
            args.addAll(List.of(cases[i]));
            args.addAll(List.of("--", "touch", marker.toString()));
            Run.Result r = Run.launch(args.toArray(String[]::new));
            assertEquals(2, r.status(), r.toString());
            assertEquals(messages[i] + "\n", r.err());
            assertFalse(Files.exists(marker), "nothing was started for " + List.of(cases[i]));
        }
        assertEquals(mountsBefore, Files.readString(Path.of("/proc/self/mountinfo")), "nothing was mounted");
    }

    /** A namespace the kernel refuses (an unprivileged caller without a user namespace): named, with a hint. */
    @Test
    void aNamespaceTheKernelRefusesIsNamedWithAHint(@TempDir Path tmp) throws Exception {
        Path home = Files.createDirectory(tmp.resolve("home"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        UserPrincipal nobody = tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("65534");
        Files.setOwner(home, nobody);
        Path marker = home.resolve("started");
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                Run.java()));
        command.addAll(Run.quietFelix());
        command.addAll(List.of("-jar", Run.jarPath().toString(), "exec", "--unshare", "net", "--", "touch",
                marker.toString()));
        Run.Result r = Run.command(command, Map.of("HOME", home.toString()));
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().startsWith("rsyscall4j: --unshare: clone(CLONE_NEWNET): EPERM (Operation not permitted);"
                + " hint: "), r.err());
        assertFalse(Files.exists(marker), "nothing was started");
    }

    private static String hostnameOutside() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
    }

    /**
     * The probe's output with each namespace as "new" or "same" (against this JVM's) and the
     * mounts under /proc left out (bwrap covers some of /proc's files with read-only binds).
     */
    private static List<String> view(String out) throws IOException {
        List<String> v = new ArrayList<>();
        for (String line : out.lines().toList()) {
            if (line.startsWith("ns ")) {
                String[] f = line.split(" ");
                String outer = Files.readSymbolicLink(Path.of("/proc/self/ns/" + f[1])).toString();
                v.add("ns " + f[1] + (outer.equals(f[2]) ? " same" : " new"));
            } else if (!line.startsWith("mount /proc/")) {
                v.add(line.strip());
            }
        }
        return v;
    }
}
