package io.rsyscall4j;

import static io.rsyscall4j.ChildTestSupport.await;
import static io.rsyscall4j.ChildTestSupport.getInt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared-memory transport's commit point, staged deterministically: a request the child took
 * (the server stored its number in the mailbox's taken word) is a hangup when the child dies, one
 * it never took a send error; both with each real provider.
 */
class MailboxTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final int SIGSTOP = 19;

    static List<SyscallInterface> providers() {
        return ChildTestSupport.providers().toList();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aRequestTheChildTookIsAHangupWhenItDies(SyscallInterface local) throws Exception {
        for (boolean files : new boolean[] {false, true}) {
            ClonedChild child = Spawner.cloneLocal(local, files);
            long taken = child.stack().base() + Mailbox.TAKEN;
            int before = getInt(local, taken);
            // poll(NULL, 0, -1): blocks until a signal, so the child is certainly inside the request.
            CompletableFuture<Long> pending = CompletableFuture.supplyAsync(() -> call(child.sysif(), Sys.POLL, 0, 0, -1));
            await("the server took the request", DEADLINE, () -> getInt(local, taken) != before);
            local.syscall(Sys.KILL, child.pid(), SIGSTOP);
            child.kill(Linux.SIGKILL);
            Throwable failure = failureOf(pending);
            assertSame(SyscallHangup.class, failure.getClass(), "it took the request, which may have run: " + failure);
            assertInstanceOf(SyscallSendError.class, assertThrowsSyscall(child.sysif()), "later calls are not sent");
            assertEquals(128 + 9, child.waitFor());
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aRequestTheChildNeverTookIsASendErrorWhenItDies(SyscallInterface local) throws Exception {
        for (boolean files : new boolean[] {false, true}) {
            ClonedChild child = Spawner.cloneLocal(local, files);
            long taken = child.stack().base() + Mailbox.TAKEN;
            int before = getInt(local, taken);
            local.syscall(Sys.KILL, child.pid(), SIGSTOP);
            await("the child is stopped", DEADLINE, () -> ChildTestSupport.status(child.pid(), "State").startsWith("T"));
            long sent = child.sysif().requestsSent();
            CompletableFuture<Long> pending = CompletableFuture.supplyAsync(() -> call(child.sysif(), Sys.GETPID));
            await("the request is posted", DEADLINE, () -> child.sysif().requestsSent() > sent);
            child.kill(Linux.SIGKILL);
            Throwable failure = failureOf(pending);
            assertInstanceOf(SyscallSendError.class, failure, "the stopped child never took it: it did not run");
            assertEquals(before, getInt(local, taken), "the taken word is unchanged");
            assertEquals(128 + 9, child.waitFor());
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aPipelineUntilErrorStopsAtItsFirstFailure(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, false);
        int fd = (int) child.sysif().syscall(Sys.EVENTFD2, 0, 0);
        // close(-1) fails: the close of fd after it must not run, in this batch and the next round.
        List<SyscallRequest> calls = new java.util.ArrayList<>(List.of(SyscallRequest.of(Sys.GETPID),
                SyscallRequest.of(Sys.CLOSE, -1), SyscallRequest.of(Sys.CLOSE, fd)));
        long[] results = child.sysif().pipelineUntilError(calls);
        assertEquals(child.pid(), results[0]);
        assertEquals(-9, results[1], "EBADF");
        assertEquals(0, child.sysif().syscall(Sys.FCNTL, fd, Linux.F_GETFD), "fd is still open");
        for (int i = 0; i < ChildSyscallInterface.MAX_PIPELINE; i++) {
            calls.add(0, SyscallRequest.of(Sys.GETPID));
        }
        results = child.sysif().pipelineUntilError(calls);
        assertEquals(-9, results[ChildSyscallInterface.MAX_PIPELINE + 1], "EBADF, in the second round");
        assertEquals(0, child.sysif().syscall(Sys.FCNTL, fd, Linux.F_GETFD), "fd is still open");
        // The same requests without the stop: the close of fd runs.
        child.sysif().pipeline(calls);
        io.rsyscall4j.api.ErrnoException closed = org.junit.jupiter.api.Assertions.assertThrows(
                io.rsyscall4j.api.ErrnoException.class, () -> child.sysif().syscall(Sys.FCNTL, fd, Linux.F_GETFD));
        assertEquals("EBADF", closed.errnoName(), "without the stop, fd was closed");
        child.kill(Linux.SIGKILL);
        assertEquals(128 + 9, child.waitFor());
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aPipelineTheChildTookIsAnsweredInOrderAndItsExitIsAHangup(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, true);
        List<SyscallRequest> many = new java.util.ArrayList<>();
        for (int i = 0; i < Mailbox.MAX_BATCH * 2 + 5; i++) {
            many.add(i % 2 == 0 ? SyscallRequest.of(Sys.GETPID) : SyscallRequest.of(Sys.CLOSE, -1));
        }
        long[] results = ((ChildSyscallInterface) child.sysif()).pipeline(many);
        for (int i = 0; i < results.length; i++) {
            assertEquals(i % 2 == 0 ? child.pid() : -9 /* EBADF */, results[i], "request " + i);
        }
        try {
            child.sysif().pipeline(List.of(SyscallRequest.of(Sys.GETPID), SyscallRequest.of(Sys.EXIT, 3)));
            throw new AssertionError("exit answered");
        } catch (SyscallHangup expected) {
            // the batch was taken, and its exit ran
        }
        assertEquals(3, child.waitFor());
    }

    private static long call(SyscallInterface sysif, Sys nr, long... args) {
        try {
            return sysif.syscall(nr, args);
        } catch (SyscallException e) {
            throw new CompletionException(e);
        }
    }

    private static Throwable assertThrowsSyscall(SyscallInterface sysif) {
        try {
            sysif.syscall(Sys.GETPID);
        } catch (SyscallException e) {
            return e;
        }
        throw new AssertionError("getpid answered");
    }

    private static Throwable failureOf(CompletableFuture<?> call) throws InterruptedException {
        try {
            call.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the call did not end when the child died");
        }
        throw new AssertionError("the call answered");
    }
}
