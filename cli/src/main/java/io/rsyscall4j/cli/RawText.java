package io.rsyscall4j.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The command line and the environment as the bytes this process got, not as the JVM decoded them
 * (with {@code sun.jnu.encoding}: bytes that are not UTF-8 become U+FFFD, and under
 * {@code LC_ALL=C} every non-ASCII byte is lost). The commands work on <em>byte strings</em>: one
 * char per byte (ISO-8859-1), so picocli still parses option names, and {@link #bytes} gives the
 * exact bytes back where they leave the launcher (exec, open, bind).
 */
final class RawText {
    private RawText() {}

    /**
     * {@code args} as byte strings: the last {@code args.length} entries of
     * {@code /proc/self/cmdline}, the JVM's {@code main} arguments, when they line up with
     * {@code args}; else (the arguments did not come from this process's command line) the bytes
     * of {@code args} in the JVM's encoding.
     */
    static String[] arguments(String[] args) {
        List<byte[]> cmdline = read("cmdline");
        if (cmdline != null && cmdline.size() >= args.length) {
            List<byte[]> tail = cmdline.subList(cmdline.size() - args.length, cmdline.size());
            if (linesUp(tail, args)) {
                return tail.stream().map(RawText::string).toArray(String[]::new);
            }
        }
        String[] out = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            out[i] = string(args[i].getBytes(jnu()));
        }
        return out;
    }

    /** The environment this process started with, each entry {@code NAME=VALUE} as its bytes. */
    static List<byte[]> environment() {
        List<byte[]> environ = read("environ");
        if (environ != null) {
            return environ;
        }
        List<byte[]> out = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            out.add((e.getKey() + "=" + e.getValue()).getBytes(jnu()));
        }
        return out;
    }

    /** The bytes of a byte string. */
    static byte[] bytes(String byteString) {
        return byteString.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The byte string of {@code bytes}. */
    static String string(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /**
     * A byte string fit for a one-line message: decoded as UTF-8, each byte that is not UTF-8
     * and each control character written as {@code \xNN}.
     */
    static String show(String byteString) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes(byteString));
        CharBuffer out = CharBuffer.allocate(byteString.length());
        StringBuilder b = new StringBuilder(byteString.length());
        while (true) {
            CoderResult r = utf8.decode(in, out, true);
            out.flip();
            b.append(out);
            out.clear();
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    b.append(String.format("\\x%02x", in.get() & 0xff));
                }
            } else if (r.isUnderflow()) {
                break;
            }
        }
        return Text.show(b.toString());
    }

    private static boolean linesUp(List<byte[]> raw, String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (!new String(raw.get(i), jnu()).equals(args[i]) && !asciiOf(string(raw.get(i))).equals(asciiOf(args[i]))) {
                return false;
            }
        }
        return true;
    }

    /** The ASCII characters of {@code s} but '?' (which the JVM's decoders may put for a byte they cannot map). */
    private static String asciiOf(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.chars().filter(c -> c < 0x80 && c != '?').forEach(c -> b.append((char) c));
        return b.toString();
    }

    /** The NUL-terminated entries of {@code /proc/self/NAME}, or null if it cannot be read. */
    private static List<byte[]> read(String name) {
        byte[] all;
        try {
            all = Files.readAllBytes(Path.of("/proc/self", name));
        } catch (IOException | RuntimeException e) {
            return null;
        }
        List<byte[]> entries = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == 0) {
                entries.add(java.util.Arrays.copyOfRange(all, start, i));
                start = i + 1;
            }
        }
        return entries;
    }

    private static Charset jnu() {
        String name = System.getProperty("sun.jnu.encoding");
        try {
            return name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }
}
