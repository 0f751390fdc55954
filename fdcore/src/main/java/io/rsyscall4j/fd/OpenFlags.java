package io.rsyscall4j.fd;

/**
 * Linux's {@code open(2)} flags (x86_64 values), for {@code Task.open} and
 * {@link FileDescriptor#dup3}. Flags are plain ints so they combine with {@code |} exactly as in C.
 */
public final class OpenFlags {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_ACCMODE = 03;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DSYNC = 010000;
    public static final int O_DIRECT = 040000;
    public static final int O_LARGEFILE = 0100000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_NOATIME = 01000000;
    /** Close on exec. Every fd rsyscall4j creates has it, so no fd leaks into an exec'd program by accident. */
    public static final int O_CLOEXEC = 02000000;
    public static final int O_SYNC = 04010000;
    public static final int O_PATH = 010000000;
    public static final int O_TMPFILE = 020200000;

    private OpenFlags() {}
}
