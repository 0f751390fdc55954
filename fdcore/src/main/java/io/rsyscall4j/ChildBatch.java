package io.rsyscall4j;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Requests for a {@link ConfinedTask}'s child, sent as one batch that its server stops at the
 * first that fails ({@link ChildTransport#pipelineUntilError}): the steps of a set-up in one round
 * trip, each failure still thrown as its own step names it. The strings and structs the requests
 * point to are copied into one scratch buffer, kept until {@link #close}.
 */
final class ChildBatch implements AutoCloseable {
    /** What a failed request is thrown as. */
    @FunctionalInterface
    interface Failure {
        IOException named(ErrnoException e);
    }

    private final ConfinedTask task;
    private final ScratchBuffer buf;
    private final List<SyscallRequest> calls = new ArrayList<>();
    private final List<Failure> failures = new ArrayList<>();
    private int used;

    ChildBatch(ConfinedTask task) throws IOException {
        this.task = task;
        this.buf = FdInternals.scratch(task.addressSpace(), task.sysif());
    }

    /** Copies {@code bytes} into the batch's memory (8-byte aligned); returns their address. */
    long put(byte[] bytes) {
        int at = (used + 7) & ~7;
        if (at + bytes.length > buf.capacity()) {
            throw new IllegalArgumentException("arguments too long for one batch: " + (at + bytes.length) + " bytes");
        }
        buf.write(at, bytes, 0, bytes.length);
        used = at + bytes.length;
        return buf.address() + at;
    }

    /** {@link #put} of {@code s} as a NUL-terminated string. */
    long string(String s) {
        return put(CStrings.cString(s));
    }

    /**
     * Adds the request {@code nr(args)}; returns its index in {@link #run}'s results. If it fails,
     * {@code failure} names it (null: the plain {@link ErrnoException}).
     */
    int add(Failure failure, Sys nr, long... args) {
        calls.add(SyscallRequest.of(nr, args));
        failures.add(failure);
        return calls.size() - 1;
    }

    /**
     * Sends the batch and waits for it: the results, one per request, or the first failure,
     * thrown as its {@link Failure} names it (the requests after it did not run).
     */
    long[] run() throws IOException {
        long[] results = task.process().sysif().pipelineUntilError(calls);
        for (int i = 0; i < results.length; i++) {
            if (ChildTransport.isErrno(results[i])) {
                SyscallRequest r = calls.get(i);
                ErrnoException e = new ErrnoException(r.nr(), (int) -results[i], null);
                Failure f = failures.get(i);
                throw f == null ? e : f.named(e);
            }
        }
        return results;
    }

    /** Gives the memory back. */
    @Override
    public void close() {
        buf.close();
    }
}
