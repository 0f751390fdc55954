package io.rsyscall4j;

import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.AddressSpace;
import io.rsyscall4j.fd.FDTable;
import java.io.IOException;

/**
 * A task that is the JVM itself, over some syscall interface. All of them are in the JVM's one fd
 * table and address space, like threads of one process in rsyscall, so handles move freely between
 * them ({@code forTask}, {@code move}).
 */
final class LocalTask extends Task {

    LocalTask(SyscallInterface sysif, int pid, FDTable jvmTable, AddressSpace jvmSpace) {
        super(sysif, pid, jvmTable, jvmSpace);
    }

    /** True: the JVM makes this task's calls itself, so a virtual thread parks before one blocks. */
    @Override
    protected boolean runsInJvm() {
        return true;
    }

    /**
     * Refused: {@code unshare(CLONE_FILES)} would move only the calling Java thread to a copy of
     * the table, and the JVM's other threads — and every handle they use — would then disagree
     * about what each fd number means. Unsharing is for child tasks.
     */
    @Override
    public void unshareFiles() throws IOException {
        throw new UnsupportedOperationException("unshareFiles() on the local task " + this + " is refused: it would"
                + " split the JVM's threads into different fd tables; unshare a child task's table instead");
    }

    @Override
    protected void unshareFilesSyscall() throws IOException {
        unshareFiles();
    }
}
