package io.rsyscall4j.fd;

import io.rsyscall4j.api.Linux;

/** The {@code whence} values of {@code lseek(2)}, for {@link FileDescriptor#lseek}: the same values as {@link Linux}'s. */
public final class SeekWhence {
    public static final int SEEK_SET = Linux.SEEK_SET;
    public static final int SEEK_CUR = Linux.SEEK_CUR;
    public static final int SEEK_END = Linux.SEEK_END;
    public static final int SEEK_DATA = Linux.SEEK_DATA;
    public static final int SEEK_HOLE = Linux.SEEK_HOLE;

    private SeekWhence() {}
}
