package io.rsyscall4j.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A jar held in memory — one of the bundles inside the launcher jar — read in place: its central
 * directory is read once, and an entry is inflated only when it is asked for, so nothing of it is
 * ever written to a file. The JDK reads zip files only from files, hence this small reader of
 * the plain zip format jars use (no ZIP64, no encryption: such a jar is refused).
 */
final class NestedJar {
    private static final int END = 0x06054b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;
    private static final int END_SIZE = 22;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;

    private final String name;
    private final byte[] zip;
    private final ByteBuffer le;
    private final Map<String, Entry> entries;

    /** Where an entry's bytes are and how they are kept. */
    private record Entry(int method, int localHeader, int compressedSize, int size, int crc) {}

    private NestedJar(String name, byte[] zip, Map<String, Entry> entries) {
        this.name = name;
        this.zip = zip;
        this.le = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        this.entries = entries;
    }

    /** Reads the central directory of {@code zip}, the bytes of the jar called {@code name}. */
    static NestedJar read(String name, byte[] zip) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int end = -1;
        // The end record is last, followed only by a comment of at most 65535 bytes.
        for (int i = zip.length - END_SIZE; i >= 0 && i >= zip.length - END_SIZE - 0xFFFF; i--) {
            if (b.getInt(i) == END) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new IOException(name + " is not a jar (no end of central directory)");
        }
        int count = Short.toUnsignedInt(b.getShort(end + 10));
        long at = Integer.toUnsignedLong(b.getInt(end + 16));
        if (count == 0xFFFF || at >= zip.length) {
            throw new IOException(name + ": ZIP64 or a damaged central directory");
        }
        Map<String, Entry> entries = new HashMap<>(count * 2);
        int p = (int) at;
        for (int i = 0; i < count; i++) {
            if (p + 46 > end || b.getInt(p) != CENTRAL) {
                throw new IOException(name + ": damaged central directory at entry " + i);
            }
            int flags = Short.toUnsignedInt(b.getShort(p + 8));
            int method = Short.toUnsignedInt(b.getShort(p + 10));
            int crc = b.getInt(p + 16);
            long compressed = Integer.toUnsignedLong(b.getInt(p + 20));
            long size = Integer.toUnsignedLong(b.getInt(p + 24));
            int nameLength = Short.toUnsignedInt(b.getShort(p + 28));
            int extraLength = Short.toUnsignedInt(b.getShort(p + 30));
            int commentLength = Short.toUnsignedInt(b.getShort(p + 32));
            long local = Integer.toUnsignedLong(b.getInt(p + 42));
            if ((flags & 1) != 0 || compressed >= zip.length || size > Integer.MAX_VALUE - 8 || local >= zip.length
                    || p + 46 + nameLength > end) {
                throw new IOException(name + ": entry " + i + " is encrypted, ZIP64 or damaged");
            }
            String entry = new String(zip, p + 46, nameLength, StandardCharsets.UTF_8);
            if (!entry.endsWith("/")) {
                entries.put(entry, new Entry(method, (int) local, (int) compressed, (int) size, crc));
            }
            p += 46 + nameLength + extraLength + commentLength;
        }
        return new NestedJar(name, zip, entries);
    }

    /** The jar's name, e.g. {@code picocli.jar}. */
    String name() {
        return name;
    }

    /** Whether the jar has a file entry called {@code entry}. */
    boolean has(String entry) {
        return entries.containsKey(entry);
    }

    /** The bytes of the file entry called {@code entry}, or null if there is none. */
    byte[] read(String entry) throws IOException {
        Entry e = entries.get(entry);
        if (e == null) {
            return null;
        }
        int local = e.localHeader();
        if (local + 30 > zip.length || le.getInt(local) != LOCAL) {
            throw new IOException(name + "!/" + entry + ": damaged local header");
        }
        int data = local + 30 + Short.toUnsignedInt(le.getShort(local + 26)) + Short.toUnsignedInt(le.getShort(local + 28));
        if (data + (long) e.compressedSize() > zip.length) {
            throw new IOException(name + "!/" + entry + ": truncated");
        }
        byte[] bytes = switch (e.method()) {
            case STORED -> Arrays.copyOfRange(zip, data, data + e.compressedSize());
            case DEFLATED -> inflate(entry, data, e);
            default -> throw new IOException(name + "!/" + entry + ": compression method " + e.method());
        };
        CRC32 crc = new CRC32();
        crc.update(bytes);
        if (bytes.length != e.size() || (int) crc.getValue() != e.crc()) {
            throw new IOException(name + "!/" + entry + ": size or CRC does not match");
        }
        return bytes;
    }

    private byte[] inflate(String entry, int data, Entry e) throws IOException {
        byte[] out = new byte[e.size()];
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(zip, data, e.compressedSize());
            int n = 0;
            while (!inflater.finished() && n < out.length) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != out.length) {
                throw new IOException(name + "!/" + entry + ": inflated " + n + " of " + out.length + " bytes");
            }
            return out;
        } catch (DataFormatException x) {
            throw new IOException(name + "!/" + entry + ": " + x.getMessage(), x);
        } finally {
            inflater.end();
        }
    }
}
