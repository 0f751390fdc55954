package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.FUTEX_PRIVATE_FLAG;
import static io.rsyscall4j.api.Linux.FUTEX_WAIT;
import static io.rsyscall4j.api.Linux.FUTEX_WAKE;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.internal.Poller;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The words and buffers in a child's {@link ChildStack} through which the JVM and the child's
 * syscall server ({@code child_x86_64.S}, which documents the same layout) pass batches of
 * requests and their answers, and the futex and eventfd wake-ups that go with them. Not
 * thread-safe: its one user, {@link ChildSyscallInterface}, serialises calls.
 *
 * <p>A batch is numbered (never 0). The JVM writes the requests, then the request word. The server
 * stores the number in the taken word, runs the requests, stores their results, the answered word
 * and the answer word. The answer word is also the clone's {@code CLONE_CHILD_CLEARTID} word, which
 * the kernel sets to 0 and futex-wakes (a shared wake) when the child exits, dies or execs while
 * the JVM still uses the memory: so a platform thread sees the answer, the death and the exec
 * alike by looking at that word, or in one plain shared {@code FUTEX_WAIT} on it.
 *
 * <p><b>Spin, then sleep.</b> Each side looks at the word it waits for, a {@code sched_yield}
 * between looks, for a bounded time ({@link #SPIN_NANOS}; on one CPU the yield runs the other
 * side at once, so a round trip is two yields and no futex call), then sleeps in {@code
 * FUTEX_WAIT} (the server on the request word, private; the JVM on the answer word, shared). The
 * server sets its sleeping word before its wait; the JVM clears its looking word before its own;
 * a poster wakes the other side only when that word says it may sleep. No wake-up is lost:
 * poster and sleeper each store their word, make a full fence, then load the other's (the
 * sleeper's load is its last look, and the futex compares again), so at least one of them sees
 * the other's store: the poster wakes, or the sleeper does not sleep. The JVM's plain accesses
 * through {@code local} are ordered by {@link VarHandle#fullFence}, the server's by a locked
 * {@code xchg}.
 *
 * <p>A virtual thread must not hold its carrier in {@code futex}: it asks the server to write its
 * eventfd instead of waking the word (the batch's notify flag) and parks ({@link ParkedWait}).
 *
 * <p>Every access goes through {@code local}, the interface of the address space the mailbox is
 * in, so that the same protocol serves a child of a task on another host; spinning and parking in
 * the {@link Poller} (whose fds are the JVM's) only apply when {@code local} is the JVM's own.
 * Elsewhere the JVM never spins and always wakes, and its looking word stays 0, so the server
 * always wakes it too; its futex waits end after a slice ({@link RemoteMailboxWait}).
 */
final class Mailbox {
    static final int REQUEST_SIZE = 56;
    static final int RESULT_SIZE = 8;
    /** Requests in one batch. */
    static final int MAX_BATCH = 63;

    /** The answer word; also the {@code CLONE_CHILD_CLEARTID} word (offsets from the region's base). */
    static final long ANSWER = 0;
    static final long REQUEST = 8;
    static final long TAKEN = 12;
    static final long ANSWERED = 16;
    /** 8 bytes where the JVM reads its eventfd (the JVM's scratch; the server never looks). */
    private static final long EVENT_COUNT = 24;
    /** A {@code struct timespec} of one wait slice, for a mailbox in another host's memory. */
    private static final long SLICE = 32;
    /** 1 while the server sleeps (or is about to) in its futex wait on the request word. */
    static final long SERVER_SLEEPING = 48;
    /**
     * 0 while the JVM's thread sleeps (or is about to) on the answer word, or always where the JVM
     * never spins (set once by {@link #reset}): the server wakes it only then.
     */
    static final long CALLER_LOOKING = 52;
    /**
     * How long the JVM looks at the answer word, a {@code sched_yield} between looks, before it
     * sleeps (the server's {@code SPIN_CYCLES} is as long at 2.6 GHz): bounded in time, so an
     * answer that is long in coming costs a short spin whatever else runs on the CPU.
     */
    static final long SPIN_NANOS = 25_000;
    private static final long NOTIFY = 4096;
    private static final long REQUESTS = NOTIFY + 8;
    static final long RESULTS = REQUESTS + (long) MAX_BATCH * REQUEST_SIZE;
    /** Where the mailbox ends: the child's stack lies above. */
    static final long END = RESULTS + (long) MAX_BATCH * RESULT_SIZE;
    /** The number of every word before the first batch. */
    static final int FIRST = 1;

    static final String ETIMEDOUT = "ETIMEDOUT";
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final SyscallInterface local;
    private final long base;
    /** How a virtual thread waits; null where the JVM never parks. */
    private final ParkedWait parked;
    /** Whether {@code local} is the JVM's own provider: then the JVM spins, parks, and wakes only sleepers. */
    private final boolean inJvm;
    /** Where the futex wait's timeout is: 0 (none) in the JVM, {@link #SLICE} elsewhere. */
    private final long timeout;
    /** How the JVM waits for a mailbox in another host's memory; else null. */
    private final RemoteMailboxWait remote;
    /** What the answer word holds while the last batch posted is pending. */
    private int before = FIRST;
    /** How many requests the last batch posted holds. */
    private int count;
    /** On another host: {@link #results} already holds the answers of the last batch posted. */
    private boolean resultsRead;
    /** The number of the last batch posted. */
    private int posted = FIRST;
    /** The next batch: notify, count, requests; then the results of the last. Reused: a round trip allocates nothing. */
    private final byte[] batch = new byte[(int) (RESULTS - NOTIFY)];
    private final byte[] results = new byte[MAX_BATCH * RESULT_SIZE];
    private final byte[] word = new byte[4];

    /**
     * @param local the interface of the address space the mailbox is in
     * @param base the base of the child's region ({@link ChildStack#base})
     * @param efd the eventfd the server writes when asked ({@link ParkedWait}); the JVM's copy is
     *     owned from now on
     * @param pidfd a pidfd of the child in {@code local}'s table
     */
    Mailbox(SyscallInterface local, long base, ServerEventFd efd, int pidfd) {
        this.local = local;
        this.base = base;
        this.inJvm = ChildTransport.inJvm(local);
        this.parked = inJvm ? new ParkedWait(local, efd, pidfd, base + EVENT_COUNT) : null;
        this.timeout = inJvm ? 0 : base + SLICE;
        this.remote = local instanceof RemoteConnection r ? new RemoteMailboxWait(r, base, timeout) : null;
        if (!inJvm) {
            byte[] slice = new byte[16];
            LONG_LE.set(slice, 8, RemoteConnection.WAIT_SLICE_NANOS);
            local.writeMemory(timeout, slice, 0, slice.length);
        }
    }

    /** Puts request {@code slot} of the next batch in place; missing arguments are 0. */
    void encode(int slot, Sys nr, long[] args) {
        encode(batch, slot, nr, args);
    }

    private static void encode(byte[] into, int slot, Sys nr, long[] args) {
        int at = 8 + slot * REQUEST_SIZE;
        LONG_LE.set(into, at, nr.number());
        for (int i = 0; i < SyscallInterface.MAX_ARGS; i++) {
            LONG_LE.set(into, at + 8 + i * 8, i < args.length ? args[i] : 0L);
        }
    }

    /**
     * Posts {@code calls} as the first batch of the region at {@code base}, made ready for a clone
     * ({@link #reset}) and not cloned onto yet, stopping at the first request that fails, without
     * a wake: the new server finds the batch as it starts. The mailbox made for the child then
     * waits for it ({@link #adoptFirst}).
     *
     * @param notify whether the server is to write the eventfd rather than wake the answer word
     */
    static void postFirst(SyscallInterface local, long base, List<SyscallRequest> calls, boolean notify) {
        if (calls.isEmpty() || calls.size() > MAX_BATCH) {
            throw new IllegalArgumentException("1 to " + MAX_BATCH + " requests, not " + calls.size());
        }
        byte[] b = new byte[8 + calls.size() * REQUEST_SIZE];
        INT_LE.set(b, 0, (notify ? 1 : 0) | 2);
        INT_LE.set(b, 4, calls.size());
        for (int i = 0; i < calls.size(); i++) {
            encode(b, i, calls.get(i).nr(), calls.get(i).args());
        }
        local.writeMemory(base + NOTIFY, b, 0, b.length);
        byte[] word = new byte[4];
        INT_LE.set(word, 0, FIRST + 1);
        local.writeMemory(base + REQUEST, word, 0, 4);
    }

    /** Takes the batch of {@code n} requests {@link #postFirst} posted as the last posted; returns its number. */
    int adoptFirst(int n) {
        before = FIRST;
        posted = FIRST + 1;
        count = n;
        resultsRead = false;
        return posted;
    }

    /**
     * Posts the first {@code n} encoded requests as the next batch and wakes the server; returns
     * the batch's number. The request word is written last, on its own: the server looks at
     * nothing else before it changes.
     *
     * @param notify whether the server is to write the eventfd rather than wake the answer word
     */
    int post(int n, boolean notify) throws SyscallException {
        return post(n, notify, false, false);
    }

    /**
     * {@link #post} of a batch whose answer {@link #await} is to wait for: on another host the
     * wake goes out with the first wait. With {@code stopAtError} the server runs the batch up to
     * its first request that fails, and no further: the later slots' results are left as they were.
     */
    int postForAwait(int n, boolean notify, boolean stopAtError) throws SyscallException {
        return post(n, notify, stopAtError, remote != null);
    }

    private int post(int n, boolean notify, boolean stopAtError, boolean deferWake) throws SyscallException {
        if (notify) {
            parked.fetch();
        }
        INT_LE.set(batch, 0, (notify ? 1 : 0) | (stopAtError ? 2 : 0));
        INT_LE.set(batch, 4, n);
        local.writeMemory(base + NOTIFY, batch, 0, 8 + n * REQUEST_SIZE);
        before = posted;
        posted = posted == -1 ? 1 : posted + 1;
        count = n;
        resultsRead = false;
        putInt(REQUEST, posted);
        if (deferWake) {
            remote.deferWake();
            return posted;
        }
        if (inJvm) {
            VarHandle.fullFence(); // the request word, then the sleeping word: see the class comment
        }
        if (!inJvm || getInt(SERVER_SLEEPING) != 0) {
            local.syscall(Sys.FUTEX, base + REQUEST, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0);
        }
        return posted;
    }

    /** Whether the calling thread should ask to be told by the eventfd (and park in the poller). */
    boolean parks() {
        return inJvm && Poller.inVirtualThread();
    }

    /**
     * Waits until batch {@code seq} is answered (returns true) or the child is gone (false).
     * An answer stored just before the child died still counts. A platform thread in the JVM
     * spins first, then sleeps (see the class comment).
     *
     * @param parks the batch was posted with notify: park in the poller rather than in futex
     * @param exec the batch holds an {@code execve}, which only the answer word shows
     */
    boolean await(int seq, boolean parks, boolean exec) throws SyscallException {
        if (remote != null) {
            resultsRead = remote.await(seq, before, count, results);
            return resultsRead;
        }
        if (!inJvm || parks) {
            return sleepUntil(seq, parks, exec);
        }
        // The clock is read only from the second yield on: on one CPU the first one brings the answer.
        long start = 0;
        for (int look = 0; look < 2 || System.nanoTime() - start < SPIN_NANOS; look++) {
            int answer = getInt(ANSWER);
            if (answer == seq || answer == 0) {
                return answer == seq || getInt(ANSWERED) == seq;
            }
            if (look == 1) {
                start = System.nanoTime();
            }
            local.syscall(Sys.SCHED_YIELD);
        }
        putInt(CALLER_LOOKING, 0);
        VarHandle.fullFence(); // the looking word, then the answer word: see the class comment
        try {
            return sleepUntil(seq, false, exec);
        } finally {
            putInt(CALLER_LOOKING, 1);
        }
    }

    /** {@link #await} without a spin: the answer word, then a wait (futex, or the poller's) until it changes. */
    private boolean sleepUntil(int seq, boolean parks, boolean exec) throws SyscallException {
        while (true) {
            int answer = getInt(ANSWER);
            if (answer == seq) {
                return true;
            }
            if (answer == 0) {
                return getInt(ANSWERED) == seq;
            }
            if (parks) {
                parked.park(exec);
            } else {
                futexWait(answer);
            }
        }
    }

    /**
     * Sleeps while the answer word holds {@code value} (a shared wait: see the class comment), at
     * most one slice in another host's memory.
     */
    private void futexWait(int value) throws SyscallException {
        try {
            local.syscall(Sys.FUTEX, base + ANSWER, FUTEX_WAIT, value, timeout, 0, 0);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EAGAIN && e.errno() != Errno.EINTR && !e.errnoName().equals(ETIMEDOUT)) {
                throw e;
            }
        }
    }

    /**
     * Whether the wake of the last batch posted has not gone out (on another host, where it goes
     * with the first wait): the server, asleep until woken, cannot have taken the batch.
     */
    boolean wakeUnsent() {
        return remote != null && remote.wakeUnsent();
    }

    /** Whether the server took batch {@code seq}: then it may have run. */
    boolean taken(int seq) {
        return getInt(TAKEN) == seq;
    }

    /** Whether the last batch posted has been answered: the server waits for the next. */
    boolean idle() {
        return getInt(ANSWERED) == posted;
    }

    /** Reads the results of the last batch, {@code n} requests, for {@link #result}. */
    void readResults(int n) {
        if (!resultsRead) {
            local.readMemory(base + RESULTS, results, 0, n * RESULT_SIZE);
        }
    }

    /** The raw result of request {@code slot}, as {@link #readResults} read it. */
    long result(int slot) {
        return (long) LONG_LE.get(results, slot * RESULT_SIZE);
    }

    /** Closes the JVM's copy of the server's eventfd, if a virtual thread's call fetched it. */
    void closeEventFd() {
        if (parked != null) {
            parked.close();
        }
    }

    /** Puts every word in its state before the first batch, in a region about to be cloned onto. */
    static void reset(SyscallInterface local, long base) {
        byte[] words = new byte[(int) EVENT_COUNT];
        for (long at : new long[] {ANSWER, REQUEST, TAKEN, ANSWERED}) {
            INT_LE.set(words, (int) at, FIRST);
        }
        INT_LE.set(words, 4, -1); // ChildStack's ptid word, between them
        local.writeMemory(base, words, 0, words.length);
        byte[] sleeping = new byte[8]; // the server sleeping word (0), the caller looking word
        INT_LE.set(sleeping, 4, ChildTransport.inJvm(local) ? 1 : 0);
        local.writeMemory(base + SERVER_SLEEPING, sleeping, 0, sleeping.length);
    }

    /**
     * Posts {@code exit(0)} to the server of the region at {@code base}, best effort and without
     * waiting: a server that is or will be idle exits. For a child that may or may not have been
     * made, whose server would otherwise wait forever.
     */
    static void askToExit(SyscallInterface local, long base) {
        Mailbox m = new Mailbox(local, base, ServerEventFd.NONE, -1);
        try {
            m.posted = m.getInt(REQUEST);
            m.encode(0, Sys.EXIT, new long[0]);
            m.post(1, false);
        } catch (SyscallException | RuntimeException e) {
            // nothing (more) to end
        }
    }

    private int getInt(long offset) {
        local.readMemory(base + offset, word, 0, 4);
        return (int) INT_LE.get(word, 0);
    }

    private void putInt(long offset, int value) {
        INT_LE.set(word, 0, value);
        local.writeMemory(base + offset, word, 0, 4);
    }
}
