package io.rsyscall4j.fd;

import io.rsyscall4j.api.SyscallException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Map;

/**
 * How the owners of a number in an {@link FDTable} let go of it: a handle taken out of tracking
 * (invalidated, closed, moved, consumed, collected) or a borrow ended, and who must close the fd
 * then. Whoever is told to close now has taken responsibility: the number is out of the table, so
 * nobody else closes it. Every {@code *Locked} method needs the table's lock held.
 */
final class HandleRelease {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");

    private HandleRelease() {}

    /** What removing one handle from tracking left to do. */
    enum Removal {
        /** The handle was already invalid: nothing happened. */
        WAS_INVALID,
        /** Other handles still own the fd. */
        OTHERS_REMAIN,
        /** It was the last handle and the caller took responsibility: the caller must close the fd now. */
        CLOSE_NOW,
        /** It was the last handle; the fd is closed later (by the last borrow's end, or by GC). */
        CLOSE_LATER
    }

    /**
     * Takes {@code s} out of {@code t}'s tracking (rsyscall's {@code _invalidate}). With
     * {@code takeResponsibility} the caller closes the fd if this was its last handle; without (for
     * a collected handle) the fd is left unowned for GC, which batches closes.
     */
    static Removal removeLocked(FDTable t, HandleState s, boolean takeResponsibility) {
        if (!s.valid) {
            return Removal.WAS_INVALID;
        }
        s.valid = false;
        s.ref.clear();
        s.member.fdHandles.remove(s);
        FdEntry e = t.nearToHandles.get(s.number);
        if (e == null || !e.handles.remove(s)) {
            throw new IllegalStateException("internal error: " + s + " is valid but not tracked by " + t);
        }
        if (!e.handles.isEmpty()) {
            return Removal.OTHERS_REMAIN;
        }
        if (e.borrows > 0) {
            return Removal.CLOSE_LATER;
        }
        if (!takeResponsibility || s.member.manipulating) {
            // A task that is changing fd table must not close anything: the number may belong to
            // the table it is leaving. GC closes it once the change is done.
            t.unowned.set(s.number);
            return Removal.CLOSE_LATER;
        }
        takeLocked(t, s.number, e);
        return Removal.CLOSE_NOW;
    }

    /**
     * Does what removing {@code fd}'s handle from {@code t} left to do: closes the fd through its
     * task if the caller took responsibility. True if that was the fd's last handle.
     */
    static boolean finish(FDTable t, FileDescriptor fd, Removal removal) throws SyscallException {
        switch (removal) {
            case WAS_INVALID:
                return false;
            case OTHERS_REMAIN:
                if (LOG.isLoggable(Level.DEBUG)) {
                    LOG.log(Level.DEBUG, "invalidating {0}: some handles remaining", fd);
                }
                return false;
            case CLOSE_LATER:
                // Borrowed: the last borrow's end closes it. Task changing tables: the change's GC does.
                if (LOG.isLoggable(Level.DEBUG)) {
                    LOG.log(Level.DEBUG, "invalidating {0}: no handles remaining, close put off (borrowed,"
                            + " or task changing fd table)", fd);
                }
                return true;
            default:
                // Checked first: every close passes here, and the varargs call costs even when off.
                if (LOG.isLoggable(Level.DEBUG)) {
                    LOG.log(Level.DEBUG, "invalidating {0}: no handles remaining, closing", fd);
                }
                t.closeTakenNumber(fd.task(), fd.number());
                return true;
        }
    }

    /** What the end of a borrow left to do. */
    enum BorrowEnd {
        /** The fd still has handles or other borrows. */
        NOTHING,
        /** It was the last use of an fd without handles; the caller took responsibility to close it. */
        CLOSE_NOW,
        /** As CLOSE_NOW, but the borrowing task cannot close in this table now: left for GC. */
        LEFT_FOR_GC
    }

    /** Ends {@code task}'s borrow of {@code number} in {@code t}; says who closes the fd if that was its last use. */
    static BorrowEnd endBorrowLocked(FDTable t, int number, FileDescriptorTask task) {
        FdEntry e = t.nearToHandles.get(number);
        if (e == null || e.borrows <= 0) {
            throw new IllegalStateException("internal error: borrow of fd " + number + " not recorded in " + t);
        }
        e.borrows--;
        if (e.borrows > 0 || !e.handles.isEmpty()) {
            return BorrowEnd.NOTHING;
        }
        if (task.fdTable() != t || task.isManipulatingFdTable()) {
            t.unowned.set(number);
            return BorrowEnd.LEFT_FOR_GC;
        }
        takeLocked(t, number, e);
        return BorrowEnd.CLOSE_NOW;
    }

    /** Ends {@code task}'s borrow of {@code number} and does what that leaves to do ({@link #afterBorrowEnd}). */
    static void endBorrow(FDTable t, FileDescriptorTask task, int number) throws SyscallException {
        BorrowEnd end;
        t.lock.lock();
        try {
            end = endBorrowLocked(t, number, task);
        } finally {
            t.lock.unlock();
        }
        afterBorrowEnd(t, end, task, number);
    }

    /** Does what the end of a borrow left to do: closes the number through {@code task}, or asks for a GC. */
    static void afterBorrowEnd(FDTable t, BorrowEnd end, FileDescriptorTask task, int number) throws SyscallException {
        if (end == BorrowEnd.CLOSE_NOW) {
            LOG.log(Level.DEBUG, "{0}: borrow of fd {1} ended after its last handle went; closing", task, number);
            t.closeTakenNumber(task, number);
        } else if (end == BorrowEnd.LEFT_FOR_GC) {
            Reaper.requestGc(t);
        }
    }

    /** The caller takes responsibility for closing {@code number}, whose entry {@code e} has no owner left. */
    private static void takeLocked(FDTable t, int number, FdEntry e) {
        t.nearToHandles.remove(number);
        t.forgetInheritedLocked(number);
        t.inherited.takenLocked(number, e);
    }

    /**
     * Takes out of {@code t}'s tracking every handle of it the JVM's GC has already cleared,
     * whether or not the reference handler has queued it for the reaper yet; returns how many.
     *
     * <p>One pass over the entries, each collected handle taken out where it is found (as
     * {@link #removeLocked} without responsibility would, less the lookups): after a collection
     * this runs over thousands of handles, and each lookup saved is one per handle.
     */
    static int collectClearedLocked(FDTable t) {
        boolean debug = LOG.isLoggable(Level.DEBUG);
        int count = 0;
        for (Map.Entry<Integer, FdEntry> me : t.nearToHandles.entrySet()) {
            FdEntry e = me.getValue();
            ArrayList<HandleState> handles = e.handles;
            boolean removed = false;
            for (int i = handles.size() - 1; i >= 0; i--) {
                HandleState s = handles.get(i);
                if (s.member.fdTable == t && s.ref.refersTo(null)) {
                    // Tracked handles are valid; the GC has cleared the reference already.
                    handles.remove(i);
                    s.valid = false;
                    s.member.fdHandles.remove(s);
                    removed = true;
                    count++;
                    if (debug) {
                        logCollected(s, handles.isEmpty() ? Removal.CLOSE_LATER : Removal.OTHERS_REMAIN);
                    }
                }
            }
            if (removed && e.isUnowned()) {
                t.unowned.set(me.getKey());
            }
        }
        return count;
    }

    /** Logs (at DEBUG) that the GC collected {@code s}, and what its removal left. */
    static void logCollected(HandleState s, Removal removal) {
        if (removal != Removal.WAS_INVALID && LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "gc: handle for fd {0} of {1} was garbage-collected ({2})", s.number, s.member,
                    removal == Removal.CLOSE_LATER ? "no handles left" : "other handles remain");
        }
    }
}
