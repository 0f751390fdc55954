package io.rsyscall4j.fd;

/** The {@code whence} values of {@code lseek(2)}, for {@link FileDescriptor#lseek}. */
public final class SeekWhence {
    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    public static final int SEEK_END = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    private SeekWhence() {}
}
