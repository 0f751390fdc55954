package io.rsyscall4j.bench;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;

/** Native memory for syscall arguments, mapped through the provider (the bench runs on Java 17). */
final class Memory {
    private static final long PROT_READ_WRITE = 0x3;
    private static final long MAP_PRIVATE_ANONYMOUS = 0x22;

    private Memory() {}

    static long map(SyscallInterface sysif, long length) throws SyscallException {
        return sysif.syscall(Sys.MMAP, 0, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0);
    }

    static void unmap(SyscallInterface sysif, long address, long length) throws SyscallException {
        sysif.syscall(Sys.MUNMAP, address, length);
    }
}
