package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_CLOEXEC;
import static io.rsyscall4j.fd.OpenFlags.O_CREAT;
import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static io.rsyscall4j.fd.OpenFlags.O_RDWR;
import static io.rsyscall4j.fd.OpenFlags.O_WRONLY;
import static io.rsyscall4j.fd.SeekWhence.SEEK_CUR;
import static io.rsyscall4j.fd.SeekWhence.SEEK_END;
import static io.rsyscall4j.fd.SeekWhence.SEEK_SET;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.AddressSpace;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;

/** The contract's operations — open, pipe, read, write, writeAll, lseek, dup2, dup3, disableCloexec — on the real kernel. */
class TaskOperationsTest {
    @TempDir
    Path dir;

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p.toRealPath();
    }

    @BothProviders
    void openAlwaysAddsCloexec(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor fd = task.open(file("a", "x").toString(), O_RDONLY);
        assertTrue(Kernel.cloexec(fd.number()));
        fd.close();
    }

    @BothProviders
    void openCreatesWithTheGivenMode(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path p = dir.resolve("new");
        FileDescriptor fd = task.open(p.toString(), O_WRONLY | O_CREAT, 0640);
        assertEquals(p.toRealPath().toString(), Kernel.target(fd.number()));
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        fd.close();
    }

    @BothProviders
    void openFailureNamesThePathAndErrno(String provider) {
        Task task = Rsyscall.local(provider);
        String missing = dir.resolve("no/such/file").toString();
        ErrnoException e = assertThrows(ErrnoException.class, () -> task.open(missing, O_RDONLY));
        assertEquals("ENOENT", e.errnoName());
        assertEquals(Sys.OPENAT, e.syscall());
        assertEquals(missing, e.subject());
        assertTrue(e.getMessage().contains(missing), e.getMessage());
    }

    @BothProviders
    void openRefusesAPathWithNul(String provider) {
        Task task = Rsyscall.local(provider);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> task.open("/etc\0/passwd", O_RDONLY));
        assertTrue(e.getMessage().contains("/etc\\0/passwd"), e.getMessage());
    }

    @BothProviders
    void pipeCarriesBytesAndBothEndsAreCloexec(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Pipe pipe = task.pipe();
        assertTrue(Kernel.target(pipe.read().number()).startsWith("pipe:"));
        assertEquals(Kernel.target(pipe.read().number()), Kernel.target(pipe.write().number()), "one pipe");
        assertTrue(Kernel.cloexec(pipe.read().number()));
        assertTrue(Kernel.cloexec(pipe.write().number()));
        pipe.write().writeAll("hello".getBytes(StandardCharsets.UTF_8));
        assertEquals("hello", new String(pipe.read().read(100), StandardCharsets.UTF_8));
        pipe.write().close();
        assertEquals(0, pipe.read().read(100).length, "EOF once the write end is closed");
        pipe.read().close();
    }

    @BothProviders
    void writeThenSeekThenReadBack(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor fd = task.open(dir.resolve("rw").toString(), O_RDWR | O_CREAT, 0600);
        byte[] data = "hello, world".getBytes(StandardCharsets.UTF_8);
        assertEquals(data.length, fd.write(data, 0, data.length));
        assertEquals(data.length, fd.lseek(0, SEEK_CUR));
        assertEquals(0, fd.lseek(0, SEEK_SET));
        byte[] back = new byte[20];
        assertEquals(data.length, fd.read(back, 4, 16));
        assertEquals("hello, world", new String(back, 4, data.length, StandardCharsets.UTF_8));
        assertEquals(7, fd.lseek(7, SEEK_SET));
        assertEquals("world", new String(fd.read(100), StandardCharsets.UTF_8));
        assertEquals(0, fd.read(100).length, "end of file");
        assertEquals(data.length + 3, fd.lseek(3, SEEK_END));
        assertEquals("hello, world", Files.readString(dir.resolve("rw")));
        fd.close();
    }

    @BothProviders
    void writeAllWritesMoreThanOneScratchBuffer(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path p = dir.resolve("big");
        byte[] data = new byte[3 * AddressSpace.SCRATCH_SIZE + 12345];
        new Random(42).nextBytes(data);
        FileDescriptor fd = task.open(p.toString(), O_WRONLY | O_CREAT, 0600);
        fd.writeAll(data);
        fd.close();
        assertArrayEquals(data, Files.readAllBytes(p));
        FileDescriptor in = task.open(p.toString(), O_RDONLY);
        byte[] back = new byte[data.length];
        int off = 0;
        for (int n; off < back.length && (n = in.read(back, off, back.length - off)) > 0; ) {
            assertTrue(n <= AddressSpace.SCRATCH_SIZE);
            off += n;
        }
        assertEquals(data.length, off);
        assertArrayEquals(data, back);
        in.close();
    }

    @BothProviders
    void ioErrorsNameTheFdAndErrno(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor ro = task.open(file("a", "x").toString(), O_RDONLY);
        ErrnoException e = assertThrows(ErrnoException.class, () -> ro.write(new byte[1], 0, 1));
        assertEquals("EBADF", e.errnoName());
        assertEquals(String.valueOf(ro.number()), e.subject());
        Pipe pipe = task.pipe();
        ErrnoException spipe = assertThrows(ErrnoException.class, () -> pipe.read().lseek(0, SEEK_SET));
        assertEquals("ESPIPE", spipe.errnoName());
        assertThrows(IndexOutOfBoundsException.class, () -> ro.read(new byte[4], 2, 4));
        ro.close();
        pipe.read().close();
        pipe.write().close();
    }

    @BothProviders
    void dup2PointsTheTargetNumberAtTheSourceFileWithCloexecClear(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path a = file("a", "A");
        Path b = file("b", "B");
        FileDescriptor src = task.open(a.toString(), O_RDONLY);
        FileDescriptor target = task.open(b.toString(), O_RDONLY);
        int targetNumber = target.number();
        FileDescriptor result = src.dup2(target);
        assertEquals(targetNumber, result.number());
        assertSame(task, result.task());
        assertFalse(target.isValid(), "the target handle is consumed");
        assertTrue(result.isOnlyHandle());
        assertEquals(a.toString(), Kernel.target(targetNumber));
        assertFalse(Kernel.cloexec(targetNumber), "dup2 leaves close-on-exec clear, for exec");
        assertTrue(Kernel.cloexec(src.number()));
        assertEquals("A", new String(result.read(10), StandardCharsets.UTF_8));
        result.close();
        src.close();
        assertNotEquals(a.toString(), Kernel.target(targetNumber));
    }

    @BothProviders
    void dup3WithCloexecSetsIt(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path a = file("a", "A");
        FileDescriptor src = task.open(a.toString(), O_RDONLY);
        FileDescriptor target = task.open(file("b", "B").toString(), O_RDONLY);
        FileDescriptor result = src.dup3(target, O_CLOEXEC);
        assertEquals(a.toString(), Kernel.target(result.number()));
        assertTrue(Kernel.cloexec(result.number()));
        FileDescriptor plain = src.dup3(result, 0);
        assertFalse(Kernel.cloexec(plain.number()));
        assertFalse(result.isValid());
        plain.close();
        src.close();
    }

    @BothProviders
    void dupOntoItsOwnNumberOnlySetsTheCloexecFlag(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path a = file("a", "A");
        FileDescriptor fd = task.open(a.toString(), O_RDONLY);
        int n = fd.number();
        FileDescriptor cleared = fd.dup2(fd);
        assertEquals(n, cleared.number());
        assertFalse(fd.isValid());
        assertFalse(Kernel.cloexec(n));
        FileDescriptor set = cleared.dup3(cleared, O_CLOEXEC);
        assertTrue(Kernel.cloexec(n));
        assertEquals(a.toString(), Kernel.target(n));
        set.close();
        assertNotEquals(a.toString(), Kernel.target(n));
    }

    @BothProviders
    void dupIsRefusedOntoATargetWithOtherHandles(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path b = file("b", "B");
        FileDescriptor src = task.open(file("a", "A").toString(), O_RDONLY);
        FileDescriptor target = task.open(b.toString(), O_RDONLY);
        FileDescriptor second = target.forTask(task);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> src.dup2(target));
        assertTrue(e.getMessage().contains("fd " + target.number()), e.getMessage());
        assertTrue(e.getMessage().contains("other handles"), e.getMessage());
        assertEquals(b.toString(), Kernel.target(target.number()), "nothing was dup'd");
        assertTrue(target.isValid());
        assertThrows(IllegalArgumentException.class, () -> src.dup3(target, 0x800));
        second.invalidate();
        target.close();
        assertThrows(io.rsyscall4j.fd.InvalidHandleException.class, () -> src.dup2(target));
        src.close();
    }

    @BothProviders
    void disableCloexecClearsTheFlag(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor fd = task.open(file("a", "A").toString(), O_RDONLY);
        assertTrue(Kernel.cloexec(fd.number()));
        fd.disableCloexec();
        assertFalse(Kernel.cloexec(fd.number()));
        fd.close();
    }

    @BothProviders
    void ioThroughAnotherProvidersTaskHandle(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Task other = Rsyscall.local(provider.equals("ffm") ? "jna" : "ffm");
        Pipe pipe = task.pipe();
        FileDescriptor w = pipe.write().move(other);
        w.writeAll("via the other provider".getBytes(StandardCharsets.UTF_8));
        assertEquals("via the other provider", new String(pipe.read().read(100), StandardCharsets.UTF_8));
        w.close();
        pipe.read().close();
    }

    @BothProviders
    void unknownProviderNamesTheAvailableOnes(String provider) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rsyscall.local("nope"));
        assertTrue(e.getMessage().contains("\"nope\""), e.getMessage());
        assertTrue(e.getMessage().contains(provider), e.getMessage());
        assertTrue(Rsyscall.availableProviders().containsAll(java.util.List.of("ffm", "jna")));
    }

    @BothProviders
    void localOverAnySyscallInterfaceJoinsTheJvmTable(String provider) throws IOException {
        Task custom = Rsyscall.local(Rsyscall.local(provider).sysif());
        assertSame(Rsyscall.local(provider).fdTable(), custom.fdTable());
        assertSame(Rsyscall.local(provider).addressSpace(), custom.addressSpace());
        FileDescriptor fd = custom.open(file("a", "A").toString(), O_RDONLY);
        FileDescriptor moved = fd.move(Rsyscall.local(provider));
        assertEquals(1, custom.stdout().number());
        moved.close();
    }
}
