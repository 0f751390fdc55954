package io.rsyscall4j;

/** The resources {@link ChildTask#setrlimit} limits ({@code getrlimit(2)}'s {@code RLIMIT_*}). */
public enum Rlimit {
    CPU, FSIZE, DATA, STACK, CORE, RSS, NPROC, NOFILE, MEMLOCK, AS, LOCKS, SIGPENDING, MSGQUEUE, NICE, RTPRIO,
    RTTIME;

    /** {@code RLIMIT_<name>}: x86_64 numbers them in this order from 0. */
    int number() {
        return ordinal();
    }

    /** The infinite limit, {@code RLIM_INFINITY}. */
    public static final long INFINITY = io.rsyscall4j.api.Linux.RLIM_INFINITY;
}
