package io.rsyscall4j.fd;

import java.lang.ref.PhantomReference;

/**
 * What the fd tables know of one {@link FileDescriptor}: its task's membership in the tables, its
 * number and whether it is still valid, kept apart from the handle so that tracking it never keeps
 * the handle alive.
 *
 * <p>rsyscall keeps handles in {@code WeakSet}s and lets the Python GC drop them; here the tables
 * hold this small object strongly instead, and {@link #ref} (a phantom reference to the handle)
 * tells the {@link Reaper} when the handle itself became unreachable, so the state can be taken out
 * of tracking by something that does not reference the handle. Nor does it reference the task
 * (only its {@link TaskMembership}): the tables must not keep a task alive either, only the task's
 * live handles do.
 */
final class HandleState {
    /** The membership of the handle's task: the table this state is tracked in is {@code member.fdTable}. */
    final TaskMembership member;
    final int number;
    /** Written under the lock of {@code task}'s current fd table; volatile so readers need no lock. */
    volatile boolean valid = true;
    final HandleRef ref;

    HandleState(FileDescriptorTask task, int number, FileDescriptor handle) {
        this.member = task.membership;
        this.number = number;
        this.ref = new HandleRef(handle, this);
    }

    /**
     * Equality stays identity (two handles to one fd are two states); the hash is the fd number,
     * because an identity hash code is made on first use by a call into the JVM, which every new
     * handle would pay when it joins its task's {@code fdHandles}.
     */
    @Override
    public int hashCode() {
        return number;
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public String toString() {
        return "fd " + number + " of " + member + (valid ? "" : " (invalid)");
    }

    /** Enqueued on {@link Reaper#QUEUE} once the handle is unreachable; carries the state, not the handle. */
    static final class HandleRef extends PhantomReference<FileDescriptor> {
        final HandleState state;

        HandleRef(FileDescriptor handle, HandleState state) {
            super(handle, Reaper.queue());
            this.state = state;
        }
    }
}
