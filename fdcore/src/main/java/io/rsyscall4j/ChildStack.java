package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.FUTEX_WAIT;
import static io.rsyscall4j.api.Linux.FUTEX_WAKE;
import static io.rsyscall4j.api.Linux.MAP_STACK;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The JVM memory one child task owns: its stack, the words {@code clone} writes, and the buffers
 * the JVM uses to talk to it. One anonymous mapping ({@link SpareRegions}), given back only once
 * the child is known to be done with it (rsyscall never frees a child's stack).
 *
 * <p>Every child shares the JVM's address space ({@code CLONE_VM}), so these JVM addresses are the
 * child's addresses too: the kernel writes the pidfd and clears the futex word here, the child
 * runs its server on the stack here, and pointer arguments of syscalls run in the child may point
 * anywhere in JVM memory.
 *
 * <p>Layout, from the base:
 * <pre>
 *     0  int  the answer word, which is also the ctid: the kernel clears it (and futex-wakes it)
 *             when the child exits or execs ({@link Mailbox})
 *     4  int  ptid: where CLONE_PIDFD stores the pidfd number
 *     8  ...  the rest of the mailbox's words
 *    64  ...  scratch for syscalls made on the child's behalf ({@link #scratch()}, 4032 bytes)
 *  4096  ...  the mailbox's requests and results (up to {@link Mailbox#END})
 *  8192  ...  the child's stack, growing down from base + 16384
 * </pre>
 * The server needs under 200 bytes of stack; all signals stay blocked in the child, so no JVM
 * signal handler ever runs on it.
 */
final class ChildStack {
    static final long SIZE = 16384;
    static final long SCRATCH_SIZE = 4032;
    private static final long PTID = 4;
    private static final long SCRATCH = 64;

    private final SyscallInterface local;
    private final long base;
    private boolean freed;

    private ChildStack(SyscallInterface local, long base) {
        this.local = local;
        this.base = base;
    }

    /**
     * A region of {@code local}'s memory ({@link SpareRegions}: a fresh mapping, or one an earlier
     * child is done with), which {@link #prepare} readies.
     */
    static ChildStack allocate(SyscallInterface local) throws SyscallException {
        return new ChildStack(local, SpareRegions.map(local, SIZE, MAP_STACK));
    }

    /**
     * Puts the entry frame on the stack and arms the mailbox's words; returns the stack pointer to
     * give {@code clone}. The frame is what both {@code spawn} and a nested clone's {@code ret}
     * pop: the trampoline's address, then what the trampoline pops: the expected parent's pid, the
     * mailbox and the server's eventfd.
     *
     * @param parentPid the process that runs the clone: a child that finds another parent after
     *     setting its parent-death signal was orphaned before, and exits rather than serve
     * @param eventFd the eventfd the server writes for a batch that asks, in the child's table
     */
    long prepare(long trampoline, int parentPid, int eventFd) {
        long top = base + SIZE;
        putLong(top - 32, trampoline);
        putLong(top - 24, parentPid);
        putLong(top - 16, base);
        putLong(top - 8, eventFd);
        Mailbox.reset(local, base);
        return top - 32;
    }

    /** The base of the region, where the mailbox starts. */
    long base() {
        return base;
    }

    long ctidAddress() {
        return base + Mailbox.ANSWER;
    }

    long ptidAddress() {
        return base + PTID;
    }

    long scratch() {
        return base + SCRATCH;
    }

    /**
     * Whether the kernel has cleared the futex word: the child exited or exec'd, and will never
     * touch this memory again.
     */
    boolean childDone() {
        return getInt(Mailbox.ANSWER) == 0;
    }

    int ptid() {
        return getInt(PTID);
    }

    /**
     * For a caller that will sleep on the answer word from the clone on ({@link #sleepUntilFirstMove}),
     * after {@link #prepare}: the server is to wake it with its first answer, rather than leave
     * it for a spinning caller to see.
     */
    void callerSleeps() {
        putInt(Mailbox.CALLER_LOOKING, 0);
    }

    /**
     * Sleeps while the answer word is as {@link #prepare} left it: until the child's server
     * answered its first batch, or the child exec'd, exited or died, or {@link #noChild} said the
     * clone failed. A platform thread's wait, not interruptible.
     *
     * @throws ErrnoException the futex wait failed other than by a change or a signal
     */
    void sleepUntilFirstMove() throws SyscallException {
        while (getInt(Mailbox.ANSWER) == Mailbox.FIRST) {
            try {
                local.syscall(Sys.FUTEX, ctidAddress(), FUTEX_WAIT, Mailbox.FIRST, 0, 0, 0);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EAGAIN && e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }

    /**
     * The clone made no child: clears the answer word, as a child's end would, and wakes a caller
     * {@linkplain #sleepUntilFirstMove sleeping} on it.
     */
    void noChild() throws SyscallException {
        putInt(Mailbox.ANSWER, 0);
        local.syscall(Sys.FUTEX, ctidAddress(), FUTEX_WAKE, 1, 0, 0, 0);
    }

    /**
     * Gives the region back ({@link SpareRegions#unmap}). Only once {@link #childDone()}: a child
     * still running would fault, or run on memory the next child uses.
     */
    synchronized void free() throws SyscallException {
        if (freed) {
            return;
        }
        if (!childDone()) {
            throw new IllegalStateException("child stack at 0x" + Long.toHexString(base) + " is still in use");
        }
        freed = true;
        SpareRegions.unmap(local, base, SIZE);
    }

    /** Gives back the region of a child that was never made. */
    void freeUnused() throws SyscallException {
        putInt(Mailbox.ANSWER, 0);
        free();
    }

    private void putLong(long address, long value) {
        byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
        local.writeMemory(address, b, 0, 8);
    }

    private void putInt(long offset, int value) {
        byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
        local.writeMemory(base + offset, b, 0, 4);
    }

    private int getInt(long offset) {
        byte[] b = new byte[4];
        local.readMemory(base + offset, b, 0, 4);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }
}
