package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static io.rsyscall4j.fd.OpenFlags.O_RDWR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.FaultInjectingSyscallInterface.Fault;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import io.rsyscall4j.fd.SeekWhence;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fault injection: a provider wrapper ({@link FaultInjectingSyscallInterface}) fails the Nth
 * syscall of a lifecycle workload, for every N, with each fault a real task can meet (EINTR, EIO,
 * EMFILE, a hangup, a send error). After each fault the tables must be consistent with the kernel:
 *
 * <ul>
 *   <li><b>still owned</b>: every handle the workload holds is valid, tracked, and its number
 *       still refers, in /proc, to the file (or pipe) it was made for;
 *   <li><b>closed exactly once</b>: once every handle is dropped and collected, no fd of the
 *       workload's files or pipes remains (closed at least once), no close the library issued was
 *       answered EBADF, and fds opened outside rsyscall4j ({@link Sentinels}) are intact (so no
 *       number was closed twice or after the kernel reused it);
 *   <li><b>named</b>: an exception that surfaces names the syscall that failed, its errno, and
 *       the fd or path it was about.
 * </ul>
 */
@SuppressWarnings("try") // a Borrowed is held for its scope, never referenced
class FaultInjectionTest {
    static final Fault[] FAULTS = {Fault.EINTR, Fault.EIO, Fault.EMFILE, Fault.HANGUP, Fault.SEND_ERROR};
    static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    static Stream<Arguments> providersAndFaults() {
        return Stream.of("ffm", "jna").flatMap(p -> Stream.of(FAULTS).map(f -> Arguments.of(p, f)));
    }

    static Stream<Arguments> providersAndCloseErrors() {
        return Stream.of("ffm", "jna").flatMap(p -> Stream.of(Fault.EINTR, Fault.EIO).map(f -> Arguments.of(p, f)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("providersAndFaults")
    void aFaultAtAnyCallOfTheLifecycleLeavesEveryFdClosedOnceOrStillOwned(String provider, Fault fault) throws Exception {
        Task live = Rsyscall.local(provider);
        try (Sentinels sentinels = new Sentinels(live, Files.createDirectories(dir.resolve("sentinels")), 3)) {
            int calls = runOnce(live, sentinels, 0, Fault.NONE);
            assertTrue(calls > 10, "the workload makes syscalls: " + calls);
            int hit = 0;
            for (int n = 1; n <= calls; n++) {
                hit += runOnce(live, sentinels, n, fault) >= 0 ? 1 : 0;
            }
            // A close the reaper takes over goes through another task, so a run may make one call
            // fewer than the clean run and miss a late fault; nearly all must hit.
            assertTrue(hit >= calls - 2, "the fault hit in " + hit + " of " + calls + " runs");
        }
    }

    /**
     * Runs the workload with {@code fault} at call {@code n} (none if 0); returns how many calls it
     * made, or -1 if the fault was armed but never hit.
     */
    private int runOnce(Task live, Sentinels sentinels, int n, Fault fault) throws Exception {
        FaultInjectingSyscallInterface sysif = new FaultInjectingSyscallInterface(live.sysif());
        Task task = Rsyscall.local(sysif);
        Path runDir = Files.createDirectories(dir.resolve("run-" + fault + "-" + n));
        Workload w = new Workload(task, live, sysif, runDir, sentinels);
        boolean missed;
        if (n > 0) {
            sysif.failCall(n, fault);
        }
        try {
            w.run();
            missed = n > 0 && sysif.injected() == null;
            sysif.disarm();
            w.finish();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(fault + " at call " + n + " (" + sysif.injected() + ") failed; steps:\n  "
                    + String.join("\n  ", w.trace), e);
        }
        Reference.reachabilityFence(task);
        return missed ? -1 : sysif.calls();
    }

    /**
     * A lifecycle workload on one local task over the faulty interface, with a second (healthy)
     * task of the same table: open, pipe, I/O, forTask, lseek, dup2, disableCloexec, a put-off close
     * at the end of a borrow, invalidate, close, drop and GC, adopt. Each step that fails with a
     * {@link SyscallException} is checked for naming what failed, and the workload goes on with
     * what it still has.
     */
    private static final class Workload {
        private final Task task;
        private final Task live;
        private final FaultInjectingSyscallInterface sysif;
        private final Path runDir;
        private final Sentinels sentinels;
        /** Each handle the workload holds -> the link target its number must have. */
        private final Map<FileDescriptor, String> held = new IdentityHashMap<>();
        private final Set<String> pipes = new HashSet<>();
        private final List<PhantomReference<FileDescriptor>> dropped = new ArrayList<>();
        final List<String> trace = new ArrayList<>();

        Workload(Task task, Task live, FaultInjectingSyscallInterface sysif, Path runDir, Sentinels sentinels) {
            this.task = task;
            this.live = live;
            this.sysif = sysif;
            this.runDir = runDir;
            this.sentinels = sentinels;
        }

        private String file(String name) throws IOException {
            Path p = runDir.resolve(name);
            Files.writeString(p, name + " contents");
            return p.toRealPath().toString();
        }

        interface Step {
            void run() throws IOException;
        }

        /** Runs one step; a SyscallException it throws must name the injected fault. */
        private void step(String name, Step s) {
            int before = sysif.calls();
            try {
                s.run();
                trace.add(name + " (calls " + (before + 1) + ".." + sysif.calls() + ")");
            } catch (SyscallException e) {
                trace.add(name + " (calls " + (before + 1) + ".." + sysif.calls() + ") -> " + e);
                checkNamed(e);
            } catch (IOException e) {
                throw new AssertionError(name + ": unexpected " + e, e);
            }
            checkConsistent(name);
        }

        private void checkNamed(SyscallException e) {
            FaultInjectingSyscallInterface.Injected inj = sysif.injected();
            if (inj == null) {
                throw new AssertionError("a syscall failed with no fault injected: " + e, e);
            }
            String msg = e.getMessage();
            if (!msg.contains(inj.nr().syscallName())) {
                throw new AssertionError("the exception does not name the failed syscall " + inj.nr().syscallName() + ": " + msg, e);
            }
            if (e instanceof ErrnoException ee) {
                assertEquals(inj.fault().name(), ee.errnoName(), msg);
                if (inj.nr() != Sys.PIPE2 && inj.nr() != Sys.MMAP) {
                    assertNotNull(ee.subject(), "the exception names the fd or path: " + msg);
                    if (inj.nr().firstArgIsFd() && inj.nr() != Sys.CLOSE_RANGE) {
                        assertTrue(ee.subject().contains(Long.toString(inj.args()[0])), "names fd " + inj.args()[0] + ": " + msg);
                    }
                }
            }
        }

        private FileDescriptor hold(FileDescriptor fd, String target) {
            held.put(fd, target);
            return fd;
        }

        private void release(FileDescriptor fd) {
            held.remove(fd);
        }

        private boolean holds(FileDescriptor fd) {
            return fd != null && held.containsKey(fd);
        }

        void run() throws IOException {
            String a = file("a");
            String b = file("b");
            String c = file("c");
            String d = file("d");
            FileDescriptor[] fa = new FileDescriptor[2];
            FileDescriptor[] fb = new FileDescriptor[1];
            FileDescriptor[] fc = new FileDescriptor[2];
            Pipe[] p = new Pipe[1];
            step("open a", () -> fa[0] = hold(task.open(a, O_RDWR), a));
            step("open b", () -> fb[0] = hold(task.open(b, O_RDONLY), b));
            step("pipe", () -> {
                Pipe made = task.pipe();
                String id = Kernel.target(made.read().number());
                pipes.add(id);
                hold(made.read(), id);
                hold(made.write(), id);
                p[0] = made;
            });
            if (p[0] != null) {
                boolean[] written = {false};
                step("write to the pipe", () -> {
                    p[0].write().writeAll("x".getBytes(StandardCharsets.UTF_8));
                    written[0] = true;
                });
                if (written[0]) { // else the read would wait forever
                    step("read from the pipe", () -> p[0].read().read(1));
                }
            }
            if (holds(fa[0])) {
                step("forTask a; lseek a", () -> {
                    fa[1] = hold(fa[0].forTask(live), a);
                    fa[0].lseek(1, SeekWhence.SEEK_SET);
                });
            }
            step("open c", () -> fc[0] = hold(task.open(c, O_RDONLY), c));
            if (holds(fb[0]) && holds(fc[0])) {
                step("dup2 b onto c", () -> {
                    FileDescriptor target = fc[0];
                    fc[1] = fb[0].dup2(target);
                    release(target);
                    hold(fc[1], b);
                });
            }
            if (holds(fc[1])) {
                step("disableCloexec", () -> fc[1].disableCloexec());
            }
            if (p[0] != null) {
                step("invalidate the read end while borrowed (close put off to the borrow's end)", () -> {
                    try (Borrowed br = p[0].read().borrow(task)) {
                        release(p[0].read());
                        p[0].read().invalidate();
                        check(pipes.contains(Kernel.target(br.number())), "the borrowed read end is still open");
                    }
                });
                step("invalidate the write end", () -> {
                    release(p[0].write());
                    p[0].write().invalidate();
                });
            }
            if (holds(fa[0])) {
                step("invalidate a's copy; close a", () -> {
                    release(fa[1]);
                    check(!fa[1].invalidate(), "a's other handle keeps it open");
                    release(fa[0]);
                    fa[0].close();
                });
            }
            if (holds(fb[0])) {
                step("drop b; GC", () -> {
                    release(fb[0]);
                    dropped.add(new PhantomReference<>(fb[0], null));
                    fb[0] = null;
                    Kernel.gcUntilCleared(dropped);
                    task.runFdTableGc();
                });
            }
            FileDescriptor lastC = holds(fc[1]) ? fc[1] : holds(fc[0]) ? fc[0] : null;
            if (lastC != null) {
                step("close c's number", () -> {
                    release(lastC);
                    lastC.close();
                });
            }
            step("adopt an fd opened outside; invalidate it", () -> {
                int raw = rawOpen(live, d);
                FileDescriptor adopted;
                try {
                    adopted = task.makeFdHandle(raw);
                } catch (RuntimeException e) {
                    live.sysif().syscall(Sys.CLOSE, raw);
                    throw e;
                }
                hold(adopted, d);
                checkConsistent("adopted");
                release(adopted);
                adopted.invalidate();
            });
        }

        /** Every held handle is valid, tracked, and its number refers to what it was made for; sentinels intact. */
        void checkConsistent(String after) {
            for (Map.Entry<FileDescriptor, String> e : held.entrySet()) {
                FileDescriptor fd = e.getKey();
                check(fd.isValid(), after + ": held handle " + fd + " is valid");
                check(fd.task().fdTable().handleCount(fd.number()) >= 1, after + ": held handle " + fd + " is tracked");
                String target = Kernel.target(fd.number());
                check(e.getValue().equals(target), after + ": " + fd + " should refer to " + e.getValue()
                        + " but the kernel says " + target);
            }
            sentinels.check(after);
        }

        /** Drops everything, collects, and checks that nothing of the workload is left open. */
        void finish() throws IOException {
            for (FileDescriptor fd : held.keySet()) {
                dropped.add(new PhantomReference<>(fd, null));
            }
            held.clear();
            Kernel.gcUntilCleared(dropped);
            task.runFdTableGc();
            live.runFdTableGc();
            Kernel.await("no fd of the workload left open (the reaper closes what was put back)", DEADLINE, () -> {
                try {
                    live.runFdTableGc();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                return Kernel.fdsOf("/proc/self/fd", runDir, pipes).isEmpty();
            });
            check(sysif.badCloses().isEmpty(), "closes of numbers that were not open (double closes): " + sysif.badCloses());
            sentinels.check("at the end");
        }
    }

    /**
     * unshareFiles under a fault at each of its calls (the unshare itself, the close_range of the
     * copies the task does not own, the GCs): the task ends up in exactly one table — the old one if
     * the unshare did not happen, else its own — with its handle valid and referring to its file
     * there; the JVM's handle is untouched; once the unshare happened, the JVM's copy of the task's
     * fd is closed; and nothing is left open once the handles are closed.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("providersAndFaults")
    void aFaultAtAnyCallOfUnshareFilesLeavesTheTaskInOneTableWithItsHandles(String provider, Fault fault) throws Exception {
        Task live = Rsyscall.local(provider);
        try (Sentinels sentinels = new Sentinels(live, Files.createDirectories(dir.resolve("sentinels")), 3)) {
            int calls = unshareOnce(live, sentinels, 0, Fault.NONE);
            assertTrue(calls >= 3, "unshare, close_range, ...: " + calls);
            for (int n = 1; n <= calls; n++) {
                unshareOnce(live, sentinels, n, fault);
            }
        }
    }

    private int unshareOnce(Task live, Sentinels sentinels, int n, Fault fault) throws Exception {
        FaultInjectingSyscallInterface sysif = new FaultInjectingSyscallInterface(live.sysif());
        Path runDir = Files.createDirectories(dir.resolve("unshare-" + fault + "-" + n));
        Path xf = runDir.resolve("x");
        Files.writeString(xf, "x");
        Path sf = runDir.resolve("s");
        Files.writeString(sf, "s");
        String x = xf.toRealPath().toString();
        String s = sf.toRealPath().toString();
        String what = fault + " at call " + n + " of unshareFiles";
        int calls;
        try (ThreadTask t = ThreadTask.inJvmTable(Rsyscall.local(sysif))) {
            FileDescriptor xfd = t.open(x, O_RDONLY);
            FileDescriptor shared = live.open(s, O_RDONLY);
            int start = sysif.calls();
            if (n > 0) {
                sysif.failCall(n, fault);
            }
            SyscallException failed = null;
            try {
                t.unshareFiles();
            } catch (SyscallException e) {
                failed = e;
                assertNotNull(sysif.injected(), what + ": " + e);
                assertTrue(e.getMessage().contains(sysif.injected().nr().syscallName()), what + ": names the syscall: " + e);
            }
            sysif.disarm();
            calls = sysif.calls() - start;
            FaultInjectingSyscallInterface.Injected inj = sysif.injected();
            String context = what + " (" + inj + ", threw " + failed + ")";
            assertFalse(t.isManipulatingFdTable(), context);
            boolean moved = t.fdTable() != live.fdTable();
            assertTrue(xfd.isValid(), context);
            assertEquals(1, t.fdTable().handleCount(xfd.number()), context + ": tracked in the task's table");
            assertEquals(x, Kernel.target(t.tid(), xfd.number()), context + ": the task's fd in its kernel table");
            assertEquals(s, Kernel.target(shared.number()), context + ": the JVM's handle is untouched");
            if (moved) {
                assertFalse(live.fdTable().isTracked(xfd.number()) && live.fdTable().handleCount(xfd.number()) > 0,
                        context + ": the old table no longer holds the task's handle");
                Kernel.await(context + ": the JVM's copy of the task's fd is closed", DEADLINE,
                        () -> !x.equals(Kernel.target(xfd.number())));
                // A close_range that could not be sent or hung up stops the closing (a real task would
                // be dead, its new table with it); this thread task lives on with the copies.
                boolean copiesMayStay = inj != null && inj.nr() == Sys.CLOSE_RANGE
                        && (inj.fault() == Fault.HANGUP || inj.fault() == Fault.SEND_ERROR);
                if (!copiesMayStay) {
                    assertNotEquals(s, Kernel.target(t.tid(), shared.number()), context + ": the copy it does not own is closed");
                }
            } else {
                assertNotNull(failed, what + ": the task stayed in the JVM's table only because the unshare failed");
            }
            sentinels.check(context);
            assertTrue(sysif.badCloses().isEmpty(), context + ": " + sysif.badCloses());
            xfd.close();
            shared.close();
            assertEquals(Map.of(), Kernel.fdsOf("/proc/self/fd", runDir, Set.of()), context + ": nothing left in the JVM");
            Map<Integer, String> left = Kernel.fdsOf("/proc/self/task/" + t.tid() + "/fd", runDir, Set.of());
            if (moved) {
                left.values().remove(s); // a copy left by a close_range that never ran: the thread's exit closes it
            }
            assertEquals(Map.of(), left, context + ": nothing left in the task's table");
        }
        return calls;
    }

    static int rawOpen(Task through, String path) throws SyscallException {
        byte[] c = (path + "\0").getBytes(StandardCharsets.UTF_8);
        try (ScratchBuffer b = FdInternals.scratch(through.addressSpace(), through.sysif())) {
            b.write(0, c, 0, c.length);
            return (int) through.sysif().syscall(Sys.OPENAT, -100, b.address(), O_RDONLY | io.rsyscall4j.fd.OpenFlags.O_CLOEXEC, 0);
        }
    }

    /** The ways a number gets closed: close(), invalidate(), the end of a borrow, GC. */
    enum ClosePath { CLOSE, INVALIDATE, BORROW_END, GC }

    static Stream<Arguments> providersCloseErrorsAndPaths() {
        return providersAndCloseErrors().flatMap(a -> Stream.of(ClosePath.values())
                .map(path -> Arguments.of(a.get()[0], a.get()[1], path)));
    }

    /**
     * Never retry close: on Linux the fd is released even when close reports EINTR or EIO, so its
     * number may already belong to another file. Each close path, failing so, leaves the number
     * untracked; the number, reused by a new open, stays open through every GC that follows. Runs
     * in a thread task with a table of its own, so every close of that table — the reaper's too —
     * goes through the faulty interface and is counted.
     */
    @ParameterizedTest(name = "{0}, {1}, {2}")
    @MethodSource("providersCloseErrorsAndPaths")
    void aCloseFailingWithEintrOrEioIsNotRetriedAndItsNumberIsForgotten(String provider, Fault fault, ClosePath path)
            throws IOException {
        Task live = Rsyscall.local(provider);
        FaultInjectingSyscallInterface sysif = new FaultInjectingSyscallInterface(live.sysif());
        Path f = dir.resolve("closing");
        Files.writeString(f, "closing");
        Path g = dir.resolve("reusing");
        Files.writeString(g, "reusing");
        String fTarget = f.toRealPath().toString();
        String gTarget = g.toRealPath().toString();
        try (ThreadTask task = ThreadTask.withCopiedTable(Rsyscall.local(sysif))) {
            FileDescriptor[] fd = {task.open(f.toString(), O_RDONLY)};
            int n = fd[0].number();
            sysif.failCall(1, fault);
            switch (path) {
                case CLOSE -> {
                    ErrnoException e = assertThrows(ErrnoException.class, fd[0]::close);
                    assertEquals(fault.name(), e.errnoName());
                    assertTrue(e.getMessage().startsWith("close(" + n + ")"), e.getMessage());
                }
                case INVALIDATE -> {
                    ErrnoException e = assertThrows(ErrnoException.class, fd[0]::invalidate);
                    assertEquals(fault.name(), e.errnoName());
                    assertTrue(e.getMessage().startsWith("close(" + n + ")"), e.getMessage());
                }
                case BORROW_END -> {
                    try (Borrowed b = fd[0].borrow(task)) {
                        assertTrue(fd[0].invalidate(), "the last handle went; the close waits for the borrow");
                        assertEquals(0, sysif.closeAttempts(n));
                    }
                    // the failure is logged: the end of a borrow has no caller to tell
                }
                case GC -> {
                    PhantomReference<FileDescriptor> ref = new PhantomReference<>(fd[0], null);
                    fd[0] = null;
                    Kernel.gcUntilCleared(List.of(ref));
                    try {
                        task.runFdTableGc();
                    } catch (ErrnoException e) {
                        assertEquals(fault.name(), e.errnoName());
                        assertTrue(e.getMessage().contains(Integer.toString(n)), e.getMessage());
                    }
                    // else the reaper took the batch first (through the same task), and logged the error
                }
            }
            FaultInjectingSyscallInterface.Injected inj = sysif.injected();
            assertNotNull(inj, "the close failed");
            assertTrue(inj.ran() && (inj.nr() == Sys.CLOSE || inj.nr() == Sys.CLOSE_RANGE), inj.toString());
            assertEquals(1, sysif.closeAttempts(n), "one close attempt");
            assertFalse(task.fdTable().isTracked(n), "the number is not tracked after a failed close");
            assertNotEquals(fTarget, Kernel.target(task.tid(), n), "the kernel released the fd");
            // The kernel hands out the lowest free number: n, to the next open.
            FileDescriptor reused = task.open(g.toString(), O_RDONLY);
            assertEquals(n, reused.number(), "the number was handed out again");
            task.runFdTableGc();
            System.gc();
            task.runFdTableGc();
            assertEquals(gTarget, Kernel.target(task.tid(), n), "fd " + n + ", reused, was not closed by a retry");
            assertEquals(1, sysif.closeAttempts(n), "the failed close was never retried");
            assertTrue(sysif.badCloses().isEmpty(), sysif.badCloses().toString());
            reused.close();
            assertEquals(2, sysif.closeAttempts(n), "the reused fd's own close");
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
