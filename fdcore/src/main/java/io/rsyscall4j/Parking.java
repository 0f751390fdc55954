package io.rsyscall4j;

import io.rsyscall4j.fd.FileDescriptorTask;
import io.rsyscall4j.fd.internal.Poller;
import java.io.IOException;

/**
 * Where a call on the local task's fd that may block first parks a virtual thread until the fd is
 * ready (see {@link Poller}): readiness only, never a change of the fd's flags. Platform threads,
 * and child tasks (whose round trip parks by itself), go straight to the call.
 */
final class Parking {
    private Parking() {}

    /**
     * In a virtual thread and for a local task, returns once {@code fd} (borrowed by the caller)
     * polls ready for {@code events}, parked meanwhile; otherwise at once.
     *
     * @return whether it waited for readiness (the caller's call then finds the fd ready)
     * @throws java.io.InterruptedIOException interrupted while parked; the call was not made
     */
    static boolean await(FileDescriptorTask task, int fd, short events) throws IOException {
        if (task instanceof LocalTask && Poller.inVirtualThread()) {
            Poller.await(task.sysif(), task.addressSpace(), fd, events);
            return true;
        }
        return false;
    }
}
