package io.rsyscall4j.bench;

import static io.rsyscall4j.api.Linux.MAP_ANONYMOUS;
import static io.rsyscall4j.api.Linux.MAP_PRIVATE;
import static io.rsyscall4j.api.Linux.PROT_READ;
import static io.rsyscall4j.api.Linux.PROT_WRITE;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;

/** Native memory for syscall arguments, mapped through the provider (the bench runs on Java 17). */
final class Memory {

    private Memory() {}

    static long map(SyscallInterface sysif, long length) throws SyscallException {
        return sysif.syscall(Sys.MMAP, 0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }

    static void unmap(SyscallInterface sysif, long address, long length) throws SyscallException {
        sysif.syscall(Sys.MUNMAP, address, length);
    }
}
