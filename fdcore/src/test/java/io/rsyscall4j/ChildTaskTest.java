package io.rsyscall4j;

import static io.rsyscall4j.ChildTestSupport.kernelObjectFds;
import static io.rsyscall4j.ChildTestSupport.link;
import static io.rsyscall4j.fd.OpenFlags.O_CREAT;
import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static io.rsyscall4j.fd.OpenFlags.O_RDWR;
import static io.rsyscall4j.fd.OpenFlags.O_TRUNC;
import static io.rsyscall4j.fd.OpenFlags.O_WRONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FDTableMismatchException;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.SeekWhence;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.io.TempDir;

/**
 * Child tasks through the public API, ported from rsyscall's own tests (test_fd, test_clone,
 * test_cat, test_fs) plus what rsyscall4j promises past them; real processes, checked in /proc.
 */
class ChildTaskTest {
    private static final long JVM_PID = ProcessHandle.current().pid();
    private static final Duration DEADLINE = Duration.ofSeconds(1);
    private static final Duration CLEANUP = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @BothProviders
    void fdGcThroughFilesChildrenClosesEveryDroppedFd(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Path file = Files.writeString(dir.resolve("gc"), "x");
        FileDescriptor fd = local.open(file.toString(), O_RDONLY);
        int first = fd.number();
        List<WeakReference<FileDescriptor>> dropped = new ArrayList<>(List.of(new WeakReference<>(fd)));
        fd = null;
        Kernel.gcUntilCleared(dropped);
        local.runFdTableGc();
        assertNull(Kernel.target(first));

        List<ChildTask> children = new ArrayList<>();
        List<Integer> numbers = new ArrayList<>();
        dropped.clear();
        for (int c = 0; c < 5; c++) {
            ChildTask child = local.clone(CloneFlag.FILES);
            assertSame(local.fdTable(), child.fdTable());
            children.add(child);
            for (int i = 0; i < 50; i++) {
                FileDescriptor f = child.open(file.toString(), O_RDONLY);
                numbers.add(f.number());
                dropped.add(new WeakReference<>(f));
            }
        }
        for (int n : numbers) {
            assertEquals(file.toString(), Kernel.target(n), "open in the shared table: fd " + n);
        }
        Kernel.gcUntilCleared(dropped);
        local.runFdTableGc();
        assertEquals(List.of(), Kernel.fdsUnder(dir), "every fd the children dropped is closed");
        for (ChildTask child : children) {
            child.exit(0);
        }
        FileDescriptor again = local.open(file.toString(), O_RDONLY);
        assertEquals(first, again.number(), "the next open reuses the first number");
        again.close();
    }

    @BothProviders
    void exitEndsAndReapsTheChild(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ChildTask child = local.clone();
        assertEquals("child(" + provider + ")", child.sysif().provider());
        assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
        assertEquals(JVM_PID, child.sysif().syscall(Sys.GETPPID));
        child.exit(0);
        assertTrue(ProcessHandle.of(child.pid()).isEmpty(), "reaped");
        assertThrows(SyscallSendError.class, () -> child.sysif().syscall(Sys.GETPID));
        assertThrows(IllegalStateException.class, () -> child.exit(0));
    }

    @BothProviders
    void nestedChildrenExitInnermostFirst(String provider) throws Exception {
        nestedChainExitsInnermostFirst(Rsyscall.local(provider), 5);
    }

    /**
     * Clones a chain {@code depth} deep below {@code root}, with and without {@link CloneFlag#FILES}
     * in turn, each child's parent its predecessor; then exits them innermost first, each gone at once.
     */
    static void nestedChainExitsInnermostFirst(Task root, int depth) throws Exception {
        List<ChildTask> chain = new ArrayList<>();
        Task parent = root;
        for (int d = 0; d < depth; d++) {
            ChildTask child = parent.clone(d % 2 == 0 ? new CloneFlag[0] : new CloneFlag[] {CloneFlag.FILES});
            assertEquals(parent.pid(), child.sysif().syscall(Sys.GETPPID));
            chain.add(child);
            parent = child;
        }
        for (int i = chain.size() - 1; i >= 0; i--) {
            chain.get(i).exit(0);
            assertTrue(ProcessHandle.of(chain.get(i).pid()).isEmpty());
        }
    }

    @BothProviders
    void twoChildrenExecTrue(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ChildTask one = local.clone();
        ChildTask two = local.clone(CloneFlag.FILES);
        ChildProcess a = one.exec("true", List.of("true"));
        ChildProcess b = two.exec("/bin/true", List.of("true"));
        assertEquals(one.pid(), a.pid());
        a.check();
        b.check();
        assertEquals(0, a.waitFor());
        assertThrows(IllegalStateException.class, () -> one.exec("true", List.of("true")), "a task execs once");
        assertThrows(SyscallSendError.class, () -> two.sysif().syscall(Sys.GETPID));
    }

    @BothProviders
    void aProgramExitingNonZeroFailsCheck(String provider) throws Exception {
        ChildTask child = Rsyscall.local(provider).clone();
        ChildProcess sh = child.exec("/bin/sh", List.of("sh", "-c", "exit 3"));
        ChildProcessFailedException e = assertThrows(ChildProcessFailedException.class, sh::check);
        assertEquals(3, e.status());
        assertEquals(sh.pid(), e.pid());
        assertEquals(3, sh.waitFor());
    }

    @BothProviders
    void aKilledProgramReports128PlusTheSignal(String provider) throws Exception {
        ChildTask child = Rsyscall.local(provider).clone();
        ChildProcess sleep = child.exec("sleep", List.of("sleep", "1000"));
        Kernel.await("sleep runs", CLEANUP, () -> "sleep".equals(ChildTestSupport.status(sleep.pid(), "Name")));
        assertEquals("0000000000000000", ChildTestSupport.status(sleep.pid(), "SigBlk"), "no signal blocked in the program");
        sleep.kill(15);
        assertEquals(128 + 15, sleep.waitFor(), "SIGTERM has its default action in the program");
    }

    @BothProviders
    void catThroughPipes(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Pipe in = local.pipe();
        Pipe out = local.pipe();
        ChildTask child = local.clone();
        child.inheritFd(in.read()).dup2(child.stdin());
        child.inheritFd(out.write()).dup2(child.stdout());
        ChildProcess cat = child.exec("/bin/cat", List.of("cat"));
        in.write().writeAll("hello".getBytes(StandardCharsets.US_ASCII));
        assertEquals("hello", readExactly(out.read(), 5));
        in.write().close();
        cat.check(); // EOF reached cat: the child's copy of the write end was gone at exec
        in.read().close();
        out.read().close();
        out.write().close();
    }

    @BothProviders
    void copyAFileThroughCat(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        byte[] data = new byte[200_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        Path src = Files.write(dir.resolve("src"), data);
        Path dst = dir.resolve("dst");
        FileDescriptor s = local.open(src.toString(), O_RDONLY);
        FileDescriptor d = local.open(dst.toString(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ChildTask child = local.clone();
        child.inheritFd(s).dup2(child.stdin());
        child.inheritFd(d).dup2(child.stdout());
        child.exec("cat", List.of("cat")).check();
        assertArrayEquals(data, Files.readAllBytes(dst));
        s.close();
        d.close();
    }

    @BothProviders
    void onlyHandlesThatExistedAtTheCloneCanBeInherited(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Path file = Files.writeString(dir.resolve("f"), "x");
        FileDescriptor early = local.open(file.toString(), O_RDONLY);
        ChildTask child = local.clone();
        ChildTask grandchild = child.clone();
        FileDescriptor late = local.open(file.toString(), O_RDONLY);
        assertThrows(FDTableMismatchException.class, () -> child.inheritFd(late));
        FileDescriptor inChild = child.inheritFd(early);
        assertEquals(file.toString(), link(child.pid(), inChild.number()));
        FileDescriptor inGrandchild = grandchild.inheritFd(early);
        assertEquals(file.toString(), link(grandchild.pid(), inGrandchild.number()), "inherited transitively");
        assertNotSame(local.fdTable(), child.fdTable());
        assertNotSame(child.fdTable(), grandchild.fdTable());
        grandchild.exit(0);
        child.exit(0);
        early.close();
        late.close();
    }

    @BothProviders
    void forTaskIntoAnotherTableIsRefused(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        FileDescriptor fd = local.open(Files.writeString(dir.resolve("f"), "x").toString(), O_RDONLY);
        ChildTask child = local.clone();
        assertThrows(FDTableMismatchException.class, () -> fd.forTask(child));
        child.exit(0);
        fd.close();
    }

    @BothProviders
    void forTaskIntoAFilesChildThenInvalidatingThereClosesThroughTheChild(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Path file = Files.writeString(dir.resolve("f"), "x");
        FileDescriptor fd = local.open(file.toString(), O_RDONLY);
        int n = fd.number();
        ChildTask child = local.clone(CloneFlag.FILES);
        FileDescriptor there = fd.forTask(child);
        assertFalse(fd.invalidate(), "the child's handle remains");
        assertEquals(file.toString(), Kernel.target(n));
        long sent = child.process().sysif().requestsSent();
        assertTrue(there.invalidate());
        assertEquals(sent + 1, child.process().sysif().requestsSent(), "the close went through the child");
        assertNotEquals(file.toString(), Kernel.target(n));
        child.exit(0);
    }

    @BothProviders
    void anExecdProgramGetsOnlyStdioAndTheFdsSetUpForIt(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        // A JVM fd without close-on-exec, owned by no handle of the child: it must not leak.
        FileDescriptor leaky = local.open(Files.writeString(dir.resolve("leaky"), "x").toString(), O_RDONLY);
        leaky.disableCloexec();
        assertFalse(Kernel.cloexec(leaky.number()));
        for (boolean files : new boolean[] {false, true}) {
            Pipe out = local.pipe();
            ChildTask child;
            FileDescriptor w;
            if (files) {
                child = local.clone(CloneFlag.FILES);
                w = out.write().forTask(child);
                child.unshareFiles(); // fd 1 is the JVM's too until then: a dup2 onto it is refused
            } else {
                child = local.clone();
                w = child.inheritFd(out.write());
            }
            w.dup2(child.stdout());
            ChildProcess ls = child.exec("ls", List.of("ls", "/proc/self/fd"));
            out.write().close();
            String listing = readAll(out.read());
            ls.check();
            assertEquals(List.of("0", "1", "2", "3"), List.of(listing.split("\n")),
                    "fds 0-2 and ls's own directory fd, nothing else (FILES " + files + ")");
            out.read().close();
        }
        assertFalse(Kernel.cloexec(leaky.number()), "the JVM's own table was not touched");
        leaky.close();
    }

    @BothProviders
    void aChildsOwnConnectionLeavesTheLowFdNumbersToTheCaller(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (boolean files : new boolean[] {false, true}) {
            ChildTask child = files ? local.clone(CloneFlag.FILES) : local.clone();
            ChildTask grandchild = child.clone();
            for (ChildTask c : List.of(child, grandchild)) {
                for (FileDescriptor serverFd : c.serverFds()) {
                    int server = serverFd.number();
                    assertTrue(server >= 64, "the connection of " + c + " is at fd " + server + " (FILES " + files + ")");
                    assertEquals("anon_inode:[eventfd]", link(c.pid(), server),
                            "fd " + server + " of pid " + c.pid() + " is the connection");
                }
            }
            grandchild.exit(0);
            child.exit(0);
        }
    }

    @BothProviders
    void anExecdProgramKeepsAnFdWhoseCloexecTheCallerCleared(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (boolean files : new boolean[] {false, true}) {
            Pipe pipe = local.pipe();
            ChildTask child = files ? local.clone(CloneFlag.FILES) : local.clone();
            FileDescriptor w = files ? pipe.write().forTask(child) : child.inheritFd(pipe.write());
            w.disableCloexec();
            int n = w.number();
            // (dash takes single-digit fds only in ">&n"; reopening the fd through /proc works in any sh)
            ChildProcess sh = child.exec("/bin/sh", List.of("sh", "-c", "echo hi > /proc/self/fd/" + n));
            pipe.write().close();
            assertEquals("hi\n", readAll(pipe.read()), "the program wrote to fd " + n + " (FILES " + files + ")");
            sh.check();
            pipe.read().close();
        }
    }

    @BothProviders
    void unshareFilesKeepsTheChildsHandlesAndSeparatesTheTables(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Path mineFile = Files.writeString(dir.resolve("mine"), "");
        Path jvmFile = Files.writeString(dir.resolve("jvm"), "x");
        ChildTask child = local.clone(CloneFlag.FILES);
        FileDescriptor mine = child.open(mineFile.toString(), O_RDWR);
        FileDescriptor jvms = local.open(jvmFile.toString(), O_RDONLY);
        int m = mine.number();
        int j = jvms.number();
        int server = child.serverFds().get(0).number();
        String eventFd = Kernel.target(server);
        assertEquals(jvmFile.toString(), link(child.pid(), j), "shared before");

        child.unshareFiles();

        assertNotSame(local.fdTable(), child.fdTable());
        mine.writeAll("abc".getBytes(StandardCharsets.US_ASCII));
        mine.lseek(0, SeekWhence.SEEK_SET);
        assertEquals("abc", new String(mine.read(10), StandardCharsets.US_ASCII), "the child's handle works");
        assertNull(link(child.pid(), j), "the JVM's fd is gone from the child's table");
        assertEquals(Map.of(0, link(JVM_PID, 0), 1, link(JVM_PID, 1), 2, link(JVM_PID, 2),
                m, mineFile.toString(), server, eventFd), ChildTestSupport.fds(child.pid()),
                "the child's table holds its stdio, its own fd and its server's eventfd: nothing leaked in");
        assertNotEquals(mineFile.toString(), Kernel.target(m), "the child's old copy is closed in the JVM's table");
        assertNotEquals(eventFd, Kernel.target(server), "so is the JVM's copy of the server's eventfd");
        assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
        assertEquals(jvmFile.toString(), Kernel.target(j), "the JVM's own fd is untouched");
        child.exit(0);
        jvms.close();
    }

    @BothProviders
    void afterUnshareFilesTheClosedCopiesCannotBeInherited(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        FileDescriptor jvms = local.open(Files.writeString(dir.resolve("f"), "x").toString(), O_RDONLY);
        for (boolean files : new boolean[] {false, true}) {
            ChildTask child = files ? local.clone(CloneFlag.FILES) : local.clone();
            child.unshareFiles();
            assertNull(link(child.pid(), jvms.number()), "unshare closed the copy nobody in the child owned");
            assertThrows(FDTableMismatchException.class, () -> child.inheritFd(jvms),
                    "so it is not there to inherit (FILES " + files + ")");
            child.exit(0);
        }
        jvms.close();
    }

    @BothProviders
    void aKilledChildFailsItsNextCallPromptlyAndLeavesNoFdInTheParent(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (boolean files : new boolean[] {false, true}) {
            Map<Integer, String> before = kernelObjectFds();
            ChildTask child = files ? local.clone(CloneFlag.FILES) : local.clone();
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
            local.sysif().syscall(Sys.KILL, child.pid(), 9);
            CompletableFuture<Long> next = CompletableFuture.supplyAsync(() -> {
                try {
                    return child.sysif().syscall(Sys.GETPID);
                } catch (SyscallException e) {
                    throw new CompletionException(e);
                }
            });
            Throwable failure = failureWithin(next);
            assertTrue(failure instanceof SyscallHangup || failure instanceof SyscallSendError, failure.toString());
            Kernel.await("the dead child is reaped and its fds closed (FILES " + files + ")", CLEANUP,
                    () -> ProcessHandle.of(child.pid()).isEmpty() && before.equals(kernelObjectFds()));
            assertThrows(IllegalStateException.class, () -> child.exec("true", List.of("true")));
        }
    }

    @BothProviders
    void execOfAMissingProgramRaisesEnoentAndTheChildStillWorks(String provider) throws Exception {
        ChildTask child = Rsyscall.local(provider).clone();
        ErrnoException e = assertThrows(ErrnoException.class, () -> child.exec("/no/such/program", List.of("x")));
        assertEquals("ENOENT", e.errnoName());
        assertEquals(Sys.EXECVE, e.syscall());
        assertTrue(e.getMessage().contains("/no/such/program"), e.getMessage());
        ErrnoException searched = assertThrows(ErrnoException.class,
                () -> child.exec("no-such-program-rsyscall4j", List.of("x")));
        assertEquals("ENOENT", searched.errnoName());
        assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "the child still serves");
        assertEquals("fffffffffffbfeff", ChildTestSupport.status(child.pid(), "SigBlk"), "signals blocked again");
        child.exec("true", List.of("true")).check();
    }

    @BothProviders
    void anUnreachableChildTaskIsKilledAndReaped(String provider) throws Exception {
        // DroppedTaskTest checks FILES children, the fds they owned and those whose handles are held.
        Task local = Rsyscall.local(provider);
        ChildTask child = local.clone();
        int pid = child.pid();
        List<WeakReference<ChildTask>> ref = List.of(new WeakReference<>(child));
        child = null;
        Kernel.gcUntilCleared(ref);
        Kernel.await("the abandoned child is killed and reaped", CLEANUP, () -> ProcessHandle.of(pid).isEmpty());
    }

    @BothProviders
    void aDroppedChildProcessIsReapedWhenItEnds(String provider) throws Exception {
        ChildProcess p = Rsyscall.local(provider).clone().exec("true", List.of("true"));
        long pid = p.pid();
        List<WeakReference<ChildProcess>> ref = List.of(new WeakReference<>(p));
        p = null;
        Kernel.gcUntilCleared(ref);
        Kernel.await("the dropped process is reaped, not left a zombie", CLEANUP, () -> ProcessHandle.of(pid).isEmpty());
    }

    // --- helpers ---

    private static String readExactly(FileDescriptor fd, int n) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < n) {
            byte[] b = fd.read(n - got.size());
            if (b.length == 0) {
                break;
            }
            got.write(b);
        }
        return got.toString(StandardCharsets.US_ASCII);
    }

    static String readAll(FileDescriptor fd) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (byte[] b = fd.read(4096); b.length > 0; b = fd.read(4096)) {
            got.write(b);
        }
        return got.toString(StandardCharsets.US_ASCII);
    }

    private static Throwable failureWithin(CompletableFuture<?> call) throws InterruptedException {
        try {
            call.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("the call did not return within " + DEADLINE, e);
        }
        throw new AssertionError("the call succeeded");
    }
}
