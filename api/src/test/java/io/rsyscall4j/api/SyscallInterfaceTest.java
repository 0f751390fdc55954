package io.rsyscall4j.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

final class SyscallInterfaceTest {

    @Test
    void checkArgsAcceptsZeroToSixArguments() {
        for (int n = 0; n <= 6; n++) {
            long[] args = new long[n];
            assertDoesNotThrow(() -> SyscallInterface.checkArgs(Sys.MMAP, args), n + " arguments");
        }
    }

    @Test
    void checkArgsRejectsASeventhArgumentNamingTheSyscall() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyscallInterface.checkArgs(Sys.MMAP, new long[7]));
        assertEquals("mmap: a syscall takes at most 6 arguments, got 7", e.getMessage());
    }

    /** A provider that runs syscalls elsewhere and so cannot call this process's functions. */
    private static final class RemoteOnlySysif implements SyscallInterface {
        @Override
        public long syscall(Sys nr, long... args) {
            throw new AssertionError("not called");
        }

        @Override
        public void writeMemory(long address, byte[] src, int off, int len) {
            throw new AssertionError("not called");
        }

        @Override
        public void readMemory(long address, byte[] dst, int off, int len) {
            throw new AssertionError("not called");
        }

        @Override
        public String provider() {
            return "child(test)";
        }
    }

    @Test
    void callFunctionIsUnsupportedUnlessAProviderImplementsIt() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> new RemoteOnlySysif().callFunction(0x1000, 1, 2));
        assertEquals("child(test) cannot call native functions", e.getMessage());
    }
}
