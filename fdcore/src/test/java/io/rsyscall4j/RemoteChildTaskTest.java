package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FileDescriptor;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Children of a remote task, on the remote host, over a real sshd on a loopback port (same
 * machine, so each remote process and fd is checked in {@code /proc}): their lifecycle, nested
 * children, exec with exactly the fds set up, death mid-call, and the connection's end taking them
 * all, through each local provider.
 */
class RemoteChildTaskTest {
    private static final Duration CLEANUP = Duration.ofSeconds(30);
    private static SshFixture sshd;

    @BeforeAll
    static void startSshd() throws Exception {
        sshd = SshFixture.start();
    }

    @AfterAll
    static void stopSshd() throws Exception {
        if (sshd != null) {
            sshd.close();
        }
    }

    @BothProviders
    void aChildOfARemoteTaskServesOnTheRemoteHostAndExitReapsIt(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            ChildTask child = remote.clone();
            assertNotEquals(remote.pid(), child.pid());
            assertEquals("child(remote(" + sshd.destination() + "))", child.sysif().provider());
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
            assertEquals(remote.pid(), child.sysif().syscall(Sys.GETPPID));
            Pipe p = child.pipe();
            Map<Integer, String> fds = Kernel.fds("/proc/" + child.pid() + "/fd");
            assertTrue(fds.get(p.read().number()).startsWith("pipe:"), fds.toString());
            assertEquals("/dev/null", fds.get(0), "the remote task's stdin, inherited");
            p.write().writeAll("hi".getBytes(StandardCharsets.US_ASCII));
            assertEquals("hi", new String(p.read().read(2), StandardCharsets.US_ASCII));
            child.exit(0);
            assertTrue(ProcessHandle.of(child.pid()).isEmpty(), "reaped by the remote task");
            assertThrows(SyscallSendError.class, () -> child.sysif().syscall(Sys.GETPID));
            assertThrows(IllegalStateException.class, () -> child.exit(0));
            assertEquals(remote.pid(), remote.sysif().syscall(Sys.GETPID), "the remote task still serves");
        }
    }

    @BothProviders
    void nestedChildrenOfARemoteTaskExitInnermostFirst(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            ChildTaskTest.nestedChainExitsInnermostFirst(remote, 4);
        }
    }

    @BothProviders
    void aRemoteChildExecsAProgramWithExactlyTheFdsSetUpAndItsStatusComesBack(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            for (boolean files : new boolean[] {false, true}) {
                Pipe p = remote.pipe();
                ChildTask child = files ? remote.clone(CloneFlag.FILES) : remote.clone();
                FileDescriptor w = files ? p.write().forTask(child) : child.inheritFd(p.write());
                if (files) {
                    child.unshareFiles();
                }
                w.dup2(child.makeFdHandle(5));
                ChildProcess sleep = child.exec("sleep", List.of("sleep", "1000"));
                assertEquals(child.pid(), sleep.pid());
                // In clock_nanosleep (230): past the dynamic loader's own brief fds.
                Kernel.await("sleep sleeps", CLEANUP, () -> blockedIn(sleep.pid(), 230));
                Map<Integer, String> fds = Kernel.fds("/proc/" + sleep.pid() + "/fd");
                assertEquals(Set.of(0, 1, 2, 5), fds.keySet(), "stdio and fd 5, nothing else (FILES " + files + ")");
                assertEquals(Kernel.fds("/proc/" + remote.pid() + "/fd").get(p.write().number()), fds.get(5));
                sleep.kill(9);
                assertEquals(128 + 9, sleep.waitFor());
                assertTrue(ProcessHandle.of(sleep.pid()).isEmpty(), "reaped by the remote task");
                p.close();
            }
            ChildProcess sh = remote.clone().exec("/bin/sh", List.of("sh", "-c", "exit 3"));
            assertEquals(3, sh.waitFor());
        }
    }

    @BothProviders
    void catRunsOnTheRemoteHostThroughRemotePipes(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            Pipe in = remote.pipe();
            Pipe out = remote.pipe();
            ChildTask child = remote.clone();
            child.inheritFd(in.read()).dup2(child.stdin());
            child.inheritFd(out.write()).dup2(child.stdout());
            ChildProcess cat = child.exec("cat", List.of("cat"));
            in.write().writeAll("hello".getBytes(StandardCharsets.US_ASCII));
            assertEquals("hello", new String(out.read().read(5), StandardCharsets.US_ASCII));
            in.write().close();
            cat.check();
            in.read().close();
            out.close();
        }
    }

    @BothProviders
    void execOfAMissingProgramOnTheRemoteHostRaisesEnoentAndTheChildStillWorks(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            ChildTask child = remote.clone();
            ErrnoException e = assertThrows(ErrnoException.class, () -> child.exec("/no/such/program", List.of("x")));
            assertEquals("ENOENT", e.errnoName());
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "the child still serves");
            child.exit(0);
        }
    }

    @BothProviders
    void aRemoteChildKilledMidCallIsAHangupAndIsReaped(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            ChildTask child = remote.clone();
            Pipe p = child.pipe();
            TestThread reader = TestThread.start("blocked read in a remote child",
                    () -> assertThrows(SyscallHangup.class, () -> p.read().read(1)));
            Kernel.await("the read to block", CLEANUP, () -> blockedIn(child.pid(), 0));
            // A deadline, not a speed assertion: without the sliced wait this call never returns.
            assertEquals(remote.pid(), assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> remote.sysif().syscall(Sys.GETPID)), "the remote task serves meanwhile");
            ProcessHandle.of(child.pid()).ifPresent(ProcessHandle::destroyForcibly);
            reader.join();
            assertThrows(SyscallSendError.class, () -> child.sysif().syscall(Sys.GETPID));
            Kernel.await("the dead child to be reaped", CLEANUP, () -> ProcessHandle.of(child.pid()).isEmpty());
        }
    }

    @BothProviders
    void killingTheSshClientMidCallOnARemoteGrandchildIsAHangupAndLeavesNoProcess(String provider) throws Exception {
        killedMidCall(provider, remote -> remote.connection().ssh().pid());
    }

    @BothProviders
    void killingTheRemoteServerMidCallOnARemoteGrandchildIsAHangupAndLeavesNoProcess(String provider) throws Exception {
        killedMidCall(provider, RemoteTask::pid);
    }

    @BothProviders
    void killingTheSshdSessionMidCallOnARemoteGrandchildIsAHangupAndLeavesNoProcess(String provider) throws Exception {
        killedMidCall(provider, remote -> RemoteFailureTest.parentOf(remote.pid()));
    }

    /**
     * Blocks a read in a grandchild of a remote task, kills the process {@code victim} names, and
     * checks the hangup, that later calls are not sent, and that the ssh client, the sshd session,
     * the remote server and its child and grandchild all end.
     */
    private static void killedMidCall(String provider, RemoteFailureTest.Victim victim) throws Exception {
        RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider));
        List<Long> pids = new ArrayList<>(List.of(remote.connection().ssh().pid(), RemoteFailureTest.parentOf(remote.pid()),
                (long) remote.pid()));
        try {
            ChildTask child = remote.clone();
            ChildTask grandchild = child.clone();
            pids.addAll(List.of((long) child.pid(), (long) grandchild.pid()));
            Pipe p = grandchild.pipe();
            TestThread reader = TestThread.start("blocked read in a remote grandchild",
                    () -> assertThrows(SyscallHangup.class, () -> p.read().read(1)));
            Kernel.await("the read to block", CLEANUP, () -> blockedIn(grandchild.pid(), 0));
            ProcessHandle.of(victim.pid(remote)).ifPresent(ProcessHandle::destroyForcibly);
            reader.join();
            assertThrows(SyscallSendError.class, () -> child.sysif().syscall(Sys.GETPID));
        } finally {
            remote.close();
        }
        for (long pid : pids) {
            Kernel.await("process " + pid + " to end", CLEANUP, () -> Kernel.processEnded(pid));
        }
    }

    @BothProviders
    void anUnreachableRemoteChildIsKilledAndReaped(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            ChildTask child = remote.clone();
            int pid = child.pid();
            List<WeakReference<ChildTask>> ref = List.of(new WeakReference<>(child));
            child = null;
            Kernel.gcUntilCleared(ref);
            Kernel.await("the abandoned remote child is killed and reaped", CLEANUP, () -> ProcessHandle.of(pid).isEmpty());
        }
    }

    @BothProviders
    void newNamespacesForARemoteChildAreRefusedNamingWhy(String provider) throws Exception {
        try (RemoteTask remote = sshd.ssh().connect(Rsyscall.local(provider))) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> remote.clone(CloneFlag.NEWUSER));
            assertTrue(e.getMessage().contains("namespaces there are not supported yet"), e.getMessage());
            ChildTask child = remote.clone();
            assertThrows(UnsupportedOperationException.class, () -> child.clone(CloneFlag.NEWPID));
            child.exit(0);
        }
    }

    /** Whether {@code pid} is in syscall {@code nr} now ({@code /proc/PID/syscall}). */
    static boolean blockedIn(long pid, int nr) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/syscall")).startsWith(nr + " ");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
