package io.rsyscall4j.fd;

import static io.rsyscall4j.api.Linux.FD_CLOEXEC;
import static io.rsyscall4j.api.Linux.F_SETFD;

import io.rsyscall4j.api.Sys;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.ref.Reference;
import java.util.Objects;

/**
 * {@link FileDescriptor#dup2} and {@link FileDescriptor#dup3}: the number changes owner from the
 * target handle to the result in one critical section, so it is never without one.
 */
final class Dup {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");

    private Dup() {}

    /**
     * {@code dup3(2)} of {@code fd} onto {@code target}'s number with {@code flags}, as
     * {@link FileDescriptor#dup3} documents it; {@code op} names the call in errors and logs.
     */
    static FileDescriptor dup(FileDescriptor fd, FileDescriptor target, int flags, String op) throws IOException {
        Objects.requireNonNull(target, "target");
        FileDescriptorTask task = fd.task();
        int number = fd.number();
        if (task.isManipulatingFdTable()) {
            throw new IllegalStateException("can't " + op + " fd " + number + " of " + task
                    + ": the task is manipulating its fd table");
        }
        try (Borrowed src = fd.borrow(task)) {
            FDTable t = FDTable.lockTableOf(task);
            try {
                target.checkValidLocked(op + " target");
                if (target.task().fdTable() != t) {
                    throw new FDTableMismatchException("can't " + op + " fd " + number + " of " + task + " onto fd "
                            + target.number() + " of " + target.task() + ": that handle is in " + target.task().fdTable()
                            + ", this task is in " + t);
                }
                int handles = t.entryLocked(target.number()).handles.size();
                if (handles != 1) {
                    throw new IllegalStateException("can't " + op + " fd " + number + " onto fd " + target.number()
                            + " of " + target.task() + ": the target has " + (handles - 1)
                            + " other handles, and the dup would change their file too");
                }
                // Hold the target number like a borrow, so nothing closes it during the syscall.
                t.entryLocked(target.number()).borrows++;
            } finally {
                t.lock.unlock();
            }
            boolean done = false;
            try {
                if (src.number() == target.number()) {
                    task.sysif().syscall(Sys.FCNTL, src.number(), F_SETFD, flags == 0 ? 0 : FD_CLOEXEC);
                } else {
                    task.sysif().syscall(Sys.DUP3, src.number(), target.number(), flags);
                }
                done = true;
            } finally {
                if (!done) {
                    HandleRelease.endBorrow(t, target.task(), target.number()); // closes it if it lost its handle meanwhile
                }
            }
            // One critical section: the result owns the number before the target lets go of it and
            // before the hold ends, so the number is never without an owner.
            FileDescriptor result = null;
            RuntimeException failure = null;
            HandleRelease.BorrowEnd end;
            t.lock.lock();
            try {
                if (src.number() != target.number()) {
                    t.forgetInheritedLocked(target.number()); // the copy there was replaced
                }
                try {
                    result = t.makeHandleLocked(task, target.number());
                    consumeLocked(target, t);
                } catch (RuntimeException e) {
                    // The task began changing tables during the syscall: the target keeps the number.
                    failure = e;
                }
                end = HandleRelease.endBorrowLocked(t, target.number(), target.task());
            } finally {
                t.lock.unlock();
                Reference.reachabilityFence(target);
            }
            if (failure != null) {
                HandleRelease.afterBorrowEnd(t, end, target.task(), target.number());
                throw failure;
            }
            if (end != HandleRelease.BorrowEnd.NOTHING) {
                throw new IllegalStateException("internal error: " + op + " onto fd " + target.number() + " left it unowned");
            }
            LOG.log(Level.DEBUG, "{0}: {1} fd {2} onto fd {3}", task, op, number, target.number());
            target.task().handleReplaced(target, result);
            return result;
        }
    }

    /** The dup target's end: invalid, without a close (the dup's result owns the number now). */
    private static void consumeLocked(FileDescriptor target, FDTable t) {
        if (HandleRelease.removeLocked(t, target.state, false) == HandleRelease.Removal.CLOSE_LATER) {
            throw new IllegalStateException("internal error: consuming dup target " + target + " left its fd unowned");
        }
        LOG.log(Level.DEBUG, "dup target {0} consumed", target);
    }
}
