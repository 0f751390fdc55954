package io.rsyscall4j;

import static io.rsyscall4j.Sandboxes.ns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Namespaces of child tasks on the real kernel: made at the clone or by unshare, joined with
 * setns, and the uid/gid maps of a user namespace, for root and for an unprivileged caller.
 */
class NamespacesTest {

    /** The exec'd program's namespaces differ from the JVM's exactly for the kinds asked. */
    @BothProviders
    void programIsInNewNamespacesExactlyForThoseAsked(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        List<Set<CloneFlag>> asks = List.of(EnumSet.of(CloneFlag.NEWUSER, CloneFlag.NEWNET),
                EnumSet.of(CloneFlag.NEWNS, CloneFlag.NEWUTS, CloneFlag.NEWIPC),
                EnumSet.of(CloneFlag.NEWUSER, CloneFlag.NEWNS, CloneFlag.NEWNET, CloneFlag.NEWPID, CloneFlag.NEWUTS,
                        CloneFlag.NEWIPC, CloneFlag.NEWCGROUP));
        for (Set<CloneFlag> asked : asks) {
            for (boolean atClone : new boolean[] {true, false}) {
                Pipe hold = local.pipe(); // cat's stdin: it runs until killed
                ChildTask child;
                if (atClone) {
                    child = local.clone(asked.toArray(CloneFlag[]::new));
                } else {
                    child = local.clone();
                    child.unshare(asked.toArray(CloneFlag[]::new));
                    if (asked.contains(CloneFlag.NEWPID)) {
                        child = child.clone(); // unshare(NEWPID) is for the next child
                    }
                }
                child.inheritFd(hold.read()).dup2(child.stdin());
                ChildProcess cat = child.exec("cat", List.of("cat"), Sandboxes.ENV);
                try {
                    for (Map.Entry<String, CloneFlag> kind : Sandboxes.KINDS.entrySet()) {
                        String jvm = ns(ProcessHandle.current().pid(), kind.getKey());
                        String program = ns(cat.pid(), kind.getKey());
                        assertEquals(asked.contains(kind.getValue()), !jvm.equals(program),
                                kind.getKey() + " namespace of a program asked for " + asked + " (at clone: " + atClone
                                        + "): " + program + ", the JVM's " + jvm);
                    }
                } finally {
                    cat.kill(9);
                    hold.write().close();
                    hold.read().close();
                }
                assertEquals(128 + 9, cat.waitFor());
            }
        }
    }

    /**
     * ownPid() is what the program's getpid says: 1 for the first process of a new pid namespace
     * (its pid() the JVM's number for it), pid() itself in the JVM's namespace, and the number
     * clone returned for a grandchild in its parent's new namespace.
     */
    @BothProviders
    void ownPidIsThePidTheProgramSeesForItself(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Sandboxes.Capture inNew = Sandboxes.capture(local);
        ChildTask first = local.clone(CloneFlag.NEWPID);
        assertEquals(1, first.ownPid());
        assertNotEquals(1, first.pid());
        assertEquals("1", inNew.output(first, "sh", "-c", "echo $$").trim());

        Sandboxes.Capture same = Sandboxes.capture(local);
        ChildTask plain = local.clone();
        assertEquals(plain.pid(), plain.ownPid());
        assertEquals(Integer.toString(plain.ownPid()), same.output(plain, "sh", "-c", "echo $$").trim());

        Sandboxes.Capture nested = Sandboxes.capture(local);
        ChildTask parent = local.clone(CloneFlag.NEWPID);
        ChildTask second = parent.clone();
        assertEquals(2, second.ownPid(), "the second process of the parent's new namespace");
        assertEquals("2", nested.output(second, "sh", "-c", "echo $$").trim());
        parent.exit(0);
    }

    /** mapUser(0, 0): root inside, the caller outside; setgroups denied; as root. */
    @BothProviders
    void mapUserMakesTheChildRootInsideAndTheCallerOutside(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Sandboxes.Capture capture = Sandboxes.capture(local);
        ChildTask child = local.clone(CloneFlag.NEWUSER);
        child.mapUser(0, 0);
        String out = capture.output(child, "sh", "-c",
                "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; id -g");
        assertEquals(List.of("0 0 1", "0 0 1", "deny", "0", "0"), words(out));
    }

    /** The same for an unprivileged caller (uid 65534), the namespace made by unshare. */
    @BothProviders
    void mapUserWorksForAnUnprivilegedCaller(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Sandboxes.Capture first = Sandboxes.capture(local);
        Sandboxes.Capture second = Sandboxes.capture(local);
        ChildTask nobody = Sandboxes.unprivileged(local);
        ChildTask child = nobody.clone();
        child.unshare(CloneFlag.NEWUSER, CloneFlag.NEWNS, CloneFlag.NEWUTS);
        child.mapUser(0, 0);
        ChildTask atClone = nobody.clone(CloneFlag.NEWUSER, CloneFlag.NEWNET);
        atClone.mapUser(0, 0);
        assertEquals("65534 65534 65534 65534", ChildTestSupport.status(child.pid(), "Uid").replaceAll("\\s+", " "),
                "outside, the caller's uid");
        String out = first.output(child, "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u");
        assertEquals(List.of("0 65534 1", "0 65534 1", "0"), words(out));
        assertEquals(List.of("0 65534 1", "0"), words(second.output(atClone, "sh", "-c", "cat /proc/self/uid_map; id -u")));
        nobody.exit(0);
    }

    /** writeIdMaps: several ranges, written by the JVM (root). */
    @BothProviders
    void writeIdMapsWritesRangesFromTheJvm(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Sandboxes.Capture capture = Sandboxes.capture(local);
        ChildTask child = local.clone(CloneFlag.NEWUSER);
        child.writeIdMaps(List.of(new IdMapping(0, 100000, 65536)),
                List.of(new IdMapping(0, 200000, 1000), new IdMapping(1000, 0, 1)), false);
        String out = capture.output(child, "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups");
        assertEquals(List.of("0 100000 65536", "0 200000 1000", "1000 0 1", "allow"), words(out));
    }

    /** setns by a /proc/PID/ns handle and by a pidfd: the child joins that process's namespaces. */
    @BothProviders
    void setnsJoinsAnotherProcesssNamespaces(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Sandboxes.Capture capture = Sandboxes.capture(local);
        ChildTask owner = local.clone(CloneFlag.NEWNET, CloneFlag.NEWUTS);
        owner.sethostname("joined");

        ChildTask byPath = local.clone();
        FileDescriptor netns = byPath.open("/proc/" + owner.pid() + "/ns/net", OpenFlags.O_RDONLY);
        byPath.setns(netns, CloneFlag.NEWNET);
        assertEquals(ns(owner.pid(), "net"), ns(byPath.pid(), "net"));
        assertNotEquals(ns(owner.pid(), "uts"), ns(byPath.pid(), "uts"), "only the namespace asked");

        ChildTask byPidfd = local.clone();
        FileDescriptor pidfd = byPidfd.makeFdHandle((int) byPidfd.sysif().syscall(Sys.PIDFD_OPEN, owner.pid(), 0));
        byPidfd.setns(pidfd, CloneFlag.NEWNET, CloneFlag.NEWUTS);
        assertEquals(ns(owner.pid(), "net"), ns(byPidfd.pid(), "net"));
        assertEquals(ns(owner.pid(), "uts"), ns(byPidfd.pid(), "uts"));
        assertEquals("joined\n", capture.output(byPidfd, "hostname"));
        owner.exit(0);
        byPath.exit(0);
    }

    /** A namespace the kernel refuses: one named error with a hint; no process made. */
    @BothProviders
    void refusedNamespaceIsOneNamedErrorAndStartsNothing(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ChildTask nobody = Sandboxes.unprivileged(local);
        SandboxException e = assertThrows(SandboxException.class, () -> nobody.clone(CloneFlag.NEWNET));
        assertEquals(Errno.EPERM, e.errno());
        assertTrue(e.getMessage().startsWith("clone(CLONE_NEWNET): EPERM"), e.getMessage());
        assertTrue(e.hint().contains("NEWUSER"), e.getMessage());
        assertEquals("", children(nobody.pid()), "no process was made");
        SandboxException u = assertThrows(SandboxException.class, () -> nobody.unshare(CloneFlag.NEWIPC));
        assertTrue(u.getMessage().startsWith("unshare(CLONE_NEWIPC): EPERM"), u.getMessage());

        ChildTask plain = local.clone();
        IllegalStateException noUserNs = assertThrows(IllegalStateException.class, () -> plain.mapUser(0, 0));
        assertTrue(noUserNs.getMessage().contains("made no user namespace"), noUserNs.getMessage());
        SandboxException noUid = assertThrows(SandboxException.class, () -> nobody.setresuid(0, 0, 0));
        assertTrue(noUid.getMessage().startsWith("setresuid(0, 0, 0): EPERM"), noUid.getMessage());
        nobody.exit(0);
        plain.exit(0);
    }

    /** Each refusal's hint is chosen by the errno's name, for clone and unshare alike. */
    @Test
    void eachRefusalHasItsOwnHint() {
        long user = Linux.CLONE_NEWUSER;
        assertTrue(Namespaces.hint(user, Errno.EPERM).contains("user namespaces may be disabled"));
        assertTrue(Namespaces.hint(Linux.CLONE_NEWNET, Errno.EPERM).contains("CAP_SYS_ADMIN"));
        assertTrue(Namespaces.hint(user, Errno.EINVAL).contains("does not support"));
        assertTrue(Namespaces.hint(user, Errno.byName("ENOSPC")).contains("max_"));
        assertTrue(Namespaces.hint(user, Errno.ENOMEM).contains("nested pid namespaces"));
        assertTrue(Namespaces.hint(user, Errno.byName("EUSERS")).contains("nested user namespaces"));
        assertEquals("see namespaces(7)", Namespaces.hint(user, Errno.EBADF));
    }

    static String children(long pid) throws Exception {
        return Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).trim();
    }

    /** The output's whitespace-separated words, each line's joined by one space. */
    static List<String> words(String out) {
        return out.lines().map(l -> l.trim().replaceAll("\\s+", " ")).filter(l -> !l.isEmpty()).toList();
    }
}
