package io.rsyscall4j;

import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.util.List;

/**
 * How syscalls reach the server of a child task, and what every way of reaching it guarantees.
 *
 * <p><b>Outcomes.</b> A call returns the kernel's result (an {@code ErrnoException} for -errno),
 * or raises {@link SyscallSendError} when the request certainly did not run (the child was gone
 * before it took it: safe to redo elsewhere, e.g. a close through another task), or
 * {@link SyscallHangup} when the child stopped answering after it took the request, which may
 * have run (for {@code exit} and {@code execve}, that means it did). After either, the
 * connection is gone: every later call raises {@link SyscallSendError} at once, and
 * {@link #goneReason} says why.
 *
 * <p><b>Death is seen, never waited out.</b> A pending call returns promptly when the child exits,
 * dies or execs, whatever else holds copies of its fds.
 *
 * <p><b>Threads.</b> Calls from several Java threads are serialised: one batch is in flight at a
 * time. A virtual thread never holds its carrier while it waits for an answer.
 *
 * <p><b>Memory.</b> {@link #readMemory} and {@link #writeMemory} reach the child's address space,
 * which is that of {@link #local()}: every child shares its cloner's ({@code CLONE_VM}), so pointer
 * arguments are addresses there and need no copying.
 *
 * <p><b>On another host</b> ({@link RemoteChildren}), {@link #local()} is the remote task's
 * connection: the same rules hold, but every wait the JVM would make in its own process (for an
 * answer, for a process to end) runs in the remote task's server, in slices of at most
 * {@link RemoteConnection#WAIT_SLICE_NANOS}, so that a call blocked in one child holds that
 * server for one slice at a time, and never locks out the calls of other threads. A connection
 * that fails under a call is a hangup (or a send error if the request never left), and the
 * child, which dies with the remote server, is gone.
 */
interface ChildTransport extends SyscallInterface {

    /** Whether {@code raw}, a raw result of a batch, is -errno (-4095..-1), the kernel's way to fail. */
    static boolean isErrno(long raw) {
        return raw < 0 && raw >= -4095;
    }

    /**
     * Sends {@code requests} back to back and returns their raw results in order (-4095..-1 is
     * -errno; nothing is thrown for those), exactly as if sent one at a time, at the cost of one
     * round trip per batch. If the child stops answering part way, the answers are lost with the
     * exception (a hangup once the child took the batch).
     */
    long[] pipeline(List<SyscallRequest> requests) throws SyscallException;

    /**
     * {@link #pipeline}, but the child stops at the first request that fails: those after it do
     * not run, and their results are not meaningful. So a batch can end with a request (an
     * {@code execve}) that must run only if all before it succeeded.
     */
    long[] pipelineUntilError(List<SyscallRequest> requests) throws SyscallException;

    /**
     * Sends {@code requests} (one batch) and gives the connection up to them: their answers are
     * never read, and every later call fails to send. For a child left running requests that block
     * until something happens ({@link JvmDeathGuard}'s guardian).
     */
    void sendAndAbandon(List<SyscallRequest> requests) throws SyscallException;

    /**
     * Ends the connection: every later call fails to send, and a server that is idle is told to
     * exit. Returns once no call holds the connection (a call pending on a live child is not cut
     * short). Idempotent.
     */
    void close() throws SyscallException;

    /**
     * Runs {@code action} once, on the thread that first sees the child gone (after that call has
     * released the connection), or right away if it already has been seen gone.
     */
    void onGone(Runnable action);

    /** Why the child stopped answering, or null while it answers. */
    String goneReason();

    /** Whether calls can still reach the child (as far as the JVM has seen). */
    boolean isConnected();

    /** How many requests were sent to the child so far (for tests: which task made a call). */
    long requestsSent();

    /** The child's pid, for messages. */
    int pid();

    /** The interface of the address space the child runs in, which carries the connection. */
    SyscallInterface local();

    /**
     * Whether {@code local} runs syscalls in the JVM's own process, so that the JVM's fast paths
     * apply to children cloned through it (calling into its memory, parking virtual threads on its
     * fds, spinning): every provider but a task reached through a transport or on another host
     * does.
     */
    static boolean inJvm(SyscallInterface local) {
        return !(local instanceof ChildTransport) && !(local instanceof RemoteConnection);
    }
}
