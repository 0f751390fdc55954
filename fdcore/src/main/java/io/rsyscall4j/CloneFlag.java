package io.rsyscall4j;

import io.rsyscall4j.api.Linux;

/**
 * What a child task shares with the task that clones it ({@link Task#clone}).
 *
 * <p>Every child shares its parent's address space ({@code CLONE_VM}, as in rsyscall): that is
 * how the JVM's memory serves as the child's syscall arguments. The rest is copied unless a flag
 * says to share it.
 */
public enum CloneFlag {
    /**
     * {@code CLONE_FILES}: the child joins its parent's fd table. The parent's handles can then be
     * used in the child with {@link io.rsyscall4j.fd.FileDescriptor#forTask}, and fds either opens
     * are seen by both. Without it the child gets a copy of the parent's table as of the clone,
     * whose fds it claims with {@link Task#inheritFd}.
     */
    FILES(Linux.CLONE_FILES);

    private final long bit;

    CloneFlag(long bit) {
        this.bit = bit;
    }

    /** The {@code CLONE_*} bit. */
    long bit() {
        return bit;
    }
}
