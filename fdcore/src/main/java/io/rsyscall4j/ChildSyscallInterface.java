package io.rsyscall4j;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs syscalls inside a child task that shares its cloner's memory, through a {@link Mailbox}
 * in the child's {@link ChildStack}: requests and answers are plain stores to memory both see,
 * each side spinning a little on the other's word before it sleeps in a futex (the rules every
 * transport keeps are {@link ChildTransport}'s).
 *
 * <p><b>How each outcome is told.</b> The server stores a batch's number in the mailbox's taken
 * word before it runs anything of it; the kernel clears the answer word when the child exits,
 * dies or execs. So a waiting call that sees the answer word cleared raises
 * {@link SyscallSendError} if the taken word does not hold its batch (nothing of it ran: a child
 * killed, or stopped then killed, before taking it) and {@link SyscallHangup} if it does (it may
 * have run; for {@code exit} and {@code execve} it did). An answer stored before the death still
 * counts. Nothing depends on who else holds copies of the child's fds.
 *
 * <p><b>Pointer arguments</b> need no copying: the child shares the address space of
 * {@link #local()} ({@code CLONE_VM}), so {@link #readMemory} and {@link #writeMemory} go straight
 * to it. After a successful {@code execve} the child has a new address space, but then it also has
 * no syscall server, and every call fails.
 *
 * <p><b>Ending.</b> {@link #close} posts an {@code exit} request to an idle server, which ends it
 * however many copies of its fds other tables hold; a server still running an abandoned batch
 * ({@link #sendAndAbandon}) is ended by killing it.
 */
final class ChildSyscallInterface implements ChildTransport {
    /** Requests one {@link #pipeline} batch carries; longer lists go in several rounds. */
    static final int MAX_PIPELINE = Mailbox.MAX_BATCH;

    private final SyscallInterface local;
    private final Mailbox mailbox;
    private final int pid;
    private final ChildStack stack;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile String gone;
    /** Whether {@link #close} ran (guarded by {@link #lock}). */
    private boolean closed;
    private volatile Runnable onGone;
    private boolean goneReported;
    private final AtomicLong requestsSent = new AtomicLong();
    /** The syscalls of the batch in flight, for messages (guarded by {@link #lock}). */
    private final Sys[] inFlight = new Sys[MAX_PIPELINE];

    /**
     * @param local the interface of the address space the child shares, which carries the
     *     connection (the JVM's own provider, for children of the JVM)
     * @param efd the eventfd the server writes when asked, non-blocking: its number in the
     *     child's table, and the JVM's copy ({@code -1}: fetched by a virtual thread's first
     *     call), owned from now on
     * @param pidfd a pidfd of the child in {@code local}'s table; not owned
     * @param pid the child's pid, for messages
     * @param stack the child's memory: the mailbox
     */
    ChildSyscallInterface(SyscallInterface local, ServerEventFd efd, int pidfd, int pid, ChildStack stack) {
        this.local = local;
        this.pid = pid;
        this.stack = stack;
        this.mailbox = new Mailbox(local, stack.base(), efd, pidfd);
    }

    @Override
    public long syscall(Sys nr, long... args) throws SyscallException {
        SyscallInterface.checkArgs(nr, args);
        long raw;
        lock.lock();
        try {
            encode(0, nr, args);
            roundTrip(1, false);
            raw = mailbox.result(0);
        } finally {
            unlockAndReport();
        }
        if (ChildTransport.isErrno(raw)) {
            throw ErrnoException.of(nr, (int) -raw, args);
        }
        return raw;
    }

    @Override
    public long[] pipeline(List<SyscallRequest> requests) throws SyscallException {
        return pipeline(requests, false);
    }

    @Override
    public long[] pipelineUntilError(List<SyscallRequest> requests) throws SyscallException {
        return pipeline(requests, true);
    }

    private long[] pipeline(List<SyscallRequest> requests, boolean stopAtError) throws SyscallException {
        long[] results = new long[requests.size()];
        lock.lock();
        try {
            for (int from = 0; from < results.length; from += MAX_PIPELINE) {
                int n = Math.min(MAX_PIPELINE, results.length - from);
                for (int i = 0; i < n; i++) {
                    SyscallRequest r = requests.get(from + i);
                    encode(i, r.nr(), r.args());
                }
                roundTrip(n, stopAtError);
                boolean failed = false;
                for (int i = 0; i < n; i++) {
                    results[from + i] = mailbox.result(i);
                    failed |= ChildTransport.isErrno(results[from + i]);
                }
                if (failed && stopAtError) {
                    break;
                }
            }
        } finally {
            unlockAndReport();
        }
        return results;
    }

    /** {@inheritDoc} At most {@link #MAX_PIPELINE} requests. */
    @Override
    public void sendAndAbandon(List<SyscallRequest> requests) throws SyscallException {
        if (requests.isEmpty() || requests.size() > MAX_PIPELINE) {
            throw new IllegalArgumentException("1 to " + MAX_PIPELINE + " requests, not " + requests.size());
        }
        lock.lock();
        try {
            for (int i = 0; i < requests.size(); i++) {
                encode(i, requests.get(i).nr(), requests.get(i).args());
            }
            send(requests.size(), false, false, false);
            requestsSent.addAndGet(requests.size());
            gone = "it was left running requests whose answers are not read";
        } finally {
            unlockAndReport();
        }
    }

    /** Releases {@link #lock}, then runs the gone action if this call is the first to see the child gone. */
    private void unlockAndReport() {
        boolean report = false;
        if (gone != null && !goneReported) {
            goneReported = true;
            report = true;
        }
        lock.unlock();
        if (report) {
            Runnable action = onGone;
            if (action != null) {
                action.run();
            }
        }
    }

    private void encode(int slot, Sys nr, long[] args) {
        inFlight[slot] = nr;
        mailbox.encode(slot, nr, args);
    }

    /**
     * {@link #pipelineUntilError} of {@code requests}, which the child found in its mailbox as it
     * started ({@link Mailbox#postFirst}, with {@code parks} as its notify flag): waits for their
     * answers, or returns null where {@link #pipelineUntilError} would raise {@link SyscallHangup}
     * (the child took them, then exec'd, exited or died): for an {@code execve}, its success.
     */
    long[] awaitFirst(List<SyscallRequest> requests, boolean parks) throws SyscallException {
        int n = requests.size();
        long[] results = new long[n];
        lock.lock();
        try {
            for (int i = 0; i < n; i++) {
                inFlight[i] = requests.get(i).nr();
            }
            int seq = mailbox.adoptFirst(n);
            requestsSent.addAndGet(n);
            if (!awaitOrHangUp(seq, n, parks)) {
                return null;
            }
            for (int i = 0; i < n; i++) {
                results[i] = mailbox.result(i);
            }
        } finally {
            unlockAndReport();
        }
        return results;
    }

    /** Sends the first {@code n} encoded requests and waits for their answers. */
    private void roundTrip(int n, boolean stopAtError) throws SyscallException {
        boolean parks = mailbox.parks();
        int seq = send(n, parks, true, stopAtError);
        requestsSent.addAndGet(n);
        await(seq, n, parks);
    }

    /** Waits for the answers to batch {@code seq} of {@code n} requests, posted with {@code parks} as its notify flag. */
    private void await(int seq, int n, boolean parks) throws SyscallException {
        if (!awaitOrHangUp(seq, n, parks)) {
            throw new SyscallHangup(describe(inFlight[0]) + ": child task " + pid + " stopped answering: " + gone);
        }
    }

    /**
     * {@link #await}, returning false where it would raise {@link SyscallHangup} for a child that
     * took the batch and then exited, exec'd or died.
     */
    private boolean awaitOrHangUp(int seq, int n, boolean parks) throws SyscallException {
        boolean exec = false;
        for (int i = 0; i < n; i++) {
            exec |= inFlight[i] == Sys.EXECVE || inFlight[i] == Sys.EXECVEAT;
        }
        boolean sentAndTaken;
        try {
            if (mailbox.await(seq, parks, exec)) {
                mailbox.readResults(n);
                return true;
            }
            gone = "it exited, exec'd or died";
            sentAndTaken = mailbox.taken(seq);
        } catch (SyscallException | RuntimeException e) {
            // What carries the mailbox failed (the connection to another host): the child is
            // gone with the server it depends on, after it may have taken the batch, unless the
            // batch's wake never went out.
            gone = "the connection to its address space failed: " + e.getMessage();
            if (e instanceof SyscallSendError && mailbox.wakeUnsent()) {
                throw new SyscallSendError(describe(inFlight[0]) + ": child task " + pid + " is gone: " + gone, e);
            }
            throw new SyscallHangup(describe(inFlight[0]) + ": child task " + pid + " stopped answering: " + gone, e);
        }
        if (!sentAndTaken) {
            throw new SyscallSendError(describe(inFlight[0]) + ": child task " + pid
                    + " died before reading it (" + gone + "): it did not run");
        }
        return false;
    }

    /**
     * Posts the first {@code n} encoded requests; returns the batch's number. {@code awaited}:
     * the caller waits for the answer next ({@link Mailbox#postForAwait}); {@code stopAtError}
     * only then.
     */
    private int send(int n, boolean notify, boolean awaited, boolean stopAtError) throws SyscallException {
        // On another host the check costs a round trip, and the wait sees a child gone as well.
        if (gone == null && ChildTransport.inJvm(local)) {
            try {
                if (stack.childDone()) {
                    gone = "it exited or exec'd";
                }
            } catch (RuntimeException e) {
                gone = "its memory can't be read: " + e.getMessage(); // the connection to another host failed
            }
        }
        if (gone != null) {
            throw new SyscallSendError(describe(inFlight[0]) + ": child task " + pid + " is gone: " + gone);
        }
        try {
            return awaited ? mailbox.postForAwait(n, notify, stopAtError) : mailbox.post(n, notify);
        } catch (SyscallException | RuntimeException e) {
            gone = "posting failed: " + e.getMessage();
            throw new SyscallSendError(describe(inFlight[0]) + ": child task " + pid + ": " + gone, e);
        }
    }

    @Override
    public void onGone(Runnable action) {
        boolean now;
        lock.lock();
        try {
            onGone = action;
            now = goneReported;
        } finally {
            lock.unlock();
        }
        if (now) {
            action.run();
        }
    }

    private static String describe(Sys nr) {
        return nr.syscallName();
    }

    /**
     * {@inheritDoc} The {@code exit} request is posted, and the eventfd closed, once no call holds
     * the connection, so the child's memory, which a call uses, stays mapped until the call is
     * done with it (the reaper unmaps it after its own close returns). rsyscall4j closes a
     * connection only once its child is gone (exited, exec'd, dead), when every pending call
     * returns promptly, or to end an idle child.
     */
    @Override
    public void close() throws SyscallException {
        if (gone == null) {
            gone = "its connection was closed";
        }
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (!stack.childDone() && mailbox.idle()) {
                    mailbox.encode(0, Sys.EXIT, new long[0]);
                    mailbox.post(1, false);
                }
            } catch (SyscallException | RuntimeException e) {
                // nothing (more) to end: the child or what carries its memory is gone
            }
            mailbox.closeEventFd();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long requestsSent() {
        return requestsSent.get();
    }

    @Override
    public SyscallInterface local() {
        return local;
    }

    @Override
    public String goneReason() {
        return gone;
    }

    @Override
    public boolean isConnected() {
        try {
            return gone == null && !stack.childDone();
        } catch (RuntimeException e) {
            return false; // its memory is on another host, which can't be reached any more
        }
    }

    @Override
    public int pid() {
        return pid;
    }

    @Override
    public void writeMemory(long address, byte[] src, int off, int len) {
        local.writeMemory(address, src, off, len);
    }

    @Override
    public void readMemory(long address, byte[] dst, int off, int len) {
        local.readMemory(address, dst, off, len);
    }

    @Override
    public long bufferAddress(java.nio.ByteBuffer buffer) {
        return local.bufferAddress(buffer);
    }

    @Override
    public String provider() {
        return "child(" + local.provider() + ")";
    }

    @Override
    public String toString() {
        return "SyscallInterface[" + provider() + ", pid " + pid + "]";
    }
}
