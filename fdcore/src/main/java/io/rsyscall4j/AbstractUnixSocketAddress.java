package io.rsyscall4j;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A Unix socket name in Linux's abstract namespace: no file, gone when the last socket bound to it
 * closes, visible to every process of the same network namespace.
 *
 * <p>The kernel spells it as a {@code sun_path} starting with a NUL byte; the JDK's
 * {@link java.net.UnixDomainSocketAddress} holds a {@link java.nio.file.Path}, which cannot hold
 * a NUL, hence this type. The name is the bytes after that NUL (at most {@value #MAX_NAME}), and
 * every byte counts: {@code "a"} and {@code "a\0"} are different names.
 */
public final class AbstractUnixSocketAddress extends SocketAddress {
    private static final long serialVersionUID = 1L;
    /** The longest name: {@code sun_path}'s 108 bytes less the leading NUL. */
    public static final int MAX_NAME = 107;

    private final byte[] name;

    private AbstractUnixSocketAddress(byte[] name) {
        this.name = name;
    }

    /** The abstract name {@code name}, encoded as UTF-8 (written {@code @name} by ss and netstat). */
    public static AbstractUnixSocketAddress of(String name) {
        return of(Objects.requireNonNull(name, "name").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The abstract name made of exactly these bytes.
     *
     * @throws IllegalArgumentException more than {@value #MAX_NAME} bytes
     */
    public static AbstractUnixSocketAddress of(byte[] name) {
        byte[] copy = Objects.requireNonNull(name, "name").clone();
        if (copy.length > MAX_NAME) {
            throw new IllegalArgumentException("abstract Unix socket name is " + copy.length
                    + " bytes long; the limit is " + MAX_NAME + ": " + new AbstractUnixSocketAddress(copy));
        }
        return new AbstractUnixSocketAddress(copy);
    }

    /** Builds one from bytes the kernel returned, which always fit. */
    static AbstractUnixSocketAddress ofKernel(byte[] name) {
        return new AbstractUnixSocketAddress(name);
    }

    /** The name's bytes (without the leading NUL). */
    public byte[] name() {
        return name.clone();
    }

    int length() {
        return name.length;
    }

    void copyTo(byte[] dst, int at) {
        System.arraycopy(name, 0, dst, at, name.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AbstractUnixSocketAddress a && Arrays.equals(name, a.name);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(name);
    }

    /** {@code @name}, as ss(8) shows it; bytes outside printable ASCII as {@code \xNN}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("@");
        for (byte b : name) {
            if (b >= 0x20 && b < 0x7f && b != '\\') {
                sb.append((char) b);
            } else {
                sb.append("\\x").append(HexFormat.of().toHexDigits(b));
            }
        }
        return sb.toString();
    }
}
