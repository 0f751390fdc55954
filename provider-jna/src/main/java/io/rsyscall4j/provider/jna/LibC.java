package io.rsyscall4j.provider.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * libc, directly mapped; loaded once, when the provider is first used.
 *
 * <p>{@code syscall} is bound once per argument count (the symbol is the same), because JNA's
 * cost grows with every argument passed: see {@link SyscallArity}.
 */
final class LibC {
    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {}

    static native long syscall(long number) throws LastErrorException;

    static native long syscall(long number, long a1) throws LastErrorException;

    static native long syscall(long number, long a1, long a2) throws LastErrorException;

    static native long syscall(long number, long a1, long a2, long a3) throws LastErrorException;

    static native long syscall(long number, long a1, long a2, long a3, long a4) throws LastErrorException;

    static native long syscall(long number, long a1, long a2, long a3, long a4, long a5) throws LastErrorException;

    static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6)
            throws LastErrorException;
}
