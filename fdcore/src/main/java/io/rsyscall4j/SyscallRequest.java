package io.rsyscall4j;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;

/**
 * One syscall to run in a child task, as it travels: the number and six arguments (missing ones
 * are 0), 56 bytes on the wire.
 */
record SyscallRequest(Sys nr, long[] args) {
    SyscallRequest {
        SyscallInterface.checkArgs(nr, args);
        args = args.clone();
    }

    static SyscallRequest of(Sys nr, long... args) {
        return new SyscallRequest(nr, args);
    }

    long arg(int i) {
        return i < args.length ? args[i] : 0;
    }
}
