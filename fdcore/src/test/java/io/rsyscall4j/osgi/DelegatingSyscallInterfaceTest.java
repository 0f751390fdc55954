package io.rsyscall4j.osgi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The swappable syscall interface behind the OSGi local task, over the real providers. */
class DelegatingSyscallInterfaceTest {
    private static final long EFD_CLOEXEC = 0x80000;
    private static final long PROT_READ_WRITE = 0x3;
    private static final long MAP_PRIVATE_ANONYMOUS = 0x22;
    private final SyscallInterface ffm = provider("ffm");
    private final SyscallInterface jna = provider("jna");

    @Test
    void withNoProviderASyscallIsNotSentAndSaysWhy() {
        DelegatingSyscallInterface sysif = new DelegatingSyscallInterface();
        SyscallSendError e = assertThrows(SyscallSendError.class, () -> sysif.syscall(Sys.GETPID));
        assertEquals("getpid: no SyscallInterface provider", e.getMessage());
        assertEquals("none", sysif.provider());
        IllegalStateException call = assertThrows(IllegalStateException.class, () -> sysif.callFunction(1));
        assertEquals("callFunction: no SyscallInterface provider", call.getMessage());
    }

    @Test
    void withNoProviderMemoryIsStillCopiedThroughProcSelfMem() throws Exception {
        DelegatingSyscallInterface sysif = new DelegatingSyscallInterface();
        sysif.use(jna);
        long page = sysif.syscall(Sys.MMAP, 0, 4096, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0);
        try {
            sysif.release(jna);
            byte[] data = {1, 2, 3, 4, 5};
            sysif.writeMemory(page + 100, data, 1, 3);
            sysif.use(jna);
            byte[] back = new byte[5];
            sysif.readMemory(page + 99, back, 0, 5);
            assertArrayEquals(new byte[] {0, 2, 3, 4, 0}, back, "written without a provider, read with one");
            sysif.release(jna);
            byte[] again = new byte[3];
            sysif.readMemory(page + 100, again, 0, 3);
            assertArrayEquals(new byte[] {2, 3, 4}, again, "read without a provider");
        } finally {
            sysif.use(jna);
            sysif.syscall(Sys.MUNMAP, page, 4096);
        }
    }

    @Test
    void anFdOpenedThroughOneProviderIsUsedAndClosedThroughTheOther() throws Exception {
        DelegatingSyscallInterface sysif = new DelegatingSyscallInterface();
        sysif.use(ffm);
        int fd = (int) sysif.syscall(Sys.EVENTFD2, 0, EFD_CLOEXEC);
        Path link = Path.of("/proc/self/fd/" + fd);
        sysif.use(jna);
        assertEquals("jna", sysif.provider());
        assertEquals("anon_inode:[eventfd]", Files.readSymbolicLink(link).toString(), "still open, as the kernel sees it");
        sysif.syscall(Sys.CLOSE, fd);
        assertTrue(Files.notExists(link, LinkOption.NOFOLLOW_LINKS), "closed through jna");
        ErrnoException again = assertThrows(ErrnoException.class, () -> sysif.syscall(Sys.CLOSE, fd));
        assertEquals("EBADF", again.errnoName());
    }

    @Test
    void releasingAReplacedProviderKeepsTheNewOne() throws Exception {
        DelegatingSyscallInterface sysif = new DelegatingSyscallInterface();
        sysif.use(ffm);
        sysif.use(jna);   // DS binds the replacement first ...
        sysif.release(ffm); // ... then unbinds the old one
        assertSame(jna, sysif.current());
        assertEquals(ProcessHandle.current().pid(), sysif.syscall(Sys.GETPID));
        sysif.release(jna);
        assertThrows(SyscallSendError.class, () -> sysif.syscall(Sys.GETPID));
        sysif.use(ffm);
        assertEquals(ProcessHandle.current().pid(), sysif.syscall(Sys.GETPID), "works again once a provider returns");
    }

    @Test
    void aDirectBuffersAddressIsTheCurrentProvidersAndBothAgree() {
        DelegatingSyscallInterface sysif = new DelegatingSyscallInterface();
        ByteBuffer direct = ByteBuffer.allocateDirect(64).position(10);
        assertEquals(-1, sysif.bufferAddress(direct), "no provider: copy");
        sysif.use(ffm);
        long address = sysif.bufferAddress(direct);
        assertTrue(address > 0, "ffm: " + address);
        assertEquals(address, jna.bufferAddress(direct), "both say element 0, whatever the position");
        sysif.use(jna);
        assertEquals(address + 8, sysif.bufferAddress(direct.slice(8, 4)), "a slice starts where it starts");
        assertEquals(-1, sysif.bufferAddress(ByteBuffer.allocate(64)), "a heap buffer has no address");
        assertEquals(-1, ffm.bufferAddress(ByteBuffer.allocate(64)), "a heap buffer has no address");
    }

    /** A real provider, found as fdcore finds them outside OSGi (the provider packages are not exported). */
    private static SyscallInterface provider(String name) {
        return ServiceLoader.load(SyscallInterface.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.provider().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("provider " + name + " is not on the test path"));
    }
}
