package io.rsyscall4j;

import static io.rsyscall4j.RawFd.closeQuietly;
import static io.rsyscall4j.api.Linux.FIONREAD;
import static io.rsyscall4j.api.Linux.POLLIN;
import static io.rsyscall4j.api.Linux.POLLOUT;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.internal.Poller;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs syscalls inside a child task, by sending each one to the child's syscall server: a 56-byte
 * request {@code {int64 nr; int64 args[6]}} down the request pipe, answered by the 8-byte raw
 * kernel result up the answer pipe, as in rsyscall (which uses one socket for both directions).
 *
 * <p><b>Why pipes.</b> A round trip is two wake-ups of a sleeping process, and the kernel's pipe
 * path is the cheaper one: a C ping-pong of these sizes between two processes on one CPU costs
 * about half as much over two pipes as over one {@code AF_UNIX} socketpair (bench/run's rows
 * {@code remote-syscall} and {@code remote-syscall-vs-socket}). What a socket offered beyond that
 * has an equivalent here: {@code FIONREAD} on the request pipe's write end counts the bytes the
 * server has not read (where {@code SIOCOUTQ} did), and the server is ended by an {@code exit}
 * request down its own pipe (where {@code shutdown} gave it EOF), which works however many copies
 * of the pipe's write end other tables hold. Every request fits in {@code PIPE_BUF}, so each
 * write is atomic: requests never interleave, and none is ever half sent.
 *
 * <p><b>Pointer arguments</b> need no copying: every child is made with {@code CLONE_VM}, so it
 * shares the JVM's address space and a JVM address means the same memory in the child.
 * {@link #readMemory} and {@link #writeMemory} therefore go straight to the JVM's own provider.
 * (rsyscall streams the bytes over the connection instead, for children in other address spaces;
 * rsyscall4j makes none.) After a successful {@code execve} the child has a new address space,
 * but then it also has no syscall server, and every call fails.
 *
 * <p><b>Threads.</b> Calls from several Java threads are serialised: one request is in flight at a
 * time, so each answer belongs to the only caller waiting. {@link #pipeline} sends several
 * requests in one write, for a caller that needs many small syscalls in a row.
 *
 * <p><b>Death is seen, never waited out.</b> While waiting for an answer the JVM polls the answer
 * pipe together with the child's pidfd. Three ways the child can stop answering, and how each is
 * seen:
 * <ul>
 * <li>it dies (SIGKILL, {@code exit}): the pidfd becomes readable. EOF on the answer pipe is not
 *     enough, because a child made with {@code CLONE_FILES} keeps its write end in the table it
 *     shares with the JVM (and children cloned later without FILES hold copies of it);
 * <li>it execs: the kernel clears the {@code CLONE_CHILD_CLEARTID} word at exec (and at exit),
 *     and the JVM reads that word whenever the poll times out: every millisecond while an
 *     {@code execve} is pending, every 100 ms otherwise (the word is also checked before each
 *     send). The exec also closes the server's {@code CLOEXEC} pipe ends, which gives EOF when
 *     no other table holds a copy;
 * <li>the connection is closed ({@link #close}): the server is told to exit, which the pidfd shows.
 * </ul>
 * The call then raises {@link SyscallHangup} (the request was sent; it may or may not have run:
 * for {@code exit} and {@code execve} that means it did) or {@link SyscallSendError} (nothing was
 * sent), and every later call raises {@link SyscallSendError} at once.
 */
final class ChildSyscallInterface implements SyscallInterface {
    static final int REQUEST_SIZE = 56;
    static final int RESULT_SIZE = 8;
    /** Requests one {@link #pipeline} write carries; longer lists go in several rounds. */
    static final int MAX_PIPELINE = 63;

    private static final long RESULTS = (long) MAX_PIPELINE * REQUEST_SIZE;
    private static final long POLLFDS = RESULTS + (long) MAX_PIPELINE * RESULT_SIZE;
    private static final int EXEC_POLL_MS = 1;
    private static final int IDLE_POLL_MS = 100;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private final SyscallInterface local;
    private final int requestFd;
    private final int answerFd;
    private final int pidfd;
    private final int pid;
    private final ChildStack stack;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile String gone;
    /** Whether the pipes are closed (guarded by {@link #lock}). */
    private boolean pipesClosed;
    /** Set by the first {@link #close}: the only one that may end the server and close the pipes. */
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Runnable onGone;
    private boolean goneReported;
    private final java.util.concurrent.atomic.AtomicLong requestsSent = new java.util.concurrent.atomic.AtomicLong();
    // The next round's requests, their numbers (for messages) and answers, and poll's fds: reused
    // by every call (guarded by lock), so a round trip allocates nothing.
    private final byte[] requestBytes = new byte[MAX_PIPELINE * REQUEST_SIZE];
    private final Sys[] inFlight = new Sys[MAX_PIPELINE];
    private final byte[] resultBytes = new byte[MAX_PIPELINE * RESULT_SIZE];
    private final byte[] pollBytes = new byte[16];

    /**
     * @param local the JVM's own provider, which makes the pipe I/O
     * @param requestFd the request pipe's write end in the JVM's table, {@code O_NONBLOCK}; owned
     *     from now on
     * @param answerFd the answer pipe's read end in the JVM's table, {@code O_NONBLOCK}; owned from
     *     now on
     * @param pidfd a pidfd of the child in the JVM's table; not owned
     * @param pid the child's pid, for messages
     * @param stack the child's memory: the I/O buffers and the futex word
     */
    ChildSyscallInterface(SyscallInterface local, int requestFd, int answerFd, int pidfd, int pid, ChildStack stack) {
        this.local = local;
        this.requestFd = requestFd;
        this.answerFd = answerFd;
        this.pidfd = pidfd;
        this.pid = pid;
        this.stack = stack;
    }

    @Override
    public long syscall(Sys nr, long... args) throws SyscallException {
        SyscallInterface.checkArgs(nr, args);
        long raw;
        lock.lock();
        try {
            encode(0, nr, args);
            roundTrip(1);
            raw = (long) LONG_LE.get(resultBytes, 0);
        } finally {
            unlockAndReport();
        }
        if (raw < 0 && raw >= -4095) {
            throw ErrnoException.of(nr, (int) -raw, args);
        }
        return raw;
    }

    /**
     * Sends {@code requests} back to back and returns their raw results in order (-4095..-1 is
     * -errno; nothing is thrown for those). The server runs them one after the other, exactly as
     * if sent one at a time, but the whole list costs one round trip per {@link #MAX_PIPELINE}.
     * If the child dies part way, the requests it answered are lost with the exception.
     */
    long[] pipeline(List<SyscallRequest> requests) throws SyscallException {
        long[] results = new long[requests.size()];
        lock.lock();
        try {
            for (int from = 0; from < results.length; from += MAX_PIPELINE) {
                int n = Math.min(MAX_PIPELINE, results.length - from);
                for (int i = 0; i < n; i++) {
                    SyscallRequest r = requests.get(from + i);
                    encode(i, r.nr(), r.args());
                }
                roundTrip(n);
                for (int i = 0; i < n; i++) {
                    results[from + i] = (long) LONG_LE.get(resultBytes, i * RESULT_SIZE);
                }
            }
        } finally {
            unlockAndReport();
        }
        return results;
    }

    /**
     * Sends {@code requests} (at most {@link #MAX_PIPELINE}) and gives the connection up to them:
     * their answers are never read, and every later call fails to send. For a child left to run
     * requests that block until something happens ({@link JvmDeathGuard}'s guardian). The server
     * runs them all as long as its answer pipe has room (64 KiB: over a thousand answers) and a
     * reader end open somewhere, which a child sharing the JVM's table keeps even after the JVM
     * is gone.
     */
    void sendAndAbandon(List<SyscallRequest> requests) throws SyscallException {
        if (requests.isEmpty() || requests.size() > MAX_PIPELINE) {
            throw new IllegalArgumentException("1 to " + MAX_PIPELINE + " requests, not " + requests.size());
        }
        lock.lock();
        try {
            for (int i = 0; i < requests.size(); i++) {
                encode(i, requests.get(i).nr(), requests.get(i).args());
            }
            send(requests.size());
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
            reportGone();
        }
    }

    /** Puts request {@code slot} of the next round into {@link #requestBytes}; missing arguments are 0. */
    private void encode(int slot, Sys nr, long[] args) {
        int at = slot * REQUEST_SIZE;
        inFlight[slot] = nr;
        LONG_LE.set(requestBytes, at, nr.number());
        for (int i = 0; i < MAX_ARGS; i++) {
            LONG_LE.set(requestBytes, at + 8 + i * 8, i < args.length ? args[i] : 0L);
        }
    }

    /** Sends the first {@code n} encoded requests and reads their answers into {@link #resultBytes}. */
    private void roundTrip(int n) throws SyscallException {
        send(n);
        requestsSent.addAndGet(n);
        receive(n);
    }

    private void send(int n) throws SyscallException {
        if (gone == null && stack.childDone()) {
            gone = "it exited or exec'd";
        }
        if (gone != null) {
            throw new SyscallSendError(describe(inFlight[0]) + ": child task " + pid + " is gone: " + gone);
        }
        int length = n * REQUEST_SIZE;
        long buf = stack.io();
        local.writeMemory(buf, requestBytes, 0, length);
        int sent = 0;
        while (sent < length) {
            try {
                // At most PIPE_BUF bytes: all or nothing (EAGAIN), never a part.
                sent += (int) local.syscall(Sys.WRITE, requestFd, buf + sent, length - sent);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EAGAIN) {
                    if (!awaitReady(requestFd, POLLOUT, IDLE_POLL_MS)) {
                        String why = gone;
                        if (sent < REQUEST_SIZE) {
                            throw new SyscallSendError(describe(inFlight[0]) + ": child task " + pid + " is gone: " + why);
                        }
                        throw hangup(inFlight[0], why);
                    }
                    continue;
                }
                if (e.errno() == Errno.EINTR) {
                    continue;
                }
                String why = "sending failed: " + e.getMessage();
                gone = why;
                if (sent < REQUEST_SIZE) {
                    throw new SyscallSendError(describe(inFlight[0]) + ": child task " + pid + ": " + why, e);
                }
                throw new SyscallHangup(describe(inFlight[0]) + ": child task " + pid + ": " + why, e);
            }
        }
    }

    /**
     * Reads the answers to {@code n} requests. It waits in poll <em>before</em> each read rather
     * than reading first: the answer is almost never there yet right after the send (the child has
     * not even run when both share a CPU), and a read that fails with {@code EAGAIN} costs a
     * syscall and an exception. poll returns at once when the answer is already there.
     */
    private void receive(int n) throws SyscallException {
        boolean exec = false;
        for (int i = 0; i < n; i++) {
            exec |= inFlight[i] == Sys.EXECVE || inFlight[i] == Sys.EXECVEAT;
        }
        int timeout = exec ? EXEC_POLL_MS : IDLE_POLL_MS;
        int want = n * RESULT_SIZE;
        long buf = stack.io() + RESULTS;
        int got = 0;
        while (got < want) {
            if (!awaitReady(answerFd, POLLIN, timeout)) {
                throw lost(n, got, gone);
            }
            long r;
            try {
                r = local.syscall(Sys.READ, answerFd, buf + got, want - got);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EAGAIN || e.errno() == Errno.EINTR) {
                    continue;
                }
                gone = "receiving failed: " + e.getMessage();
                throw lost(n, got, gone);
            }
            if (r == 0) {
                gone = "its end of the connection closed";
                throw lost(n, got, gone);
            }
            got += (int) r;
        }
        local.readMemory(buf, resultBytes, 0, want);
    }

    /**
     * Waits until {@code fd} (one of the pipes) is ready for {@code events}, or the child is seen
     * gone (then returns false, with {@link #gone} set). Readiness of the pipe wins over death: an
     * answer written just before dying is still read.
     */
    private boolean awaitReady(int fd, short events, int timeoutMs) throws SyscallException {
        long fds = stack.io() + POLLFDS;
        byte[] pollfds = pollBytes;
        INT_LE.set(pollfds, 0, fd);
        SHORT_LE.set(pollfds, 4, events);
        SHORT_LE.set(pollfds, 6, (short) 0);
        INT_LE.set(pollfds, 8, pidfd);
        SHORT_LE.set(pollfds, 12, POLLIN);
        SHORT_LE.set(pollfds, 14, (short) 0);
        boolean parks = Poller.inVirtualThread();
        boolean parked = false;
        while (true) {
            local.writeMemory(fds, pollfds, 0, 16);
            long ready;
            try {
                // A virtual thread never waits in poll: it asks without waiting, and parks in the
                // poller for the same fds and timeout when nothing is ready yet.
                ready = local.syscall(Sys.POLL, fds, 2, parks ? 0 : timeoutMs);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EINTR) {
                    continue;
                }
                throw e;
            }
            if (ready == 0 && parks && !parked) {
                Poller.awaitAny(local, new int[] {fd, pidfd}, (short) (events | POLLIN), timeoutMs * 1_000_000L);
                parked = true;
                continue;
            }
            parked = false;
            if (ready == 0) {
                if (stack.childDone()) {
                    gone = "it exited or exec'd";
                    return false;
                }
                continue;
            }
            local.readMemory(fds, pollfds, 0, 16);
            short pipeEvents = (short) SHORT_LE.get(pollfds, 6);
            short pidfdEvents = (short) SHORT_LE.get(pollfds, 14);
            if (pipeEvents != 0) {
                // readable, writable, or hung up / in error: the next read or send says which.
                return true;
            }
            if (pidfdEvents != 0) {
                gone = "it died";
                return false;
            }
            SHORT_LE.set(pollfds, 6, (short) 0);
            SHORT_LE.set(pollfds, 14, (short) 0);
        }
    }

    /**
     * Runs {@code action} once, on the thread that first sees the child gone (after that call has
     * released the connection), or right away if it already has been seen gone.
     */
    void onGone(Runnable action) {
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

    private void reportGone() {
        Runnable action = onGone;
        if (action != null) {
            action.run();
        }
    }

    /**
     * The child stopped answering with the round's request {@code got / RESULT_SIZE} pending. A
     * round of one request the child never read certainly did not run: its bytes still wait in
     * the request pipe — {@code FIONREAD} on the JVM's write end counts them until the server
     * reads them, whether or not any read end is still open — so it is a send error, which a
     * caller may safely redo elsewhere (a close, through another task). Otherwise the request may
     * have run: a hangup, which must not be redone (a close that ran freed its number for reuse).
     * The server waits for requests in {@code poll}, not in {@code read}, so that a child killed
     * while a request wakes it dies with the request still in the pipe (see the server in
     * {@code child_x86_64.S}): a send error, where a waiting read would have taken the request
     * with it, unrun, and left a hangup (and a close that never ran, an fd leaked).
     * Nothing else is ever queued behind the round's request: calls hold {@link #lock}, and so does
     * {@link #close} to send its {@code exit}.
     */
    private SyscallException lost(int n, int got, String why) {
        Sys pending = inFlight[got / RESULT_SIZE];
        if (n == 1 && got == 0 && unreadBytes() > 0) {
            return new SyscallSendError(describe(pending) + ": child task " + pid + " died before reading it (" + why
                    + "): it did not run");
        }
        return hangup(pending, why);
    }

    /** Bytes the JVM sent that the child has not read ({@code FIONREAD}); 0 if that cannot be told. */
    private long unreadBytes() {
        long at = stack.io() + POLLFDS + 16;
        try {
            local.writeMemory(at, new byte[4], 0, 4);
            local.syscall(Sys.IOCTL, requestFd, FIONREAD, at);
            byte[] b = new byte[4];
            local.readMemory(at, b, 0, 4);
            return (int) INT_LE.get(b, 0);
        } catch (SyscallException | RuntimeException e) {
            return 0;
        }
    }

    private SyscallHangup hangup(Sys pending, String why) {
        return new SyscallHangup(describe(pending) + ": child task " + pid + " stopped answering: " + why);
    }

    private static String describe(Sys nr) {
        return nr.syscallName();
    }

    /**
     * Ends the connection: marks it gone (every later call fails to send), tells the server to
     * exit, and closes the JVM's two pipe ends. The {@code exit} request goes down the server's
     * own pipe, so it ends the server even when copies of the pipe's write end stay open in other
     * tables (a {@code CLONE_FILES} child's, or one cloned later without it), where closing the
     * JVM's end would give the server no EOF. It is sent, and the pipes closed, once no call holds
     * the connection, so a request of a caller's never has an {@code exit} queued behind it (which
     * would confuse {@link #lost}'s count of unread bytes), and the child's memory, which a call
     * uses for its buffers, stays mapped until the call is done with it. A call still pending on
     * a live child is not cut short: rsyscall4j closes a connection only once its child is gone
     * (exited, exec'd, dead), when every pending call returns promptly.
     * Idempotent: only the first call touches the pipes (closed again, their numbers could be
     * another child's connection by then).
     */
    void close() throws SyscallException {
        if (gone == null) {
            gone = "its connection was closed";
        }
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        lock.lock();
        try {
            if (pipesClosed) {
                return;
            }
            pipesClosed = true;
            askToExit(local, requestFd);
            closeQuietly(local, requestFd, null);
            closeQuietly(local, answerFd, null);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends {@code exit(0)} down the request pipe {@code requestFd} (the JVM's write end), through
     * the JVM's provider: the server that reads it exits, whoever else holds copies of the pipe.
     * The request is written from {@link ChildCode#exitRequest}, never from the child's memory,
     * which another thread may be unmapping meanwhile (the reaper, once the child is reaped). Best
     * effort, never blocking on a fresh or drained pipe: nothing is reported (EPIPE when no server
     * reads any more, as the JVM ignores SIGPIPE; EAGAIN when a gone server left the pipe full).
     */
    static void askToExit(SyscallInterface local, int requestFd) {
        try {
            local.syscall(Sys.WRITE, requestFd, ChildCode.load(local).exitRequest(), REQUEST_SIZE);
        } catch (SyscallException | RuntimeException e) {
            // nothing (more) to end
        }
    }

    /** How many requests were sent to the child so far (for tests: which task made a call). */
    long requestsSent() {
        return requestsSent.get();
    }

    /** The JVM's own provider, which carries this connection. */
    SyscallInterface local() {
        return local;
    }

    /** Why the child stopped answering, or null while it answers. */
    String goneReason() {
        return gone;
    }

    /** Whether calls can still reach the child (as far as the JVM has seen). */
    boolean isConnected() {
        return gone == null && !stack.childDone();
    }

    int pid() {
        return pid;
    }

    /** The JVM's end of the request pipe (its write end). */
    int requestFd() {
        return requestFd;
    }

    /** The JVM's end of the answer pipe (its read end). */
    int answerFd() {
        return answerFd;
    }

    /** Memory of the child is the JVM's memory ({@code CLONE_VM}). */
    @Override
    public void writeMemory(long address, byte[] src, int off, int len) {
        local.writeMemory(address, src, off, len);
    }

    /** Memory of the child is the JVM's memory ({@code CLONE_VM}). */
    @Override
    public void readMemory(long address, byte[] dst, int off, int len) {
        local.readMemory(address, dst, off, len);
    }

    /** Memory of the child is the JVM's memory ({@code CLONE_VM}). */
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
