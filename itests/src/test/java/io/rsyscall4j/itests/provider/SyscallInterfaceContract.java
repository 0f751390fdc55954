package io.rsyscall4j.itests.provider;

import static io.rsyscall4j.itests.provider.Kernel.AT_FDCWD;
import static io.rsyscall4j.itests.provider.Kernel.FD_CLOEXEC;
import static io.rsyscall4j.itests.provider.Kernel.F_GETFD;
import static io.rsyscall4j.itests.provider.Kernel.MAP_SHARED;
import static io.rsyscall4j.itests.provider.Kernel.MFD_CLOEXEC;
import static io.rsyscall4j.itests.provider.Kernel.O_CLOEXEC;
import static io.rsyscall4j.itests.provider.Kernel.O_CREAT;
import static io.rsyscall4j.itests.provider.Kernel.O_EXCL;
import static io.rsyscall4j.itests.provider.Kernel.O_WRONLY;
import static io.rsyscall4j.itests.provider.Kernel.O_NONBLOCK;
import static io.rsyscall4j.itests.provider.Kernel.O_RDONLY;
import static io.rsyscall4j.itests.provider.Kernel.PAGE;
import static io.rsyscall4j.itests.provider.Kernel.PROT_READ;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link SyscallInterface} must do, checked on the real kernel. Written once; each
 * provider gets a subclass, so the test reports name the provider each case ran against.
 *
 * <p>Results are compared with what the kernel itself reports in {@code /proc/self}, never only
 * with what the provider says about itself.
 */
abstract class SyscallInterfaceContract {
    private static final int THREADS = 8;
    private static final int PAIRS_PER_THREAD = 10_000;

    /** Memory the test owns for syscall arguments; freed after each test. */
    private final Arena arena = Arena.ofConfined();
    private final SyscallInterface sysif = newProvider();

    /** A fresh instance of the provider under test. */
    abstract SyscallInterface newProvider();

    /** The name the provider must report. */
    abstract String expectedName();

    @AfterEach
    void freeMemory() {
        arena.close();
    }

    @Test
    void reportsItsProviderName() {
        assertEquals(expectedName(), sysif.provider());
    }

    @Test
    void getpidReturnsThisProcessId() throws SyscallException {
        assertEquals(ProcessHandle.current().pid(), sysif.syscall(Sys.GETPID));
    }

    @Test
    void pipe2WriteReadRoundTripsBytesThroughTestMemory() throws SyscallException {
        int[] fds = pipe();
        try {
            assertEquals(fdTarget(fds[0]), fdTarget(fds[1]), "both ends are one kernel pipe");
            assertTrue(fdTarget(fds[0]).startsWith("pipe:["), fdTarget(fds[0]));
            assertEquals(FD_CLOEXEC, sysif.syscall(Sys.FCNTL, fds[0], F_GETFD), "pipe2 got its flags argument");

            byte[] message = ("through the pipe with " + expectedName()).getBytes(StandardCharsets.UTF_8);
            MemorySegment out = arena.allocate(message.length);
            sysif.writeMemory(out.address(), message, 0, message.length);
            assertArrayEquals(message, out.toArray(ValueLayout.JAVA_BYTE), "writeMemory wrote to the address given");
            assertEquals(message.length, sysif.syscall(Sys.WRITE, fds[1], out.address(), message.length));

            MemorySegment in = arena.allocate(message.length);
            assertEquals(message.length, sysif.syscall(Sys.READ, fds[0], in.address(), message.length));
            byte[] received = new byte[message.length + 4];
            sysif.readMemory(in.address(), received, 2, message.length);
            byte[] expected = new byte[message.length + 4];
            System.arraycopy(message, 0, expected, 2, message.length);
            assertArrayEquals(expected, received, "readMemory filled exactly dst[off, off+len)");
        } finally {
            closeAll(fds);
        }
        assertEquals(Optional.empty(), Kernel.fdTarget(fds[0]), "read end closed");
        assertEquals(Optional.empty(), Kernel.fdTarget(fds[1]), "write end closed");
    }

    @Test
    void closeOfMinusOneRaisesEbadfNamingClose() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> sysif.syscall(Sys.CLOSE, -1));
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("EBADF", e.errnoName());
        assertEquals(Sys.CLOSE, e.syscall());
        assertEquals("close(-1): EBADF (Bad file descriptor)", e.getMessage());
    }

    /** dup never blocks, so a provider may take a faster path for it: errors must come back alike. */
    @Test
    void dupOfABadFdRaisesEbadfNamingDup() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> sysif.syscall(Sys.DUP, -1));
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("dup(-1): EBADF (Bad file descriptor)", e.getMessage());
    }

    /** A provider may take its faster path for never-blocking syscalls only after many: answers stay alike throughout. */
    @Test
    void neverBlockingSyscallsAnswerAlikeThroughThousandsOfCalls() throws SyscallException {
        long pid = ProcessHandle.current().pid();
        for (int i = 0; i < 3000; i++) {
            assertEquals(pid, sysif.syscall(Sys.GETPID));
            assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> sysif.syscall(Sys.DUP, -1)).errno());
        }
    }

    /**
     * Arguments a caller leaves out are 0: openat without its mode creates a file with mode 0. A
     * provider that passed whatever was left in the registers would give it some other mode.
     */
    @Test
    void argumentsLeftOutArePassedAsZero(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("created-without-mode");
        MemorySegment path = arena.allocateFrom(file.toString());
        int fd = (int) sysif.syscall(Sys.OPENAT, AT_FDCWD, path.address(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC);
        sysif.syscall(Sys.CLOSE, fd);
        assertEquals(Set.of(), Files.getPosixFilePermissions(file), "mode 0");
    }

    @Test
    void openatOfMissingPathRaisesEnoent() {
        String missing = "/nonexistent-rsyscall4j-" + UUID.randomUUID() + "/file";
        MemorySegment path = arena.allocateFrom(missing);
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> sysif.syscall(Sys.OPENAT, AT_FDCWD, path.address(), O_RDONLY | O_CLOEXEC));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("ENOENT", e.errnoName());
        assertEquals(Sys.OPENAT, e.syscall());
        assertTrue(e.getMessage().startsWith("openat("), e.getMessage());
    }

    @Test
    void openatOfExistingPathOpensIt() throws SyscallException {
        MemorySegment path = arena.allocateFrom("/dev/null");
        int fd = (int) sysif.syscall(Sys.OPENAT, AT_FDCWD, path.address(), O_RDONLY | O_CLOEXEC);
        try {
            assertEquals("/dev/null", fdTarget(fd));
        } finally {
            sysif.syscall(Sys.CLOSE, fd);
        }
        assertEquals(Optional.empty(), Kernel.fdTarget(fd));
    }

    /**
     * mmap takes six arguments; mapping the second page of a file proves the fifth (fd) and sixth
     * (offset) reach the kernel, which an anonymous mapping at offset 0 would not.
     */
    @Test
    void sixArgumentMmapMapsTheRequestedFileOffsetThenMunmapUnmapsIt() throws SyscallException {
        MemorySegment name = arena.allocateFrom("rsyscall4j-contract");
        int memfd = (int) sysif.syscall(Sys.MEMFD_CREATE, name.address(), MFD_CLOEXEC);
        try {
            assertTrue(fdTarget(memfd).startsWith("/memfd:rsyscall4j-contract"), fdTarget(memfd));
            byte[] secondPage = new byte[PAGE];
            for (int i = 0; i < PAGE; i++) {
                secondPage[i] = (byte) (i * 7 + 3);
            }
            MemorySegment buf = arena.allocate(PAGE);
            sysif.writeMemory(buf.address(), secondPage, 0, PAGE);
            assertEquals(PAGE, sysif.syscall(Sys.PWRITE64, memfd, buf.address(), PAGE, PAGE));

            long addr = sysif.syscall(Sys.MMAP, 0, PAGE, PROT_READ, MAP_SHARED, memfd, PAGE);
            assertNotEquals(0, addr);
            String mapping = Kernel.mappingAt(addr).orElseThrow(
                    () -> new AssertionError("no mapping at 0x" + Long.toHexString(addr) + " in /proc/self/maps"));
            assertTrue(mapping.contains(" 00001000 "), "mapped at file offset 4096: " + mapping);
            assertTrue(mapping.contains("/memfd:rsyscall4j-contract"), mapping);
            byte[] mapped = new byte[PAGE];
            sysif.readMemory(addr, mapped, 0, PAGE);
            assertArrayEquals(secondPage, mapped, "the mapping shows the file's second page");

            assertEquals(0, sysif.syscall(Sys.MUNMAP, addr, PAGE));
            assertEquals(Optional.empty(), Kernel.mappingAt(addr), "munmap removed the mapping");
        } finally {
            sysif.syscall(Sys.CLOSE, memfd);
        }
    }

    /**
     * Eight threads share one provider, each dup-ing and closing its own pipe's write end. A byte
     * written through each dup must arrive at that thread's pipe: a provider that mixed up
     * arguments, results or errno between threads would send it elsewhere or fail.
     */
    @Test
    void eightThreadsDoTenThousandDupClosePairsEachWithEveryResultCorrect() throws Exception {
        List<int[]> pipes = new ArrayList<>();
        List<String> pipeTargets = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            // Nonblocking: a byte that went astray fails the read with EAGAIN instead of hanging it.
            int[] p = pipe(O_CLOEXEC | O_NONBLOCK);
            pipes.add(p);
            pipeTargets.add(fdTarget(p[0]));
        }
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<String> failures = new ArrayList<>();
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                results.add(pool.submit(() -> dupClosePairs(thread, pipes.get(thread), start)));
            }
            for (Future<Integer> r : results) {
                try {
                    // A bound on how long to wait for a hung provider, not a speed assertion.
                    assertEquals(PAIRS_PER_THREAD, r.get(2, TimeUnit.MINUTES));
                } catch (ExecutionException e) {
                    failures.add(e.getCause().toString());
                }
            }
        } finally {
            pool.shutdownNow();
            for (int[] p : pipes) {
                for (int fd : p) {
                    try {
                        sysif.syscall(Sys.CLOSE, fd);
                    } catch (ErrnoException e) {
                        failures.add("closing the test's own pipe: " + e.getMessage());
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        for (String target : pipeTargets) {
            assertEquals(List.of(), Kernel.fdsReferringTo(target), "no fd of " + target + " left open");
        }
    }

    private int dupClosePairs(int thread, int[] pipe, CyclicBarrier start) throws Exception {
        try (Arena mine = Arena.ofConfined()) {
            MemorySegment out = mine.allocate(1);
            MemorySegment in = mine.allocate(1);
            byte[] one = new byte[1];
            start.await();
            int done = 0;
            for (int i = 0; i < PAIRS_PER_THREAD; i++) {
                int dup = (int) sysif.syscall(Sys.DUP, pipe[1]);
                if (dup < 0 || dup == pipe[0] || dup == pipe[1]) {
                    throw new AssertionError("thread " + thread + ": dup returned " + dup);
                }
                byte b = (byte) (thread * 31 + i);
                one[0] = b;
                sysif.writeMemory(out.address(), one, 0, 1);
                long wrote = sysif.syscall(Sys.WRITE, dup, out.address(), 1);
                long closed = sysif.syscall(Sys.CLOSE, dup);
                long read = sysif.syscall(Sys.READ, pipe[0], in.address(), 1);
                sysif.readMemory(in.address(), one, 0, 1);
                if (wrote != 1 || closed != 0 || read != 1 || one[0] != b) {
                    throw new AssertionError("thread " + thread + " pair " + i + ": dup " + dup + " wrote " + wrote
                            + ", close " + closed + ", read " + read + " byte " + one[0] + " (expected " + b + ")");
                }
                done++;
            }
            return done;
        }
    }

    @Test
    void moreThanSixArgumentsIsRejectedBeforeAnySyscall() throws SyscallException {
        int[] fds = pipe();
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sysif.syscall(Sys.CLOSE, fds[0], 0, 0, 0, 0, 0, 0));
            assertTrue(e.getMessage().contains("close"), e.getMessage());
            assertTrue(Kernel.fdTarget(fds[0]).isPresent(), "the fd was not closed");
        } finally {
            closeAll(fds);
        }
    }

    @Test
    void callFunctionCallsLibcGetpidByAddress() {
        long getpid = libc("getpid");
        assertEquals(ProcessHandle.current().pid(), sysif.callFunction(getpid));
    }

    /** glibc's {@code strerrorname_np(int)} returns a C string: argument in, pointer out. */
    @Test
    void callFunctionPassesArgumentsAndReturnsPointers() {
        long strerrorname = libc("strerrorname_np");
        long name = sysif.callFunction(strerrorname, Errno.EBADF);
        assertEquals("EBADF", cString(name));
    }

    @Test
    void callFunctionWithMoreThanSixArgumentsIsRejected() {
        long getpid = libc("getpid");
        assertThrows(IllegalArgumentException.class, () -> sysif.callFunction(getpid, 1, 2, 3, 4, 5, 6, 7));
    }

    private int[] pipe() throws SyscallException {
        return pipe(O_CLOEXEC);
    }

    private int[] pipe(int flags) throws SyscallException {
        MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
        assertEquals(0, sysif.syscall(Sys.PIPE2, fds.address(), flags));
        byte[] raw = new byte[8];
        sysif.readMemory(fds.address(), raw, 0, 8);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        return new int[] {b.getInt(0), b.getInt(4)};
    }

    private void closeAll(int[] fds) throws SyscallException {
        for (int fd : fds) {
            sysif.syscall(Sys.CLOSE, fd);
        }
    }

    private static String fdTarget(int fd) {
        return Kernel.fdTarget(fd).orElseThrow(() -> new AssertionError("fd " + fd + " is not open"));
    }

    private static long libc(String symbol) {
        return Linker.nativeLinker().defaultLookup().find(symbol)
                .orElseThrow(() -> new AssertionError("libc has no " + symbol)).address();
    }

    /** Reads a NUL-terminated string through the provider, one byte at a time (at most 256). */
    private String cString(long address) {
        byte[] bytes = new byte[256];
        byte[] one = new byte[1];
        for (int i = 0; i < bytes.length; i++) {
            sysif.readMemory(address + i, one, 0, 1);
            if (one[0] == 0) {
                return new String(bytes, 0, i, StandardCharsets.UTF_8);
            }
            bytes[i] = one[0];
        }
        throw new AssertionError("no NUL within 256 bytes at 0x" + Long.toHexString(address));
    }
}
