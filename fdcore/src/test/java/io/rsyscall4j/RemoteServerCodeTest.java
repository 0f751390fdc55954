package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RemoteServerCode}: its bytes are what GNU {@code as} makes of
 * {@code fdcore/src/main/asm/remote_x86_64.S}, and its executable, run here on its own, speaks the
 * stream protocol: hello, syscalls, the two memory requests, and an end on EOF or a fault.
 */
class RemoteServerCodeTest {
    private static final Path LISTING = Path.of("src/main/asm/remote_x86_64.S");

    @TempDir
    Path dir;

    @Test
    void theShippedBytesAreTheListingAssembled() throws Exception {
        Assembled listing = Assembled.of(LISTING, dir);
        assertArrayEquals(listing.text(), RemoteServerCode.bytes(),
                "RemoteServerCode.HEX is not remote_x86_64.S assembled: run fdcore/src/main/asm/assemble.sh remote_x86_64.S and paste its output");
        assertEquals(listing.symbols().get("start"), RemoteServerCode.OFFSET_START, "start's offset");
    }

    @Test
    void theExecutableServesSyscallsAndMemoryUntilEof() throws Exception {
        Process p = startServer();
        try (OutputStream in = p.getOutputStream(); DataInputStream out = new DataInputStream(p.getInputStream())) {
            assertEquals(RemoteServerCode.HELLO, readLong(out), "hello");
            assertEquals(64, Integer.reverseBytes(out.readInt()), "the request stream's fd");
            assertEquals(65, Integer.reverseBytes(out.readInt()), "the answer stream's fd");
            request(in, 39); // getpid
            assertEquals(p.pid(), readLong(out), "getpid runs in the server");
            request(in, 9, 0, 4096, 3, 0x22, -1, 0); // mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)
            long address = readLong(out);
            byte[] data = "remote memory".getBytes(StandardCharsets.US_ASCII);
            request(in, RemoteServerCode.TO_MEMORY, address, data.length);
            in.write(data);
            request(in, RemoteServerCode.FROM_MEMORY, address, data.length);
            byte[] back = new byte[data.length];
            out.readFully(back);
            assertArrayEquals(data, back, "bytes written into the server's memory read back");
            request(in, 3, -1); // close(-1)
            assertEquals(-9, readLong(out), "an error comes back as -errno (EBADF)");
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "EOF on stdin ends the server");
        assertEquals(0, p.exitValue());
    }

    @Test
    void aFaultMovingMemoryEndsTheServer() throws Exception {
        Process p = startServer();
        try (OutputStream in = p.getOutputStream(); InputStream out = p.getInputStream()) {
            new DataInputStream(out).readFully(new byte[16]); // hello and fds
            request(in, RemoteServerCode.FROM_MEMORY, 0, 8); // address 0: EFAULT
            assertEquals(-1, out.read(), "the stream ends, with nothing written");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server ended");
        }
    }

    private Process startServer() throws IOException {
        Path exe = dir.resolve("server");
        Files.write(exe, RemoteServerCode.executable());
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwx------"));
        return new ProcessBuilder(exe.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static void request(OutputStream in, long nr, long... args) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN).putLong(nr);
        for (long a : args) {
            b.putLong(a);
        }
        in.write(b.array());
        in.flush();
    }

    private static long readLong(DataInputStream out) throws IOException {
        return Long.reverseBytes(out.readLong());
    }
}
