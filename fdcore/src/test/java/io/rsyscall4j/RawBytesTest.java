package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_CREAT;
import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static io.rsyscall4j.fd.OpenFlags.O_WRONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paths, arguments and environment entries as raw bytes: Linux's are bytes, not text, and bytes
 * that are not UTF-8 reach the kernel exactly as given.
 */
class RawBytesTest {
    /** Not UTF-8 (0xff, 0xfe never occur in it), then "-é" in UTF-8. */
    private static final byte[] NAME = {(byte) 0xff, (byte) 0xfe, '-', (byte) 0xc3, (byte) 0xa9};

    @TempDir
    Path dir;

    @BothProviders
    void openTakesAPathOfBytesThatAreNotUtf8(String provider) throws IOException {
        Task local = Rsyscall.local(provider);
        byte[] path = concat(bytes(dir + "/"), NAME);
        FileDescriptor w = local.open(path, O_WRONLY | O_CREAT, 0600);
        w.writeAll(bytes("raw"));
        w.close();
        FileDescriptor r = local.open(path, O_RDONLY);
        assertArrayEquals(bytes("raw"), r.read(10));
        r.close();
        try (var names = Files.list(dir)) {
            assertEquals(1, names.count());
        }
        assertArrayEquals(NAME, directoryEntryBytes(), "the name in the directory is exactly the bytes given");
        ErrnoException missing = assertThrows(ErrnoException.class,
                () -> local.open(concat(bytes(dir + "/"), new byte[] {(byte) 0xff}), O_RDONLY));
        assertEquals(Errno.ENOENT, missing.errno());
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                () -> local.open(new byte[] {'/', 't', 0, 'x'}, O_RDONLY));
        assertTrue(nul.getMessage().contains("path contains a NUL byte"), nul.getMessage());
    }

    @BothProviders
    void execPassesPathArgumentsAndEnvironmentAsTheBytesGiven(String provider) throws Exception {
        Path out = dir.resolve("out");
        ChildTask child = Rsyscall.local(provider).clone();
        FileDescriptor file = child.open(out.toString(), O_WRONLY | O_CREAT, 0600);
        file.dup2(child.stdout());
        file.close();
        byte[] arg = concat(NAME, bytes("|"));
        ChildProcess program = child.exec(bytes("sh"), List.of(bytes("sh"), bytes("-c"), bytes("printf %s \"$1$V\""),
                bytes("sh"), arg), List.of(concat(bytes("V="), NAME), bytes("PATH=/nonexistent:/usr/bin:/bin")));
        assertEquals(0, program.waitFor());
        assertArrayEquals(concat(arg, NAME), Files.readAllBytes(out), "argv and envp arrive byte for byte");
    }

    @BothProviders
    void rawBytesWithANulAreRefusedNamingWhich(String provider) throws Exception {
        ChildTask child = Rsyscall.local(provider).clone();
        try {
            byte[] nul = {'a', 0, 'b'};
            assertTrue(assertThrows(IllegalArgumentException.class, () -> child.exec(nul, List.of(), List.of()))
                    .getMessage().startsWith("path contains a NUL byte"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> child.exec(bytes("/bin/true"), List.of(bytes("true"), nul), List.of()))
                    .getMessage().startsWith("argument contains a NUL byte"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> child.exec(bytes("/bin/true"), List.of(bytes("true")), List.of(nul)))
                    .getMessage().startsWith("environment entry contains a NUL byte"));
            child.exec(bytes("/bin/true"), List.of(bytes("true")), List.of()).check();
        } finally {
            if (child.state() == ChildTask.State.ALIVE) {
                child.exit(0);
            }
        }
    }

    /** The bytes of the one name in {@link #dir}, as the kernel has them ({@code ls} through {@code od}). */
    private byte[] directoryEntryBytes() throws IOException {
        Process ls = new ProcessBuilder("sh", "-c", "ls \"$0\" | od -An -v -tx1", dir.toString()).start();
        String hex = new String(ls.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String h : hex.split("\\s+")) {
            b.write(Integer.parseInt(h, 16));
        }
        byte[] all = b.toByteArray();
        return java.util.Arrays.copyOf(all, all.length - 1); // ls ends the name with a newline
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
