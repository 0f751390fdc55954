package io.rsyscall4j.fd;

import java.lang.ref.WeakReference;
import java.util.HashSet;
import java.util.Set;

/**
 * What the fd tables know of one task: which table it is in, whether it is changing tables, and
 * its live handles (rsyscall's {@code fd_handles}) — without the task itself.
 *
 * <p>rsyscall's tables hold handles weakly, so a table never keeps a task alive. Here the tables
 * hold {@link HandleState}s strongly, and a state that held its task would keep that task (and
 * with a child task, its process) reachable for as long as the state is tracked: a child sharing
 * the JVM's table tracks its own stdio and server socket there, and the JVM's table is reachable
 * from a static, so such a child would never be collected, and never killed. A state holds this
 * instead; only a live {@link FileDescriptor} holds its task, because a handle's task is what
 * closes its fd and runs its I/O. When every handle of a task is gone and the task is collected,
 * this object still says which table its collected handles' states are in, which is all the
 * {@link Reaper} needs to take them out of tracking; their fds are then closed through another
 * live task of that table, as rsyscall's {@code gc_using_task} does.
 */
final class TaskMembership {
    private final WeakReference<FileDescriptorTask> task;
    private final int pid;
    /** The table the task is in now; written under the old table's lock (see {@link FDTable#lockTableOf}). */
    volatile FDTable fdTable;
    /** rsyscall's {@code manipulating_fd_table}. */
    volatile boolean manipulating;
    /** The task's live handles. Guarded by the lock of the task's current table. */
    final Set<HandleState> fdHandles = new HashSet<>();

    TaskMembership(FileDescriptorTask task, FDTable fdTable) {
        this.task = new WeakReference<>(task);
        this.pid = task.pid();
        this.fdTable = fdTable;
    }

    @Override
    public String toString() {
        FileDescriptorTask t = task.get();
        return t != null ? t.toString() : "collected task (pid " + pid + ")";
    }
}
