package io.rsyscall4j.fd;

import static io.rsyscall4j.api.Linux.MAP_ANONYMOUS;
import static io.rsyscall4j.api.Linux.MAP_PRIVATE;
import static io.rsyscall4j.api.Linux.PROT_READ;
import static io.rsyscall4j.api.Linux.PROT_WRITE;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An address space, compared by identity (rsyscall's {@code far.AddressSpace}), and the scratch
 * memory rsyscall4j keeps in it for syscalls that take pointers.
 *
 * <p>A syscall that reads or writes memory ({@code read}, {@code write}, {@code openat}'s path,
 * {@code pipe2}'s two ints) needs that memory in the address space of the task that runs it. The JVM
 * and the children it clones with {@code CLONE_VM} share one address space, hence one object and
 * one pool: buffers are {@code mmap}'d once, through the syscall interface of the task that first
 * needs one, and then reused by every thread and task of the space — no native allocation per
 * call. The pool grows to the number of syscalls in flight at once and keeps up to
 * {@value #MAX_POOLED} spare buffers; beyond that, released buffers are unmapped.
 */
public final class AddressSpace {
    /** The size of one scratch buffer: a pipe's default capacity, and ample for any path. */
    public static final int SCRATCH_SIZE = 64 * 1024;
    static final int MAX_POOLED = 64;
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");
    private static final AtomicInteger IDS = new AtomicInteger();

    private final int id = IDS.incrementAndGet();
    private final int creatorPid;
    /**
     * The most recently released buffer, taken and given back with one atomic step each: the
     * common case (one syscall with a pointer at a time) then never enters the pool's lock.
     * Counts as one of the {@value #MAX_POOLED} spares.
     */
    private final AtomicReference<ScratchBuffer> last = new AtomicReference<>();
    private final ArrayDeque<ScratchBuffer> free = new ArrayDeque<>();
    private int mapped;
    /** Takes buffers back; apart from this class so that {@code release} stays out of its API. */
    private final ScratchBuffer.Pool pool = new ScratchBuffer.Pool() {
        @Override
        public void release(ScratchBuffer b, SyscallInterface through) {
            AddressSpace.this.release(b, through);
        }

        @Override
        public String toString() {
            return AddressSpace.this.toString();
        }
    };

    /** Made by fdcore only ({@code FdInternals.newAddressSpace}): one per address space it knows. */
    AddressSpace(int creatorPid) {
        this.creatorPid = creatorPid;
    }

    /** The pid of the task this address space was made for (for debugging). */
    public int creatorPid() {
        return creatorPid;
    }

    /**
     * A {@value #SCRATCH_SIZE}-byte scratch buffer in this address space, used through
     * {@code sysif} (which must run in this address space) until {@link ScratchBuffer#close}.
     *
     * @throws SyscallException mapping a new buffer failed
     */
    ScratchBuffer scratch(SyscallInterface sysif) throws SyscallException {
        ScratchBuffer b = last.getAndSet(null);
        if (b == null) {
            synchronized (free) {
                b = free.pollFirst();
            }
        }
        if (b == null) {
            long address = sysif.syscall(Sys.MMAP, 0, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            b = new ScratchBuffer(pool, address, SCRATCH_SIZE);
            int count;
            synchronized (free) {
                count = ++mapped;
            }
            LOG.log(Level.DEBUG, "{0}: mapped scratch buffer {1} at 0x{2} through {3}", this, count,
                    Long.toHexString(address), sysif.provider());
        }
        b.acquire(sysif);
        return b;
    }

    void release(ScratchBuffer b, SyscallInterface sysif) {
        if (last.compareAndSet(null, b)) {
            return;
        }
        synchronized (free) {
            if (free.size() < MAX_POOLED - 1) {
                free.addFirst(b);
                return;
            }
            mapped--;
        }
        try {
            sysif.syscall(Sys.MUNMAP, b.address(), b.capacity());
        } catch (SyscallException e) {
            LOG.log(Level.DEBUG, "{0}: unmapping a spare scratch buffer failed: {1}", this, e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "AddressSpace#" + id + "(creator pid " + creatorPid + ")";
    }
}
