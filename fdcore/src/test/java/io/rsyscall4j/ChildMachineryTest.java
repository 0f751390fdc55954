package io.rsyscall4j;

import static io.rsyscall4j.ChildTestSupport.assertNothingAdded;
import static io.rsyscall4j.ChildTestSupport.await;
import static io.rsyscall4j.ChildTestSupport.eventFdId;
import static io.rsyscall4j.ChildTestSupport.eventFdNumbers;
import static io.rsyscall4j.ChildTestSupport.getInt;
import static io.rsyscall4j.ChildTestSupport.kernelObjectFds;
import static io.rsyscall4j.ChildTestSupport.link;
import static io.rsyscall4j.ChildTestSupport.onVirtualThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The child machinery on its own (phase 1 of child tasks): spawning with the shipped machine code,
 * the socket protocol, nested children, fd table sharing, death detection, signals. Every test runs
 * with each real provider as the JVM's provider.
 */
class ChildMachineryTest {
    private static final long JVM_PID = ProcessHandle.current().pid();
    private static final Duration DEADLINE = Duration.ofSeconds(1);
    private static final int SIGTERM = 15;
    private static final int SIGINT = 2;
    private static final int SIGHUP = 1;
    private static final int SIGSTOP = 19;
    private static final int SCHED_IDLE = 5;

    static List<SyscallInterface> providers() {
        return ChildTestSupport.providers().toList();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void childAnswersGetpidWithItsOwnPidAndIsAChildOfTheJvm(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, false);
        try {
            long pid = child.sysif().syscall(Sys.GETPID);
            assertEquals(child.pid(), pid);
            assertNotEquals(JVM_PID, pid);
            assertEquals(JVM_PID, child.sysif().syscall(Sys.GETPPID));
            assertEquals(String.valueOf(JVM_PID), ChildTestSupport.status(pid, "PPid"));
            assertEquals("child(" + local.provider() + ")", child.sysif().provider());
        } finally {
            exit(child);
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void exitEndsTheChildWithItsStatusAndFreesItsStack(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, true);
        long stackTop = child.stack().ctidAddress() + ChildStack.SIZE;
        assertThrows(SyscallHangup.class, () -> child.sysif().syscall(Sys.EXIT, 7));
        assertEquals(7, child.waitFor());
        assertEquals(7, child.waitFor());
        assertFalse(ProcessHandle.of(child.pid()).isPresent(), "reaped");
        SpareRegions.release(); // a stack given back is kept for the next child until then
        String maps = Files.readString(Path.of("/proc/self/maps"));
        String top = Long.toHexString(stackTop) + " ";
        assertFalse(maps.contains("-" + top), "the child's stack mapping was given back, then unmapped");
        assertThrows(SyscallSendError.class, () -> child.sysif().syscall(Sys.GETPID));
    }

    @ParameterizedTest
    @MethodSource("providers")
    void errorsOfTheChildsKernelAreErrnoExceptions(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, false);
        try {
            ErrnoException e = assertThrows(ErrnoException.class, () -> child.sysif().syscall(Sys.CLOSE, 1_000_000));
            assertEquals("EBADF", e.errnoName());
            assertEquals(Sys.CLOSE, e.syscall());
            assertEquals("close(1000000): EBADF (Bad file descriptor)", e.getMessage());
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "still serving after an error");
        } finally {
            exit(child);
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aChildsServerMakesGrandchildrenAndTheyNest(SyscallInterface local) throws Exception {
        for (boolean files : new boolean[] {false, true}) {
            ClonedChild child = Spawner.cloneLocal(local, files);
            ClonedChild grandchild = Spawner.cloneFrom(local, child, files, false, 0);
            ClonedChild greatGrandchild = Spawner.cloneFrom(local, grandchild, !files, false, 0);
            try {
                assertEquals(grandchild.pid(), grandchild.sysif().syscall(Sys.GETPID));
                assertEquals(child.pid(), grandchild.sysif().syscall(Sys.GETPPID));
                assertEquals(greatGrandchild.pid(), greatGrandchild.sysif().syscall(Sys.GETPID));
                assertEquals(grandchild.pid(), greatGrandchild.sysif().syscall(Sys.GETPPID));
                assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "the parent still serves");
                assertEquals("child(" + local.provider() + ")", grandchild.sysif().provider());
            } finally {
                exit(greatGrandchild);
                exit(grandchild);
                exit(child);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void killingAChildKillsItsChildren(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, false);
        ClonedChild grandchild = Spawner.cloneFrom(local, child, false, false, 0);
        child.kill(Linux.SIGKILL);
        assertEquals(128 + 9, child.waitFor());
        // PR_SET_PDEATHSIG: the grandchild dies with its parent, and init reaps it.
        assertEquals(128 + 9, grandchild.waitFor());
        assertThrows(SyscallSendError.class, () -> grandchild.sysif().syscall(Sys.GETPID));
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aFilesChildSeesFdsTheJvmOpensAfterTheClone(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, true);
        long fds = ChildTestSupport.page(local);
        try {
            local.syscall(Sys.PIPE2, fds, 0x80000);
            int r = getInt(local, fds);
            int w = getInt(local, fds + 4);
            String pipe = link(JVM_PID, r);
            assertTrue(pipe.startsWith("pipe:"), pipe);
            assertEquals(pipe, link(child.pid(), r));
            assertEquals(pipe, link(child.pid(), w));
            // and the child can use it: write through the child, read in the JVM
            ChildTestSupport.putString(local, fds + 64, "hi");
            assertEquals(2, child.sysif().syscall(Sys.WRITE, w, fds + 64, 2));
            assertEquals(2, local.syscall(Sys.READ, r, fds + 128, 2));
            local.syscall(Sys.CLOSE, r);
            local.syscall(Sys.CLOSE, w);
        } finally {
            ChildTestSupport.unmap(local, fds);
            exit(child);
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aChildWithItsOwnTableSeesOnlyWhatExistedAtTheClone(SyscallInterface local) throws Exception {
        long fds = ChildTestSupport.page(local);
        local.syscall(Sys.PIPE2, fds, 0x80000);
        int before = getInt(local, fds);
        ClonedChild child = Spawner.cloneLocal(local, false);
        try {
            assertEquals(link(JVM_PID, before), link(child.pid(), before), "inherited at the clone");
            local.syscall(Sys.PIPE2, fds + 8, 0x80000);
            int after = getInt(local, fds + 8);
            String pipe = link(JVM_PID, after);
            assertNotEquals(pipe, link(child.pid(), after));
            assertFalse(ChildTestSupport.fds(child.pid()).containsValue(pipe));
            // The child holds only its own number of the connection's eventfd, not the JVM's copy
            // (which a virtual thread's call fetches), and no pidfd. (Every eventfd links to
            // "anon_inode:[eventfd]": fdinfo's id tells them apart.)
            String id = eventFdId(child.pid(), child.serverFd());
            assertNotNull(id, "the server's number is an eventfd");
            assertEquals(java.util.Set.of(), eventFdNumbers(JVM_PID, id),
                    "no copy in the JVM before a virtual thread calls");
            assertEquals(child.pid(), onVirtualThread(child.sysif(), Sys.GETPID));
            assertEquals(1, eventFdNumbers(JVM_PID, id).size(), "the JVM holds its copy");
            assertEquals(java.util.Set.of(child.serverFd()), eventFdNumbers(child.pid(), id),
                    "the child holds its server's number and not the JVM's");
            assertNull(link(child.pid(), child.pidfd()), "the clone's pidfd is in the JVM's table only");
            for (int n : new int[] {before, getInt(local, fds + 4), after, getInt(local, fds + 12)}) {
                local.syscall(Sys.CLOSE, n);
            }
        } finally {
            ChildTestSupport.unmap(local, fds);
            exit(child);
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aKilledChildFailsTheNextCallPromptly(SyscallInterface local) throws Exception {
        for (boolean files : new boolean[] {false, true}) {
            Map<Integer, String> before = kernelObjectFds();
            ClonedChild child = Spawner.cloneLocal(local, files);
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
            child.kill(Linux.SIGKILL);
            CompletableFuture<Long> next = CompletableFuture.supplyAsync(() -> call(child.sysif(), Sys.GETPID));
            Throwable failure = failureWithin(next);
            assertTrue(failure instanceof SyscallHangup || failure instanceof SyscallSendError, failure.toString());
            assertEquals(128 + 9, child.waitFor());
            assertNothingAdded(before, "no fd left behind");
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aCallPendingInAChildThatIsKilledHangsUpPromptly(SyscallInterface local) throws Exception {
        for (boolean files : new boolean[] {false, true}) {
            long fds = ChildTestSupport.page(local);
            local.syscall(Sys.PIPE2, fds, 0x80000);
            int r = getInt(local, fds);
            int w = getInt(local, fds + 4);
            ClonedChild child = Spawner.cloneLocal(local, files);
            try {
                CompletableFuture<Long> read = CompletableFuture.supplyAsync(
                        () -> call(child.sysif(), Sys.READ, r, fds + 64, 1));
                await("the child blocks reading the pipe", Duration.ofSeconds(10), () -> inSyscall(child.pid(), 0, r));
                child.kill(Linux.SIGKILL);
                assertInstanceOf(SyscallHangup.class, failureWithin(read));
                assertEquals(128 + 9, child.waitFor());
            } finally {
                local.syscall(Sys.CLOSE, r);
                local.syscall(Sys.CLOSE, w);
                ChildTestSupport.unmap(local, fds);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void terminationSignalsSentToTheChildDoNotReachTheJvm(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, true);
        try {
            assertEquals("fffffffffffbfeff", ChildTestSupport.status(child.pid(), "SigBlk"),
                    "every signal blocked but SIGKILL and SIGSTOP, which cannot be");
            for (int sig : new int[] {SIGTERM, SIGINT, SIGHUP}) {
                local.syscall(Sys.KILL, child.pid(), sig);
            }
            // Pending, not delivered: neither the child nor (through its handlers) the JVM acts on them.
            long pending = Long.parseUnsignedLong(ChildTestSupport.status(child.pid(), "ShdPnd"), 16);
            long expected = (1L << (SIGTERM - 1)) | (1L << (SIGINT - 1)) | (1L << (SIGHUP - 1));
            assertEquals(expected, pending & expected);
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "the child still serves");
            assertTrue(ProcessHandle.current().isAlive());
        } finally {
            child.kill(Linux.SIGKILL);
            assertEquals(128 + 9, child.waitFor());
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void callsFromManyThreadsEachGetTheirOwnAnswer(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, true);
        long names = ChildTestSupport.page(local);
        ChildTestSupport.putString(local, names, "rsyscall4j-test");
        int threads = 6;
        int[] memfds = new int[threads];
        try {
            for (int t = 0; t < threads; t++) {
                memfds[t] = (int) local.syscall(Sys.MEMFD_CREATE, names, 1);
            }
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int fd = memfds[t];
                all.add(CompletableFuture.runAsync(() -> {
                    for (int k = 1; k <= 300; k++) {
                        long at = call(child.sysif(), Sys.LSEEK, fd, k * 7L + fd, 0);
                        assertEquals(k * 7L + fd, at);
                    }
                }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } finally {
            for (int fd : memfds) {
                if (fd > 0) {
                    local.syscall(Sys.CLOSE, fd);
                }
            }
            ChildTestSupport.unmap(local, names);
            exit(child);
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aRequestTheChildNeverReadIsASendErrorWhenItDies(SyscallInterface local) throws Exception {
        for (boolean files : new boolean[] {false, true}) {
            ClonedChild child = Spawner.cloneLocal(local, files);
            local.syscall(Sys.KILL, child.pid(), SIGSTOP);
            await("the child is stopped", Duration.ofSeconds(10),
                    () -> ChildTestSupport.status(child.pid(), "State").startsWith("T"));
            long sent = child.sysif().requestsSent();
            CompletableFuture<Long> pending = CompletableFuture.supplyAsync(() -> call(child.sysif(), Sys.GETPID));
            await("the request is posted", Duration.ofSeconds(10), () -> child.sysif().requestsSent() > sent);
            child.kill(Linux.SIGKILL);
            Throwable failure = failureWithin(pending);
            assertInstanceOf(SyscallSendError.class, failure, "the stopped child never read it: it did not run");
            assertTrue(failure.getMessage().contains("died before reading it"), failure.getMessage());
            assertEquals(128 + 9, child.waitFor());
        }
    }

    /**
     * The race the taken word is for: a request wakes the child, and a SIGKILL comes before the
     * child runs. The server, woken in {@code futex_wait}, dies before it stores the request's
     * number in the taken word, so the call is a send error (a hangup would leave a close that
     * never ran, and its fd leaked). To
     * make the child wait between the wake-up and the kill, it is made {@code SCHED_IDLE} on a CPU
     * kept busy by a spinning thread (an idle-policy task never preempts it, and waits for its
     * time slice to end), while the caller and the killer share another CPU: the kill comes
     * microseconds after the request, the child's turn a time slice later. Should the child run
     * first all the same, it answers, and the attempt is repeated with a new child. (With one CPU
     * only, everything shares it and the race may never be struck; a hangup still fails the test.)
     */
    @ParameterizedTest
    @MethodSource("providers")
    void aChildKilledWhileARequestWakesItDiesWithTheRequestUnreadInThePipe(SyscallInterface local)
            throws Exception {
        long mem = ChildTestSupport.page(local);
        byte[] old = new byte[128];
        local.syscall(Sys.SCHED_GETAFFINITY, 0, 128, mem);
        local.readMemory(mem, old, 0, 128);
        java.util.BitSet allowed = java.util.BitSet.valueOf(old);
        int callerCpu = allowed.nextSetBit(0);
        int childCpu = allowed.length() - 1;
        long callerMask = mem + 128;
        long childMask = mem + 136;
        long param = mem + 144; // struct sched_param {int sched_priority = 0}
        local.writeMemory(callerMask, cpuMask(callerCpu), 0, 8);
        local.writeMemory(childMask, cpuMask(childCpu), 0, 8);
        local.writeMemory(param, new byte[8], 0, 8);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean hogging = new AtomicBoolean();
        assertNotEquals(callerCpu, childCpu, "the race needs two CPUs: the caller's and the busy one the child waits on");
        TestThread hog = null;
        int sendErrors = 0;
        try {
            local.syscall(Sys.SCHED_SETAFFINITY, 0, 8, callerMask);
            hog = TestThread.start("rsyscall4j-test-hog", () -> {
                local.syscall(Sys.SCHED_SETAFFINITY, 0, 8, childMask);
                hogging.set(true);
                while (!stop.get()) {
                    Thread.onSpinWait();
                }
            });
            await("the hog spins on CPU " + childCpu, Duration.ofSeconds(10), hogging::get);
            for (int attempt = 0; attempt < 8 && sendErrors < 2; attempt++) {
                ClonedChild child = Spawner.cloneLocal(local, attempt % 2 == 1);
                local.syscall(Sys.SCHED_SETAFFINITY, child.pid(), 8, childMask);
                local.syscall(Sys.SCHED_SETSCHEDULER, child.pid(), SCHED_IDLE, param);
                assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "the child serves on CPU " + childCpu);
                await("the child waits for a request", Duration.ofSeconds(10),
                        () -> ChildTestSupport.status(child.pid(), "State").startsWith("S"));
                long sent = child.sysif().requestsSent();
                TestThread killer = TestThread.start("rsyscall4j-test-killer", () -> {
                    local.syscall(Sys.SCHED_SETAFFINITY, 0, 8, callerMask);
                    while (child.sysif().requestsSent() == sent) {
                        Thread.onSpinWait();
                    }
                    local.syscall(Sys.KILL, child.pid(), Linux.SIGKILL);
                });
                try {
                    assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
                    // the child ran before the kill: try again
                } catch (SyscallSendError expected) {
                    sendErrors++;
                } catch (SyscallHangup e) {
                    throw new AssertionError("attempt " + attempt + ": the killed child took the request with it", e);
                }
                killer.join();
                child.kill(Linux.SIGKILL);
                assertEquals(128 + 9, child.waitFor());
            }
        } finally {
            stop.set(true);
            if (hog != null) {
                hog.join();
            }
            local.syscall(Sys.SCHED_SETAFFINITY, 0, 128, mem);
            ChildTestSupport.unmap(local, mem);
        }
        assertTrue(sendErrors > 0, "the kill struck between a request's arrival and the child's run");
    }

    /** A CPU mask of 64 bits with only {@code cpu} set. */
    private static byte[] cpuMask(int cpu) {
        return java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(1L << cpu).array();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void closingTheConnectionEndsAChildEvenWhileAnotherTableHoldsCopiesOfItsFds(SyscallInterface local)
            throws Exception {
        // A sibling cloned later without FILES gets a copy of every fd of the JVM, the first
        // child's eventfd among them. The exit request in the mailbox ends the first all the same.
        ClonedChild first = Spawner.cloneLocal(local, false);
        assertEquals(first.pid(), onVirtualThread(first.sysif(), Sys.GETPID)); // the JVM takes its copy of the eventfd
        ClonedChild sibling = Spawner.cloneLocal(local, false);
        try {
            java.util.Set<Integer> jvmEnds = eventFdNumbers(JVM_PID, eventFdId(first.pid(), first.serverFd()));
            assertEquals(1, jvmEnds.size(), "the JVM's copy");
            int jvmEnd = jvmEnds.iterator().next();
            assertEquals(eventFdId(JVM_PID, jvmEnd), eventFdId(sibling.pid(), jvmEnd), "the sibling holds a copy");
            first.sysif().close();
            CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> {
                try {
                    return first.waitFor();
                } catch (SyscallException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            assertEquals(0, status.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS), "the server read exit(0)");
        } finally {
            exit(sibling);
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void closingTheConnectionEndsEvenAFilesChild(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, true);
        child.sysif().close();
        assertEquals(0, child.waitFor(), "the server read the exit request and exited");
        assertThrows(SyscallSendError.class, () -> child.sysif().syscall(Sys.GETPID));
    }

    @ParameterizedTest
    @MethodSource("providers")
    void anExecIsSeenThroughTheClearedFutexWordEvenWhenTheSocketStaysOpen(SyscallInterface local) throws Exception {
        // A FILES child keeps its socket end in the JVM's table, so exec gives no EOF; and the
        // program (sleep) does not end, so the pidfd stays quiet. Only the CLEARTID word tells.
        ClonedChild child = Spawner.cloneLocal(local, true);
        long mem = ChildTestSupport.page(local);
        try {
            ChildTestSupport.putString(local, mem + 256, "/bin/sleep");
            ChildTestSupport.putString(local, mem + 512, "sleep");
            ChildTestSupport.putString(local, mem + 768, "1000");
            long[] argv = {mem + 512, mem + 768, 0};
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (long p : argv) {
                b.putLong(p);
            }
            local.writeMemory(mem, b.array(), 0, 24);
            CompletableFuture<Long> exec = CompletableFuture.supplyAsync(
                    () -> call(child.sysif(), Sys.EXECVE, mem + 256, mem, mem + 64));
            assertInstanceOf(SyscallHangup.class, failureWithin(exec));
            assertTrue(child.stack().childDone());
            await("the child runs sleep", Duration.ofSeconds(10),
                    () -> "sleep".equals(ChildTestSupport.status(child.pid(), "Name")));
            assertThrows(SyscallSendError.class, () -> child.sysif().syscall(Sys.GETPID));
        } finally {
            child.kill(Linux.SIGKILL);
            assertEquals(128 + 9, child.waitFor());
            ChildTestSupport.unmap(local, mem);
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void cloningFromAGoneChildFailsToSendAndLeaksNothing(SyscallInterface local) throws Exception {
        Map<Integer, String> before = kernelObjectFds();
        ClonedChild child = Spawner.cloneLocal(local, false);
        child.kill(Linux.SIGKILL);
        assertEquals(128 + 9, child.waitFor());
        assertThrows(SyscallSendError.class, () -> Spawner.cloneFrom(local, child, false, false, 0));
        assertNothingAdded(before, "a clone from a gone child");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void twoHundredChildrenUnderGcLoadLeaveNothingBehind(SyscallInterface local) throws Exception {
        Map<Integer, String> before = kernelObjectFds();
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Long> churn = CompletableFuture.supplyAsync(() -> {
            long rounds = 0;
            while (!stop.get()) {
                List<byte[]> garbage = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    garbage.add(new byte[1024 + i]);
                }
                if (++rounds % 20 == 0) {
                    System.gc(); // full collections too, not only young ones
                }
            }
            return rounds;
        });
        try {
            for (int i = 0; i < 200; i++) {
                ClonedChild child = Spawner.cloneLocal(local, i % 2 == 0);
                assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
                if (i % 10 == 0) {
                    ClonedChild grandchild = Spawner.cloneFrom(local, child, i % 20 == 0, false, 0);
                    assertEquals(grandchild.pid(), grandchild.sysif().syscall(Sys.GETPID));
                    grandchild.kill(Linux.SIGKILL);
                    assertEquals(128 + 9, grandchild.waitFor());
                }
                child.kill(Linux.SIGKILL);
                assertEquals(128 + 9, child.waitFor());
            }
        } finally {
            stop.set(true);
        }
        assertTrue(churn.get(60, TimeUnit.SECONDS) > 0);
        assertNothingAdded(before, "200 children killed under GC load");
    }

    // --- helpers ---

    /**
     * A child whose parent dies between the clone and the trampoline's {@code PR_SET_PDEATHSIG}
     * would never get that signal and could serve forever, outliving the JVM. The trampoline checks
     * that its parent is still the one the cloner named, and exits without serving if not. Staged
     * here by naming a parent no process can be (no pid is that high): the child must end at once,
     * its waiting request unread and unanswered.
     */
    @ParameterizedTest
    @MethodSource("providers")
    void aChildWhoseParentIsNotTheExpectedOneExitsWithoutServing(SyscallInterface local) throws Exception {
        ChildCode code = ChildCode.load(local);
        ChildStack stack = ChildStack.allocate(local);
        long scratch = stack.scratch();
        long sp = stack.prepare(code.trampoline(), Integer.MAX_VALUE, -1);
        Mailbox mailbox = new Mailbox(local, stack.base(), ServerEventFd.NONE, -1);
        mailbox.encode(0, Sys.GETPID, new long[0]);
        int seq = mailbox.post(1, false);
        long flags = Linux.CLONE_VM | Linux.CLONE_PIDFD | Linux.CLONE_CHILD_CLEARTID | Linux.SIGCHLD;
        long pid = local.callFunction(code.spawn(), flags, sp, stack.ptidAddress(), stack.ctidAddress(), 0,
                Sys.CLONE.number());
        assertTrue(pid > 0, "clone: " + pid);
        int pidfd = stack.ptid();
        try {
            await("the orphaned child exits", DEADLINE, stack::childDone);
            local.syscall(Sys.WAITID, 3 /* P_PIDFD */, pidfd, scratch, 4 /* WEXITED */, 0);
            assertEquals(1, getInt(local, scratch + 8), "CLD_EXITED");
            assertEquals(0, getInt(local, scratch + 24), "exit status");
            assertFalse(mailbox.taken(seq), "the request was never taken");
            assertFalse(mailbox.idle(), "nothing was answered");
        } finally {
            local.syscall(Sys.CLOSE, pidfd);
            stack.free();
        }
    }

    private static void exit(ClonedChild child) throws SyscallException {
        if (child.sysif().isConnected()) {
            assertThrows(SyscallHangup.class, () -> child.sysif().syscall(Sys.EXIT, 0));
        }
        child.waitFor();
    }

    private static long call(SyscallInterface sysif, Sys nr, long... args) {
        try {
            return sysif.syscall(nr, args);
        } catch (SyscallException e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    /** The exception {@code call} fails with, which must come before the deadline. */
    private static Throwable failureWithin(CompletableFuture<?> call) throws InterruptedException {
        try {
            call.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the call did not return within " + DEADLINE, e);
        }
        throw new AssertionError("the call succeeded");
    }

    /**
     * Whether process {@code pid} is blocked in syscall {@code nr} on fd {@code fd}
     * (/proc/pid/syscall: the number, then the arguments in hex). The fd matters: an idle
     * server is blocked in read(2) too, on its socket.
     */
    private static boolean inSyscall(long pid, int nr, int fd) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/syscall")).trim();
            return s.startsWith(nr + " 0x" + Integer.toHexString(fd) + " ");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
