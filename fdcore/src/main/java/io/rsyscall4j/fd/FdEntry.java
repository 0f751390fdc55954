package io.rsyscall4j.fd;

import java.util.ArrayList;

/**
 * One fd number's row in an {@link FDTable}: the live handles to it (rsyscall's
 * {@code near_to_handles[fd]}), and how many {@link Borrowed}s are using the number right now.
 *
 * <p>An entry with no handles and no borrows is <em>unowned</em>: the fd is still open and nobody
 * wants it, so garbage collection closes it. An entry with no handles but some borrows is closed
 * by whoever ends the last borrow. Guarded by the table's lock.
 */
final class FdEntry {
    /** Almost always one or two handles: a list beats a hash set in size and speed. */
    final ArrayList<HandleState> handles = new ArrayList<>(1);
    int borrows;
    /** A table was copied from this one while the fd had handles: its copies go once they are gone. */
    boolean copied;

    boolean isUnowned() {
        return handles.isEmpty() && borrows == 0;
    }
}
