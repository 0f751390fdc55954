package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_CLOEXEC;
import static io.rsyscall4j.fd.OpenFlags.O_CREAT;
import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static io.rsyscall4j.fd.OpenFlags.O_TRUNC;
import static io.rsyscall4j.fd.OpenFlags.O_WRONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.InvalidHandleException;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.FutureTask;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FileDescriptor#inputStream}, {@link FileDescriptor#outputStream} and
 * {@link FileDescriptor#channel} on real pipes and files: what JDK code expects of them (end of
 * file, short reads, buffer positions, errors once closed) and that closing one closes the fd
 * once, checked in /proc.
 */
class FdStreamsTest {
    /** More than one scratch buffer (64 KiB), so a heap-buffer transfer takes several syscalls. */
    private static final int BIG = 200_000;

    @TempDir
    Path dir;

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private Path file(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content).toRealPath();
    }

    @BothProviders
    void anInputStreamReadsToTheEndThenGivesMinusOne(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Pipe pipe = task.pipe();
        pipe.write().writeAll("hello, streams".getBytes(StandardCharsets.UTF_8));
        pipe.write().close();
        try (InputStream in = pipe.read().inputStream()) {
            assertEquals("hello, streams", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(-1, in.read());
            assertEquals(-1, in.read(new byte[8], 0, 8));
        }
    }

    @BothProviders
    void aReadGivesWhatIsThereAndAnEmptyReadGivesZeroWithoutWaiting(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        try (Pipe pipe = task.pipe(); InputStream in = pipe.read().inputStream()) {
            assertEquals(0, in.read(new byte[4], 0, 0), "an empty pipe that is still open: no bytes, not EOF");
            pipe.write().writeAll(new byte[] {1, 2, (byte) 0xff});
            byte[] buf = new byte[100];
            Arrays.fill(buf, (byte) 7);
            assertEquals(2, in.read(buf, 10, 2));
            assertEquals(1, in.read(buf, 50, 50), "a short read: the one byte left, not a wait for 50");
            assertEquals(1, buf[10]);
            assertEquals(2, buf[11]);
            assertEquals((byte) 0xff, buf[50]);
            assertEquals(7, buf[9]);
            assertEquals(7, buf[12]);
            assertEquals(7, buf[51]);
            pipe.write().writeAll(new byte[] {(byte) 0xfe});
            assertEquals(0xfe, in.read(), "read() gives the byte unsigned");
            assertThrows(IndexOutOfBoundsException.class, () -> in.read(buf, 99, 2));
        }
    }

    @BothProviders
    void anOutputStreamWritesEveryByteOfEachWrite(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = dir.resolve("out");
        byte[] data = random(BIG);
        try (OutputStream out = task.open(f.toString(), O_WRONLY | O_CREAT | O_TRUNC, 0600).outputStream()) {
            out.write(data, 0, BIG);
            out.write('!');
            out.write(data, 5, 0);
            out.flush();
        }
        byte[] expected = Arrays.copyOf(data, BIG + 1);
        expected[BIG] = '!';
        assertArrayEquals(expected, Files.readAllBytes(f));
    }

    @BothProviders
    void aChannelMovesHeapBuffersBetweenTheirPositionAndLimit(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        checkChannelBuffers(task, ByteBuffer::allocate, "heap");
    }

    @BothProviders
    void aChannelMovesDirectBuffersBetweenTheirPositionAndLimit(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        checkChannelBuffers(task, ByteBuffer::allocateDirect, "direct");
    }

    /** Reads and writes through slices (nonzero offset or address) with a position and a limit set. */
    private void checkChannelBuffers(Task task, Function<Integer, ByteBuffer> allocate, String kind) throws IOException {
        byte[] data = random(1000);
        Path in = file(kind + "-in", data);
        try (ByteChannel ch = task.open(in.toString(), O_RDONLY).channel()) {
            ByteBuffer b = allocate.apply(120).position(7).slice(); // 113 bytes, starting 7 bytes in
            b.position(3).limit(53);
            assertEquals(50, ch.read(b));
            assertEquals(53, b.position());
            assertEquals(53, b.limit());
            byte[] got = new byte[50];
            b.get(3, got);
            assertArrayEquals(Arrays.copyOf(data, 50), got);
            assertEquals(0, ch.read(b), "no room: zero, not end of file");
            b.limit(b.capacity());
            assertEquals(0, b.get(2), "nothing before the position is touched");
            assertEquals(0, b.get(53), "nothing after the limit is touched");
            assertEquals(60, ch.read(b), "the rest up to the capacity");
            assertEquals(data[109], b.get(112));
            ByteBuffer rest = allocate.apply(2000);
            assertEquals(1000 - 110, ch.read(rest));
            assertEquals(-1, ch.read(rest.clear()));
        }
        Path out = dir.resolve(kind + "-out");
        try (ByteChannel ch = task.open(out.toString(), O_WRONLY | O_CREAT | O_TRUNC, 0600).channel()) {
            ByteBuffer b = allocate.apply(1010).position(10).slice();
            b.put(data).flip().position(100).limit(900);
            assertEquals(800, ch.write(b));
            assertEquals(900, b.position());
            assertEquals(900, b.limit());
            assertEquals(0, ch.write(b));
            ByteBuffer big = allocate.apply(BIG).put(random(BIG)).flip();
            assertEquals(BIG, ch.write(big), "a write writes all that remains, in as many syscalls as it takes");
            assertEquals(BIG, big.position());
            ByteBuffer readOnly = ByteBuffer.wrap(data).asReadOnlyBuffer().position(1).limit(3);
            assertEquals(2, ch.write(readOnly));
            assertEquals(3, readOnly.position());
            assertThrows(IllegalArgumentException.class, () -> ch.read(readOnly.clear()), "reading into a read-only buffer");
        }
        byte[] written = Files.readAllBytes(out);
        assertArrayEquals(Arrays.copyOfRange(data, 100, 900), Arrays.copyOf(written, 800));
        assertArrayEquals(random(BIG), Arrays.copyOfRange(written, 800, 800 + BIG));
        assertArrayEquals(Arrays.copyOfRange(data, 1, 3), Arrays.copyOfRange(written, 800 + BIG, written.length));
    }

    @BothProviders
    void aDirectBufferGoesToTheKernelWholeNotThroughScratchMemory(String provider) throws IOException {
        // read(2) of a regular file fills what it is given; a copy through the 64 KiB scratch
        // buffer could not give more than 64 KiB at once.
        Task task = Rsyscall.local(provider);
        byte[] data = random(BIG);
        Path f = file("whole", data);
        try (ChildTask child = task.clone()) {
            for (Task t : List.of(task, child)) {
                try (ByteChannel ch = t.open(f.toString(), O_RDONLY).channel()) {
                    ByteBuffer b = ByteBuffer.allocateDirect(BIG + 10);
                    assertEquals(BIG, ch.read(b), "one read, in " + t);
                    byte[] got = new byte[BIG];
                    b.flip().get(got);
                    assertArrayEquals(data, got);
                }
            }
        }
    }

    @BothProviders
    void aClosedStreamOrChannelRefusesUseNamingTheFd(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Pipe pipe = task.pipe();
        InputStream in = pipe.read().inputStream();
        OutputStream out = pipe.write().outputStream();
        int inNumber = pipe.read().number();
        int outNumber = pipe.write().number();
        in.close();
        out.close();
        IOException e = assertThrows(IOException.class, in::read);
        assertTrue(e.getMessage().startsWith("Stream closed: fd " + inNumber + " of "), e.getMessage());
        e = assertThrows(IOException.class, () -> in.read(new byte[1], 0, 0));
        assertTrue(e.getMessage().contains("fd " + inNumber), e.getMessage());
        e = assertThrows(IOException.class, () -> out.write(1));
        assertTrue(e.getMessage().startsWith("Stream closed: fd " + outNumber + " of "), e.getMessage());

        Path f = file("closed", new byte[10]);
        ByteChannel ch = task.open(f.toString(), O_RDONLY).channel();
        assertTrue(ch.isOpen());
        ch.close();
        assertFalse(ch.isOpen());
        ClosedChannelException ce = assertThrows(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(4)));
        assertTrue(ce.getCause().getMessage().startsWith("Stream closed: fd "), String.valueOf(ce.getCause()));
        assertThrows(ClosedChannelException.class, () -> ch.write(ByteBuffer.allocate(4)));
    }

    @BothProviders
    void aStreamWhoseHandleWasInvalidatedElsewhereRefusesUse(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("elsewhere", new byte[10]);
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        InputStream in = fd.inputStream();
        ByteChannel ch = fd.channel();
        fd.close();
        IOException e = assertThrows(IOException.class, () -> in.read(new byte[4]));
        assertTrue(e.getMessage().startsWith("Stream closed: fd " + fd.number()), e.getMessage());
        assertFalse(ch.isOpen());
        assertThrows(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(4)));
        in.close(); // nothing left to close: no error
    }

    @BothProviders
    void closingAStreamClosesItsFdOnceAndNeverTheNumberReused(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path a = file("a", new byte[1]);
        Path b = file("b", new byte[2]);
        FileDescriptor fd = task.open(a.toString(), O_RDONLY);
        int n = fd.number();
        InputStream in = fd.inputStream();
        assertEquals(a.toString(), Kernel.target(n));
        in.close();
        assertFalse(fd.isValid(), "the stream owned the handle");
        assertNull(Kernel.target(n), "closing the stream closed the fd");
        // The number now goes to another file; closing the stream again must leave it alone.
        FileDescriptor other = task.open(b.toString(), O_RDONLY);
        FileDescriptor atN = other.number() == n ? other : other.dup3(task.makeFdHandle(n), O_CLOEXEC);
        assertEquals(b.toString(), Kernel.target(n));
        in.close();
        fd.inputStream().close();
        fd.outputStream().close();
        fd.channel().close();
        assertEquals(b.toString(), Kernel.target(n), "a second close closed nothing");
        assertThrows(InvalidHandleException.class, fd::close);
        assertTrue(atN.isValid());
        Pipe.invalidateBoth(other, atN);
        assertNull(Kernel.target(n));
    }

    @BothProviders
    void closingAStreamLeavesTheFdToItsOtherHandles(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path a = file("shared", new byte[] {42});
        FileDescriptor fd = task.open(a.toString(), O_RDONLY);
        FileDescriptor other = fd.forTask(task);
        fd.channel().close();
        assertFalse(fd.isValid());
        assertEquals(a.toString(), Kernel.target(other.number()), "another handle still owns the fd");
        try (InputStream in = other.inputStream()) {
            assertEquals(42, in.read());
        }
        assertNull(Kernel.target(other.number()));
    }

    @BothProviders
    void jdkCodeUsesThemAsItsOwn(String provider) throws Exception {
        Task task = Rsyscall.local(provider);
        byte[] data = random(BIG);
        Path f = file("jdk", data);
        // transferTo from a file's stream into a pipe's, read back through Channels on the other end.
        Pipe pipe = task.pipe();
        FutureTask<Long> writer = new FutureTask<>(() -> {
            try (InputStream in = task.open(f.toString(), O_RDONLY).inputStream();
                    OutputStream out = Channels.newOutputStream(pipe.write().channel())) {
                return in.transferTo(out);
            }
        });
        new Thread(writer, "FdStreamsTest-writer").start();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (InputStream in = Channels.newInputStream(pipe.read().channel())) {
            in.transferTo(got);
        }
        assertEquals(BIG, writer.get());
        assertArrayEquals(data, got.toByteArray());
        assertFalse(pipe.read().isValid() || pipe.write().isValid(), "the JDK's streams closed the channels");

        Path text = dir.resolve("text");
        Files.writeString(text, "one\ntwo\nthree\n");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                task.open(text.toString(), O_RDONLY).inputStream(), StandardCharsets.UTF_8))) {
            assertEquals(List.of("one", "two", "three"), r.lines().toList());
        }
        try (InputStream in = Channels.newInputStream(task.open(text.toString(), O_RDONLY).channel())) {
            assertEquals("one\ntwo\nthree\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @BothProviders
    void readingAWriteOnlyFdFailsAsTheSyscallDoes(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        try (Pipe pipe = task.pipe(); InputStream in = pipe.write().inputStream()) {
            ErrnoException e = assertThrows(ErrnoException.class, in::read);
            assertEquals("EBADF", e.errnoName());
        }
    }
}
