package io.rsyscall4j.fd;

import io.rsyscall4j.api.Linux;

/**
 * Linux's {@code open(2)} flags (x86_64 values), for {@code Task.open} and
 * {@link FileDescriptor#dup3}: the same values as {@link Linux}'s. Flags are plain ints so they
 * combine with {@code |} exactly as in C.
 */
public final class OpenFlags {
    public static final int O_RDONLY = Linux.O_RDONLY;
    public static final int O_WRONLY = Linux.O_WRONLY;
    public static final int O_RDWR = Linux.O_RDWR;
    public static final int O_ACCMODE = Linux.O_ACCMODE;
    public static final int O_CREAT = Linux.O_CREAT;
    public static final int O_EXCL = Linux.O_EXCL;
    public static final int O_NOCTTY = Linux.O_NOCTTY;
    public static final int O_TRUNC = Linux.O_TRUNC;
    public static final int O_APPEND = Linux.O_APPEND;
    public static final int O_NONBLOCK = Linux.O_NONBLOCK;
    public static final int O_DSYNC = Linux.O_DSYNC;
    public static final int O_DIRECT = Linux.O_DIRECT;
    public static final int O_LARGEFILE = Linux.O_LARGEFILE;
    public static final int O_DIRECTORY = Linux.O_DIRECTORY;
    public static final int O_NOFOLLOW = Linux.O_NOFOLLOW;
    public static final int O_NOATIME = Linux.O_NOATIME;
    public static final int O_CLOEXEC = Linux.O_CLOEXEC;
    public static final int O_SYNC = Linux.O_SYNC;
    public static final int O_PATH = Linux.O_PATH;
    public static final int O_TMPFILE = Linux.O_TMPFILE;

    private OpenFlags() {}
}
