package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.SIGKILL;
import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FDTableMismatchException;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.InvalidHandleException;
import io.rsyscall4j.fd.SeekWhence;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Children dying at random points: while the test runs a sequence of operations on a child (and
 * sometimes its own child), a killer thread SIGKILLs it from outside at a random moment. Every call
 * returns within {@value #CALL_LIMIT_MS} ms (a deadline, not a speed assertion) — before the kill
 * with its result, after it with {@link SyscallHangup}, {@link SyscallSendError} or a refusal
 * naming the dead child; the JVM's own handles stay valid on their files; the fds the dead child
 * owned in a table shared with the JVM are closed through another task of the table; and once
 * everything is dropped the JVM's fd table is exactly as before (no fd, socket, pipe or pidfd
 * leaked) and the child is reaped.
 */
class ChildDeathTest {
    static final long CALL_LIMIT_MS = 1000;
    static final int ITERATIONS = 25;
    static final int OPS = 24;
    static final Duration CLEANUP = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    static Stream<Arguments> providersAndTables() {
        return Stream.of("ffm", "jna").flatMap(p -> Stream.of(Arguments.of(p, true), Arguments.of(p, false)));
    }

    @ParameterizedTest(name = "{0}, FILES {1}")
    @MethodSource("providersAndTables")
    void childrenKilledAtRandomPointsNeverHangACallAndLeaveNothingBehind(String provider, boolean files) throws Exception {
        Task local = Rsyscall.local(provider);
        long seed = (provider.hashCode() * 31L) + (files ? 1 : 0);
        Random rnd = new Random(seed);
        int calls = 0;
        int failedAfterKill = 0;
        int leftByHangups = 0;
        try (Deadline deadline = new Deadline(Duration.ofMillis(CALL_LIMIT_MS))) {
            for (int i = 0; i < ITERATIONS; i++) {
                // Connections of children dropped by earlier tests or iterations may go meanwhile.
                Map<Integer, String> earlier = FdSnapshot.childConnections(FdSnapshot.take());
                Iteration it = new Iteration(local, files, rnd, deadline, Files.createDirectories(dir.resolve("i" + i)), earlier);
                try {
                    it.run();
                    calls += it.calls;
                    failedAfterKill += it.failedAfterKill;
                    leftByHangups += it.mayLeak.left.size();
                } catch (Throwable e) {
                    throw new AssertionError("iteration " + i + " (seed " + seed + ") failed; steps:\n  "
                            + String.join("\n  ", it.trace), e);
                }
            }
        }
        // Kills strike at random points of 24 steps: across 25 children some strike mid-run.
        assertTrue(failedAfterKill > 0, "no call failed after a kill: no kill struck while the children were in use");
        System.out.println("child death (" + provider + ", FILES " + files + "): " + ITERATIONS + " children killed at random points, "
                + calls + " calls within " + CALL_LIMIT_MS + " ms each (" + failedAfterKill + " failed after the kill), "
                + leftByHangups + " fds left by calls that hung up after running");
    }

    private static final class Iteration {
        private final Task local;
        private final boolean files;
        private final Random rnd;
        private final Deadline deadline;
        private final Path dir;
        final List<String> trace = new ArrayList<>();
        private final AtomicBoolean killed = new AtomicBoolean();
        private final AtomicInteger progress = new AtomicInteger();
        /** Set once the child or grandchild unshared: forTask to the JVM and inheriting the JVM's fd may be refused then. */
        private boolean unshared;
        /** Handles the JVM's task owns (in the JVM's table) -> their file: they must outlive the child. */
        private final Map<FileDescriptor, String> jvmSide = new IdentityHashMap<>();
        /** Handles of the child (or grandchild) to files, and to pipe ends. */
        private final List<FileDescriptor> childSide = new ArrayList<>();
        private final List<FileDescriptor> childPipes = new ArrayList<>();
        private final List<PhantomReference<FileDescriptor>> dropped = new ArrayList<>();
        /** The tasks the JVM's fd was inherited into so far. */
        private final Set<ChildTask> inheritedInto = new HashSet<>();
        /**
         * What a call that hung up may have left in a table shared with the JVM: the file an open
         * was opening, a pipe, the pidfd of a clone. A hangup means the call was sent and the child
         * died before answering: it may have run, and then its new fd's number is lost with the
         * answer (rsyscall's rule too). Nothing else may be left.
         */
        final MayLeak mayLeak;
        int calls;
        int failedAfterKill;
        private int nextFile;

        Iteration(Task local, boolean files, Random rnd, Deadline deadline, Path dir, Map<Integer, String> earlier) {
            this.mayLeak = new MayLeak(earlier);
            this.local = local;
            this.files = files;
            this.rnd = rnd;
            this.deadline = deadline;
            this.dir = dir;
        }

        private String file() throws IOException {
            Path p = dir.resolve("f" + nextFile++);
            Files.writeString(p, "contents of " + p.getFileName());
            return p.toRealPath().toString();
        }

        void run() throws Exception {
            Map<Integer, String> before = FdSnapshot.take();
            String jvmPath = file();
            FileDescriptor jvmFd = local.open(jvmPath, O_RDONLY);
            jvmSide.put(jvmFd, jvmPath);
            ChildTask child = local.clone(files ? new CloneFlag[] {CloneFlag.FILES} : new CloneFlag[0]);
            ChildTask[] grandchild = {null};
            int killAt = rnd.nextInt(OPS);
            long spinNanos = rnd.nextInt(400_000);
            int childPid = child.pid();
            trace.add("clone " + (files ? "FILES" : "own table") + " -> pid " + childPid + "; kill after op " + killAt
                    + " + " + spinNanos / 1000 + " µs");
            TestThread killer = TestThread.start("rsyscall4j-test-killer", () -> {
                while (progress.get() < killAt) {
                    LockSupport.parkNanos(20_000);
                }
                LockSupport.parkNanos(spinNanos);
                killed.set(true);
                local.sysif().syscall(Sys.KILL, childPid, SIGKILL);
            });
            for (int op = 0; op < OPS; op++) {
                progress.set(op);
                ChildTask target = grandchild[0] != null && rnd.nextBoolean() ? grandchild[0] : child;
                step(op, target, child, grandchild, jvmFd);
                checkJvmSide("after op " + op);
            }
            progress.set(OPS);
            killer.join();
            // A later call sees the death, promptly.
            awaitDeathSeen(child);
            if (grandchild[0] != null) {
                awaitDeathSeen(grandchild[0]);
            }
            checkJvmSide("after the death was seen");
            // The dead child's handles: invalidating them returns (their fds are closed elsewhere, or gone with the table).
            for (FileDescriptor fd : childSide) {
                deadline.call("invalidate " + fd + " of the dead child", fd::invalidate);
            }
            for (FileDescriptor fd : childPipes) {
                deadline.call("invalidate " + fd + " of the dead child", fd::invalidate);
            }
            childPipes.clear();
            for (Map.Entry<FileDescriptor, String> e : jvmSide.entrySet()) {
                e.getKey().invalidate();
            }
            childSide.clear();
            jvmSide.clear();
            awaitReleased(child);
            if (grandchild[0] != null) {
                awaitReleased(grandchild[0]);
            }
            finish(before, childPid, grandchild[0] == null ? -1 : grandchild[0].pid());
            if (!mayLeak.left.isEmpty()) {
                trace.add("left by calls that hung up: " + mayLeak.left);
            }
        }

        /** In a frame of its own, so the handles this method made are unreachable once it returns. */
        private void finish(Map<Integer, String> before, int childPid, int grandchildPid) {
            Kernel.gcUntilCleared(dropped);
            awaitUnchanged(local, before, mayLeak, "nothing of the dead child is left");
            Kernel.await("the child is reaped", CLEANUP, () -> ProcessHandle.of(childPid).isEmpty());
            if (grandchildPid > 0) {
                Kernel.await("the grandchild has ended", CLEANUP, () -> Kernel.processEnded(grandchildPid));
            }
        }

        private void step(int op, ChildTask target, ChildTask child, ChildTask[] grandchild, FileDescriptor jvmFd) throws Exception {
            int r = rnd.nextInt(100);
            String what;
            Deadline.Step call;
            List<FileDescriptor> mine = new ArrayList<>();
            for (FileDescriptor fd : childSide) {
                if (fd.task() == target && fd.isValid()) {
                    mine.add(fd);
                }
            }
            FileDescriptor some = mine.isEmpty() ? null : mine.get(rnd.nextInt(mine.size()));
            if (r < 22 || some == null) {
                String path = file();
                what = "open " + Path.of(path).getFileName() + " in " + target.pid();
                call = () -> childSide.add(target.open(path, O_RDONLY));
            } else if (r < 34 && files) {
                what = "forTask fd " + some.number() + " of " + target.pid() + " to the JVM";
                call = () -> jvmSide.put(some.forTask(local), ChildTestSupport.link(ProcessHandle.current().pid(), some.number()));
            } else if (r < 34) {
                what = "inherit the JVM's fd " + jvmFd.number() + " into " + target.pid();
                call = () -> childSide.add(target.inheritFd(jvmFd));
            } else if (r < 46) {
                what = "lseek and read fd " + some.number() + " of " + target.pid();
                call = () -> {
                    some.lseek(0, SeekWhence.SEEK_SET);
                    byte[] got = some.read(8);
                    check(new String(got, StandardCharsets.UTF_8).startsWith("contents"), "read its file: " + new String(got, StandardCharsets.UTF_8));
                };
            } else if (r < 58) {
                what = "invalidate fd " + some.number() + " of " + target.pid();
                call = () -> {
                    childSide.remove(some);
                    String file = Kernel.target(some.number());
                    some.invalidate();
                    closeMayHaveHungUp(file);
                };
            } else if (r < 64) {
                what = "drop fd " + some.number() + " of " + target.pid();
                call = () -> {
                    childSide.remove(some);
                    dropped.add(new PhantomReference<>(some, null));
                };
            } else if (r < 67 && !childPipes.isEmpty()) {
                FileDescriptor end = childPipes.remove(rnd.nextInt(childPipes.size()));
                what = "invalidate pipe end " + end.number() + " of " + end.task().pid();
                call = () -> {
                    end.invalidate();
                    closeMayHaveHungUp("pipe:");
                };
            } else if (r < 72) {
                what = "runFdTableGc in " + target.pid();
                call = target::runFdTableGc;
            } else if (r < 82) {
                what = "pipe in " + target.pid() + ", write and read through it";
                call = () -> {
                    Pipe p = target.pipe();
                    childPipes.add(p.read());
                    childPipes.add(p.write());
                    p.write().writeAll("x".getBytes(StandardCharsets.UTF_8));
                    check(p.read().read(1).length == 1, "read back");
                };
            } else if (r < 90) {
                what = "getpid in " + target.pid();
                call = () -> check(target.sysif().syscall(Sys.GETPID) == target.pid(), "the child's own pid");
            } else if (r < 95) {
                what = "unshareFiles in " + target.pid();
                call = () -> {
                    unshared = true;
                    target.unshareFiles();
                };
            } else if (grandchild[0] == null) {
                what = "clone a grandchild from " + child.pid();
                call = () -> grandchild[0] = child.clone(files ? new CloneFlag[] {CloneFlag.FILES} : new CloneFlag[0]);
            } else {
                what = "dup2 in " + target.pid();
                FileDescriptor src = some;
                call = () -> {
                    FileDescriptor targetFd = target.open(file(), O_RDONLY);
                    childSide.add(targetFd);
                    FileDescriptor result = src.dup2(targetFd);
                    childSide.remove(targetFd);
                    childSide.add(result);
                };
            }
            calls++;
            try {
                deadline.run(what, call);
                trace.add(op + ": " + what);
                if (what.startsWith("inherit")) {
                    inheritedInto.add(target);
                }
            } catch (ErrnoException e) {
                trace.add(op + ": " + what + " -> " + e);
                // The JVM takes its copies of a grandchild's fds from the parent with pidfd_getfd:
                // a parent that died meanwhile answers ESRCH.
                check(killed.get() && e.syscall() == Sys.PIDFD_GETFD && e.errno() == Errno.ESRCH,
                        what + " failed: " + e);
            } catch (FDTableMismatchException e) {
                trace.add(op + ": " + what + " -> " + e);
                // forTask to the JVM fails once the child left its table (unshare, or death); an
                // inherit also when the child closed its copy of the JVM's fd before a grandchild's
                // clone (the stateful fuzz checks those rules exactly).
                check(unshared || killed.get() || mayRefuseInherit(what, target, child),
                        what + ": refused though no table changed: " + e);
            } catch (SyscallHangup | SyscallSendError | IllegalStateException e) {
                trace.add(op + ": " + what + " -> " + e);
                if (e instanceof SyscallHangup && files) {
                    mayLeak.hungUp(what, e.getMessage(), dir);
                }
                if (e instanceof InvalidHandleException) {
                    throw new AssertionError(what + ": a handle the test believed valid: " + e, e);
                }
                check(killed.get(), what + " failed before the child was killed: " + e);
                failedAfterKill++;
                if (e instanceof IllegalStateException) {
                    check(e.getMessage().contains("child task"), what + ": names the dead child: " + e.getMessage());
                }
            }
        }

        /**
         * A close through a FILES child that the kill struck meanwhile hangs up without a word (it
         * may not have run, and is not retried): its fd, {@code file} in the JVM's table, may stay.
         */
        private void closeMayHaveHungUp(String file) {
            if (files && killed.get()) {
                mayLeak.mayRemain(file);
            }
        }

        /**
         * Whether inheriting the JVM's fd into {@code target} may be refused with no table changed:
         * only once a copy of it was claimed in the target's table (closing that claim closes the
         * copy), or, for the grandchild, in its parent's before (the grandchild then copied the
         * child's table without it).
         */
        private boolean mayRefuseInherit(String what, ChildTask target, ChildTask child) {
            return what.startsWith("inherit") && (inheritedInto.contains(target) || inheritedInto.contains(child));
        }

        private void awaitDeathSeen(ChildTask t) throws Exception {
            long end = System.nanoTime() + CLEANUP.toNanos();
            while (true) {
                try {
                    deadline.call("getpid in the killed child " + t.pid(), () -> t.sysif().syscall(Sys.GETPID));
                } catch (SyscallHangup | SyscallSendError seen) {
                    return;
                }
                // Answered: the SIGKILL has not struck yet.
                check(System.nanoTime() - end < 0, "child " + t.pid() + " still answers long after SIGKILL");
            }
        }

        private void checkJvmSide(String when) {
            for (Map.Entry<FileDescriptor, String> e : jvmSide.entrySet()) {
                check(e.getKey().isValid(), when + ": the JVM's " + e.getKey() + " is valid");
                check(e.getValue().equals(Kernel.target(e.getKey().number())), when + ": the JVM's " + e.getKey()
                        + " refers to " + e.getValue() + ", not " + Kernel.target(e.getKey().number()));
            }
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(what);
            }
        }
    }

    /**
     * A FILES child killed while it clones a grandchild: the connection's eventfd and the grandchild's
     * pidfd the clone makes live in the JVM's table, so none of them may be left there, whichever
     * step the kill interrupts. (Made through the dying parent, they were.)
     */
    @BothProviders
    void aFilesChildKilledWhileCloningLeavesNothingInTheJvm(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Random rnd = new Random(provider.hashCode());
        try (Deadline deadline = new Deadline(Duration.ofMillis(CALL_LIMIT_MS))) {
            for (int i = 0; i < 60; i++) {
                Map<Integer, String> before = FdSnapshot.take();
                MayLeak mayLeak = new MayLeak(FdSnapshot.childConnections(before));
                ChildTask child = local.clone(CloneFlag.FILES);
                int pid = child.pid();
                long delay = rnd.nextInt(300_000);
                TestThread killer = TestThread.start("rsyscall4j-test-killer", () -> {
                    LockSupport.parkNanos(delay);
                    local.sysif().syscall(Sys.KILL, pid, SIGKILL);
                });
                List<ChildTask> grandchildren = new ArrayList<>();
                try {
                    while (true) {
                        boolean files = rnd.nextBoolean();
                        grandchildren.add(deadline.call("clone from child " + pid,
                                () -> child.clone(files ? new CloneFlag[] {CloneFlag.FILES} : new CloneFlag[0])));
                    }
                } catch (SyscallHangup | SyscallSendError | IllegalStateException dead) {
                    // the kill struck
                    if (dead instanceof SyscallHangup) {
                        mayLeak.hungUp("clone", dead.getMessage(), dir);
                    }
                } catch (ErrnoException e) {
                    assertEquals(Errno.ESRCH, e.errno(), e.toString());
                }
                killer.join();
                for (ChildTask g : grandchildren) {
                    Kernel.await("grandchild " + g.pid() + " has ended", CLEANUP, () -> Kernel.processEnded(g.pid()));
                    // A later call sees the death.
                    Exception seen = assertThrows(SyscallException.class, () -> g.sysif().syscall(Sys.GETPID),
                            "grandchild " + g.pid() + " answered after it ended");
                    assertTrue(seen instanceof SyscallHangup || seen instanceof SyscallSendError, seen.toString());
                }
                awaitReleased(child);
                for (ChildTask g : grandchildren) {
                    awaitReleased(g);
                }
                int made = grandchildren.size();
                grandchildren.clear();
                awaitUnchanged(local, before, mayLeak, "iteration " + i + " (" + made + " grandchildren made before the kill after "
                        + delay / 1000 + " µs)");
            }
        }
    }

    /** Waits until the dead child is reaped and everything it held (its pidfd among them) released. */
    static void awaitReleased(ChildTask child) {
        // The child was killed: waitFor reaps it and releases what it held.
        assertTimeoutPreemptively(CLEANUP, () -> child.process().waitFor(), "child " + child.pid() + " reaped and released");
    }

    static void awaitUnchanged(Task local, Map<Integer, String> before, MayLeak mayLeak, String what) {
        try {
            Kernel.await("the JVM's fd table is exactly as before", CLEANUP, () -> {
                System.gc();
                try {
                    local.runFdTableGc();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                return mayLeak.explains(before, FdSnapshot.read());
            });
        } catch (AssertionError e) {
            FdSnapshot.assertUnchanged(before, mayLeak.mayGo, what + " (calls that hung up may have left: " + mayLeak + ")");
        }
    }

    /**
     * The fds a call that hung up in a child sharing the JVM's table may have left there: the
     * answer, with the new fd's number, died with the child. Counted, and allowed only for the
     * kind of object that call makes.
     */
    static final class MayLeak {
        private final List<String> paths = new ArrayList<>();
        private int pipes;
        private int eventFds;
        private int pidfds;
        final List<String> left = new ArrayList<>();
        /**
         * Child connections open when this iteration began: those of children that earlier tests or
         * iterations dropped (a clone whose answer was lost makes a child nobody holds) may be
         * closed meanwhile, once a GC finds their tasks unreachable.
         */
        final Map<Integer, String> mayGo;

        MayLeak(Map<Integer, String> mayGo) {
            this.mayGo = mayGo;
        }

        void hungUp(String what, String message, Path dir) {
            if (message.startsWith("openat:")) {
                // the test names each open "open fN in PID"
                String name = what.startsWith("open ") ? what.substring(5, what.indexOf(' ', 5))
                        : what.startsWith("dup2") ? "*" : null;
                if (name != null) {
                    paths.add(name.equals("*") ? dir.toString() + "/" : dir.resolve(name).toString());
                }
            } else if (message.startsWith("pipe2:")) {
                pipes += 2;
            } else if (message.startsWith("clone:") && message.contains("stopped answering")) {
                // the new child's connection (an eventfd, at two numbers), left when no child was seen
                // to exit, or its pidfd
                pidfds++;
                eventFds += 2;
            }
        }

        /** A close that may have hung up unseen: its fd ({@code target}, a path or {@code pipe:}) may stay. */
        void mayRemain(String target) {
            if (target == null) {
                return;
            }
            if (target.startsWith("pipe:")) {
                pipes++;
            } else {
                paths.add(target);
            }
        }

        /** Whether {@code now} is {@code before} plus only what the hung-up calls may have left. */
        boolean explains(Map<Integer, String> before, Map<Integer, String> now) {
            Map<Integer, String> added = new java.util.TreeMap<>(now);
            added.entrySet().removeAll(before.entrySet());
            Map<Integer, String> gone = new java.util.TreeMap<>(before);
            gone.entrySet().removeAll(now.entrySet());
            gone.entrySet().removeAll(mayGo.entrySet());
            if (!gone.isEmpty()) {
                return false;
            }
            int p = 0;
            int e = 0;
            int d = 0;
            for (String target : added.values()) {
                if (target.startsWith("pipe:")) {
                    p++;
                } else if (target.startsWith("anon_inode:[eventfd]")) {
                    e++;
                } else if (target.startsWith("anon_inode:[pidfd]")) {
                    d++;
                } else if (paths.stream().noneMatch(target::startsWith)) {
                    return false;
                }
            }
            if (p > pipes || e > eventFds || d > pidfds) {
                return false;
            }
            left.clear();
            left.addAll(added.values());
            return true;
        }

        @Override
        public String toString() {
            return paths + ", " + pipes + " pipe ends, " + eventFds + " eventfds, " + pidfds + " pidfds";
        }
    }

    /**
     * The seed's hangup rule, past rsyscall for send errors too: a FILES child is killed while it
     * alone owns an fd in the JVM's table; invalidating that handle (or dropping it) must not throw,
     * and the fd is closed through another task of the table.
     */
    @BothProviders
    void anFdWhoseClosingTaskDiedIsClosedThroughAnotherTaskOfTheTable(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (boolean drop : new boolean[] {false, true}) {
            ChildTask child = local.clone(CloneFlag.FILES);
            Path f = Files.writeString(dir.resolve("owned-" + drop), "x");
            String target = f.toRealPath().toString();
            FileDescriptor[] owned = {child.open(target, O_RDONLY)};
            int n = owned[0].number();
            assertEquals(target, Kernel.target(n));
            local.sysif().syscall(Sys.KILL, child.pid(), 9);
            Kernel.await("the child has ended", CLEANUP, () -> Kernel.processEnded(child.pid()));
            try (Deadline deadline = new Deadline(Duration.ofMillis(CALL_LIMIT_MS))) {
                if (drop) {
                    PhantomReference<FileDescriptor> ref = new PhantomReference<>(owned[0], null);
                    owned[0] = null;
                    Kernel.gcUntilCleared(List.of(ref));
                    deadline.run("runFdTableGc through the JVM's task", local::runFdTableGc);
                } else {
                    assertTrue(deadline.call("invalidate through the dead child", owned[0]::invalidate),
                            "the last handle went: the close is committed");
                }
            }
            Kernel.await("fd " + n + " closed through another task of the table", CLEANUP,
                    () -> !target.equals(Kernel.target(n)));
            assertNotEquals(target, Kernel.target(n));
        }
    }
}
