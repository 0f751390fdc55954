package io.rsyscall4j.fd;

import static io.rsyscall4j.api.Linux.F_SETFD;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.lang.ref.Reference;
import java.nio.channels.ByteChannel;
import java.util.Arrays;
import java.util.Objects;

/**
 * One task's handle to a file descriptor: an fd number, in the fd table of {@link #task()}, that
 * this handle (with any other handles to the same number) owns.
 *
 * <p>The ownership rule, in one sentence: an fd is closed exactly once, when its last handle is
 * invalidated ({@link #invalidate}, {@link #close}) or garbage-collected — never while a handle or a
 * {@link Borrowed} to it is live.
 *
 * <p>Several handles may share an fd: {@link #forTask} makes another one (for another task in the
 * same table, or the same task), {@link #inherit} one in a child's copied table, {@link #move} hands
 * this one over. A handle that is dropped without being invalidated is noticed by Java's GC and its
 * fd closed in the background, as rsyscall relies on Python's GC.
 *
 * <p>An invalidated handle refuses every use with {@link InvalidHandleException}: its number may
 * already belong to another file. Handles are thread-safe; syscalls through them run on the calling
 * thread, with the number {@linkplain #borrow borrowed} so no concurrent invalidate closes it
 * underneath. Memory for I/O is a pooled scratch buffer in the task's address space, so a single
 * {@code read} or {@code write} moves at most {@value AddressSpace#SCRATCH_SIZE} bytes (short reads
 * and writes are what {@code read(2)} and {@code write(2)} may always do).
 *
 * <p>{@link #inputStream}, {@link #outputStream} and {@link #channel} adapt a handle for JDK code,
 * which closes what it is given: each owns the handle from then on, and its {@code close()}
 * invalidates the handle (closing the fd unless other handles to it remain).
 *
 * <p>{@link AutoCloseable}: try-with-resources calls {@link #close}, with the seed's rules, so put
 * in a {@code try} a handle the block ends owning alone.
 */
public final class FileDescriptor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");

    private final FileDescriptorTask task;
    private final int number;
    final HandleState state;

    FileDescriptor(FileDescriptorTask task, int number) {
        this.task = task;
        this.number = number;
        this.state = new HandleState(task, number, this);
    }

    /** The task whose syscalls this handle's number is for. */
    public FileDescriptorTask task() {
        return task;
    }

    /** The fd number (rsyscall's near fd): meaningful only in {@code task().fdTable()}. */
    public int number() {
        return number;
    }

    /** Whether this handle still owns its fd (it was not invalidated, closed, moved or consumed). */
    public boolean isValid() {
        return state.valid;
    }

    /**
     * Invalidates this handle; if it was the last handle to the fd, closes the fd through this
     * handle's task. Invalidating an invalid handle does nothing and returns false.
     *
     * <p>If the fd is {@linkplain #borrow borrowed} at the moment, the close is put off until the
     * borrow ends; if the task is changing fd tables, it is left to GC. If the close cannot be sent
     * (the task is gone), the fd goes back to the table and another live task of the table closes
     * it; if it hangs up (the task died after reading it: it may have run, freeing the number for
     * reuse), it is not retried.
     *
     * @return true if this was the last handle, so the fd is closed (or its close is committed)
     * @throws SyscallException {@code close(2)} failed with an errno; the fd is not retried (on
     *     Linux it is released anyway) and not tracked any more
     */
    public boolean invalidate() throws SyscallException {
        FDTable t = FDTable.lockTableOf(task);
        HandleRelease.Removal removal;
        try {
            removal = HandleRelease.removeLocked(t, state, true);
        } finally {
            t.lock.unlock();
            Reference.reachabilityFence(this);
        }
        return HandleRelease.finish(t, this, removal);
    }

    /**
     * Closes the fd: allowed only if this handle is valid and the only handle to it, since closing
     * would break the others (use {@link #invalidate} then). rsyscall's {@code close}, and what
     * try-with-resources calls.
     *
     * <p>The seed's rules hold at the end of a {@code try} block too: a handle moved, consumed (the
     * target of a {@link #dup2}) or invalidated in the block makes this throw
     * {@link InvalidHandleException}, and one given other handles ({@link #forTask}) makes it throw
     * {@link IllegalStateException} and close nothing. A handle that is given away or shared is
     * released with {@link #invalidate} instead.
     *
     * @throws InvalidHandleException this handle is invalid
     * @throws IllegalStateException other handles to the fd exist; nothing is closed
     * @throws SyscallException {@code close(2)} failed with an errno
     */
    @Override
    public void close() throws SyscallException {
        FDTable t = FDTable.lockTableOf(task);
        HandleRelease.Removal removal;
        try {
            checkValidLocked("close");
            int handles = t.entryLocked(number).handles.size();
            if (handles != 1) {
                throw new IllegalStateException("can't close fd " + number + " of " + task + ": there are "
                        + (handles - 1) + " other handles to it; invalidate() this one instead");
            }
            removal = HandleRelease.removeLocked(t, state, true);
        } finally {
            t.lock.unlock();
            Reference.reachabilityFence(this);
        }
        HandleRelease.finish(t, this, removal);
    }

    /**
     * A handle to the copy of this fd in {@code task}'s table, which was copied from this handle's
     * table while this handle lived (rsyscall's {@code inherit}; see
     * {@link FileDescriptorTask#inheritFd}).
     */
    public FileDescriptor inherit(FileDescriptorTask task) {
        return task.inheritFd(this);
    }

    /**
     * Another handle to the same fd, for {@code task}, which must be in the same fd table (two tasks
     * share a table when one was cloned from the other with {@code CLONE_FILES}; the JVM's local
     * tasks all share the JVM's). The fd then has several handles, so {@link #close} is refused until
     * the others are gone; {@link #invalidate} each instead, or let them be collected.
     *
     * @throws InvalidHandleException this handle is invalid
     * @throws FDTableMismatchException {@code task} is in another fd table
     */
    public FileDescriptor forTask(FileDescriptorTask task) {
        FDTable t = lockForUseBy(task, "forTask");
        try {
            return t.makeHandleLocked(task, number);
        } finally {
            t.lock.unlock();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * {@link #forTask}{@code (task)}, and invalidates this handle — without a syscall, since the new
     * handle keeps the fd open. Expresses "hand this fd over"; atomic, so the fd is never without a
     * handle in between.
     */
    public FileDescriptor move(FileDescriptorTask task) {
        FDTable t = lockForUseBy(task, "move");
        try {
            FileDescriptor moved = t.makeHandleLocked(task, number);
            HandleRelease.Removal removal = HandleRelease.removeLocked(t, state, true);
            if (removal != HandleRelease.Removal.OTHERS_REMAIN) {
                throw new IllegalStateException("internal error: moving " + this + " left " + removal);
            }
            LOG.log(Level.DEBUG, "moved fd {0} from {1} to {2}", number, this.task, task);
            return moved;
        } finally {
            t.lock.unlock();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Validates that this fd may be used by {@code task} (this handle is valid; same fd table) and
     * lends its number until the returned {@link Borrowed} is closed. While borrowed, the fd stays
     * open even if every handle to it is invalidated or collected; that close happens when the last
     * borrow ends. Every I/O method here borrows.
     *
     * @throws InvalidHandleException this handle is invalid
     * @throws FDTableMismatchException {@code task} is in another fd table
     */
    public Borrowed borrow(FileDescriptorTask task) {
        FDTable t = lockForUseBy(task, "borrow");
        try {
            t.entryLocked(number).borrows++;
        } finally {
            t.lock.unlock();
            Reference.reachabilityFence(this);
        }
        return new Borrowed(t, task, number);
    }

    /** Whether this valid handle is the only handle to its fd (so {@link #close} is allowed). */
    public boolean isOnlyHandle() {
        FDTable t = FDTable.lockTableOf(task);
        try {
            return state.valid && t.entryLocked(number).handles.size() == 1;
        } finally {
            t.lock.unlock();
            Reference.reachabilityFence(this);
        }
    }

    // ---- I/O ----

    /**
     * {@code read(2)} into {@code buf[off, off+len)}, at most {@value AddressSpace#SCRATCH_SIZE}
     * bytes at once.
     *
     * <p>In a virtual thread, a read that would block parks the thread rather than its carrier
     * (the local task's fds wait for {@code POLLIN} in fdcore's poller, then read; a child task's
     * call parks while the child blocks). There an {@link Thread#interrupt interrupt} ends a read
     * of the local task's fd that waits: it throws {@link java.io.InterruptedIOException} having
     * read nothing, the handle still valid and the interrupt status cleared. Platform threads
     * block in {@code read(2)} as before.
     *
     * @return the number of bytes read; 0 at end of file (as {@code read(2)}, not -1)
     * @throws java.io.InterruptedIOException a virtual thread waiting for data was interrupted
     */
    public int read(byte[] buf, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, buf.length);
        return FdIo.read(this, buf, off, len);
    }

    /** {@code read(2)} of at most {@code max} bytes; an empty array at end of file. */
    public byte[] read(int max) throws IOException {
        if (max < 0) {
            throw new IllegalArgumentException("read of fd " + number + ": negative size " + max);
        }
        byte[] buf = new byte[Math.min(max, AddressSpace.SCRATCH_SIZE)];
        int n = read(buf, 0, buf.length);
        return n == buf.length ? buf : Arrays.copyOf(buf, n);
    }

    /**
     * {@code write(2)} of {@code buf[off, off+len)}, at most {@value AddressSpace#SCRATCH_SIZE} bytes
     * at once.
     *
     * <p>In a virtual thread, a write that would wait for room parks the thread, as {@link #read}
     * does, and is interruptible the same way (nothing written); a local fd's write then moves at
     * most {@code PIPE_BUF} (4096) bytes, what room {@code poll} promises.
     *
     * @return the number of bytes written
     * @throws java.io.InterruptedIOException a virtual thread waiting for room was interrupted
     */
    public int write(byte[] buf, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, buf.length);
        return FdIo.write(this, buf, off, len);
    }

    /** Writes all of {@code data}, calling {@code write(2)} until it is all written. */
    public void writeAll(byte[] data) throws IOException {
        int off = 0;
        while (off < data.length) {
            off += write(data, off, data.length - off);
        }
    }

    /**
     * An {@code InputStream} that reads this fd and owns this handle: closing the stream
     * invalidates the handle, which closes the fd unless other handles to it remain. Unbuffered
     * (each read is one {@code read(2)}); -1 at end of file; once closed, or once the handle is
     * invalid, reads throw an {@code IOException} naming the fd.
     */
    public InputStream inputStream() {
        return new FdInputStream(this);
    }

    /**
     * An {@code OutputStream} that writes this fd and owns this handle: closing the stream
     * invalidates the handle, which closes the fd unless other handles to it remain. Unbuffered;
     * each write returns once all its bytes are written.
     */
    public OutputStream outputStream() {
        return new FdOutputStream(this);
    }

    /**
     * A blocking {@code ByteChannel} over this fd that owns this handle: closing the channel
     * invalidates the handle, which closes the fd unless other handles to it remain. A read is
     * one {@code read(2)} (-1 at end of file), a write writes all remaining bytes; direct buffers
     * go to the kernel without a copy. Reading or writing what the fd was not opened for fails
     * with {@code EBADF}, as the syscall does.
     */
    public ByteChannel channel() {
        return new FdChannel(this);
    }

    /** {@code lseek(2)}: {@code whence} is one of {@link SeekWhence}. Returns the new offset. */
    public long lseek(long offset, int whence) throws IOException {
        try (Borrowed b = borrow(task)) {
            return task.sysif().syscall(Sys.LSEEK, b.number(), offset, whence);
        }
    }

    /**
     * {@code dup2(2)}: makes {@code target}'s number refer to this fd's file, with close-on-exec
     * clear there (what an exec'd program should inherit). The usual way to set up a child's stdin
     * and stdout before exec. See {@link #dup3}: {@code target} is consumed. Keep the returned
     * handle reachable until the exec (a child task holds its own stdin, stdout and stderr
     * handles; any other dropped handle's fd may be closed by the GC before the exec).
     */
    public FileDescriptor dup2(FileDescriptor target) throws IOException {
        return Dup.dup(this, target, 0, "dup2");
    }

    /**
     * {@code dup3(2)}: makes {@code target}'s number refer to this fd's file, closing what it
     * referred to before, with {@code flags} ({@code 0} or {@link OpenFlags#O_CLOEXEC}).
     *
     * <p>As in rsyscall, {@code target} must be the only handle to its fd (the dup replaces the file
     * under every handle of that number). It is consumed: invalidated without a close, since the
     * returned handle — for this handle's task, at {@code target}'s number — owns the fd now.
     * Duplicating a handle onto its own number (which {@code dup3} itself refuses with EINVAL) sets
     * the requested close-on-exec flag and otherwise leaves the fd as it is.
     *
     * @throws InvalidHandleException either handle is invalid
     * @throws IllegalStateException {@code target} has other handles
     * @throws FDTableMismatchException {@code target} is in another fd table than this handle's task
     */
    public FileDescriptor dup3(FileDescriptor target, int flags) throws IOException {
        if ((flags & ~OpenFlags.O_CLOEXEC) != 0) {
            throw new IllegalArgumentException("dup3 of fd " + number + " onto fd " + target.number
                    + ": flags may only be 0 or O_CLOEXEC, got 0" + Integer.toOctalString(flags));
        }
        return Dup.dup(this, target, flags, "dup3");
    }

    /** Clears close-on-exec ({@code fcntl(F_SETFD, 0)}), so an exec'd program inherits this fd. */
    public void disableCloexec() throws IOException {
        try (Borrowed b = borrow(task)) {
            task.sysif().syscall(Sys.FCNTL, b.number(), F_SETFD, 0);
        }
    }

    // ---- checks ----

    void checkValidLocked(String op) {
        if (!state.valid) {
            throw new InvalidHandleException("can't " + op + " fd " + number + " of " + task
                    + ": the handle is no longer valid (invalidated, closed, moved or consumed)");
        }
    }

    /**
     * Locks and returns this handle's table, once this handle is valid and {@code other} is in
     * that table too; the caller unlocks it.
     */
    private FDTable lockForUseBy(FileDescriptorTask other, String op) {
        Objects.requireNonNull(other, "task");
        FDTable t = FDTable.lockTableOf(task);
        try {
            checkValidLocked(op);
            if (other.fdTable() != t) {
                throw new FDTableMismatchException("can't " + op + " fd " + number + " of " + task + " for " + other
                        + ": the handle is in " + t + ", that task is in " + other.fdTable());
            }
            return t;
        } catch (RuntimeException e) {
            t.lock.unlock();
            throw e;
        }
    }

    @Override
    public String toString() {
        return "FileDescriptor[" + number + ", " + task + (state.valid ? "]" : ", invalid]");
    }
}
