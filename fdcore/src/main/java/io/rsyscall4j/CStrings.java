package io.rsyscall4j;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/** Strings as syscalls take them: NUL-terminated bytes (paths, arguments, environment entries). */
final class CStrings {
    private CStrings() {}

    /**
     * {@code bytes} NUL-terminated (a copy); refuses bytes with a NUL in them, naming them as {@code what}.
     */
    static byte[] cBytes(byte[] bytes, String what) {
        Objects.requireNonNull(bytes, what);
        for (byte b : bytes) {
            if (b == 0) {
                throw new IllegalArgumentException(what + " contains a NUL byte: \"" + show(bytes).replace("\0", "\\0") + "\"");
            }
        }
        return Arrays.copyOf(bytes, bytes.length + 1);
    }

    /** {@code bytes} for a message: decoded as UTF-8, a malformed byte replaced by U+FFFD. */
    static String show(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** {@code s} as a NUL-terminated UTF-8 string; refuses strings with NUL in them. */
    static byte[] cString(String s) {
        Objects.requireNonNull(s, "path");
        int n = s.length();
        byte[] c = new byte[n + 1];
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            if (ch == 0 || ch >= 0x80) {
                return cStringSlow(s);
            }
            c[i] = (byte) ch;
        }
        return c;
    }

    /** {@link #cString} for paths with non-ASCII characters (or a NUL, which it refuses). */
    private static byte[] cStringSlow(String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path contains a NUL character: \"" + s.replace("\0", "\\0") + "\"");
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        byte[] c = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, c, 0, utf8.length);
        return c;
    }
}
