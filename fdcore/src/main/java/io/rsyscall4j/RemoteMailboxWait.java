package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.FUTEX_PRIVATE_FLAG;
import static io.rsyscall4j.api.Linux.FUTEX_WAIT;
import static io.rsyscall4j.api.Linux.FUTEX_WAKE;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * How the JVM waits for the answer of a child whose {@link Mailbox} is in another host's memory.
 * The remote task's server runs the futex wait, with a timeout of
 * {@link RemoteConnection#WAIT_SLICE_NANOS} (a {@code timespec} in the mailbox's words), so that
 * it serves other callers between slices; and a call costs two round trips over the connection:
 * the batch, its wake ({@linkplain #deferWake deferred}) and the first wait go together, then the
 * answer word comes back with the results.
 */
final class RemoteMailboxWait {
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final RemoteConnection remote;
    private final long base;
    /** Where the slice's {@code timespec} is. */
    private final long timeout;
    /** The last post's wake is to go out with the first wait. */
    private boolean wakeDue;

    /**
     * @param remote the connection of the task whose memory holds the mailbox
     * @param base the base of the child's region ({@link ChildStack#base})
     * @param timeout where the slice's {@code timespec} is
     */
    RemoteMailboxWait(RemoteConnection remote, long base, long timeout) {
        this.remote = remote;
        this.base = base;
        this.timeout = timeout;
    }

    /** Holds the wake of the batch just posted back, to go out with the first wait. */
    void deferWake() {
        wakeDue = true;
    }

    /**
     * Whether the wake of the last batch posted has not gone out: the server, asleep until woken,
     * cannot have taken the batch.
     */
    boolean wakeUnsent() {
        return wakeDue;
    }

    /**
     * The deferred wake and a wait of one slice in one round trip, then the answer and answered
     * words with the results in one more, until batch {@code seq} is answered (returns true, its
     * results in {@code results}) or the answer word is cleared (false).
     *
     * @param expect what the answer word holds while the batch is pending
     * @param count the requests in the batch
     */
    boolean await(int seq, int expect, int count, byte[] results) throws SyscallException {
        byte[] words = new byte[(int) Mailbox.ANSWERED + 4];
        byte[] answers = new byte[count * Mailbox.RESULT_SIZE];
        while (true) {
            List<SyscallRequest> calls = new ArrayList<>(2);
            if (wakeDue) {
                calls.add(SyscallRequest.of(Sys.FUTEX, base + Mailbox.REQUEST, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1,
                        0, 0, 0));
            }
            calls.add(SyscallRequest.of(Sys.FUTEX, base + Mailbox.ANSWER, FUTEX_WAIT, expect, timeout, 0, 0));
            long[] raw = remote.pipeline(calls); // SyscallSendError: none of them went out
            wakeDue = false;
            for (int i = 0; i < raw.length; i++) {
                int errno = ChildTransport.isErrno(raw[i]) ? (int) -raw[i] : 0;
                if (errno != 0 && errno != Errno.EAGAIN && errno != Errno.EINTR
                        && !Errno.name(errno).equals(Mailbox.ETIMEDOUT)) {
                    throw ErrnoException.of(Sys.FUTEX, errno, calls.get(i).args());
                }
            }
            remote.readMemory(new long[] {base, base + Mailbox.RESULTS}, new byte[][] {words, answers});
            int answer = (int) INT_LE.get(words, (int) Mailbox.ANSWER);
            if (answer == seq || (answer == 0 && (int) INT_LE.get(words, (int) Mailbox.ANSWERED) == seq)) {
                System.arraycopy(answers, 0, results, 0, answers.length);
                return true;
            }
            if (answer == 0) {
                return false;
            }
            expect = answer;
        }
    }
}
