package io.rsyscall4j.cli;

import java.util.Locale;

/**
 * What one {@code --fd N=SPEC} asks to put at fd N of the program: an opened file, a socket
 * (listening, bound or connected), {@code /dev/null}, or one of the launcher's own fds. Parsing only: nothing is opened here,
 * so a bad SPEC is refused before any fd exists.
 */
sealed interface FdSpec {

    /** A name for {@code LISTEN_FDNAMES}: letters, digits, '.', '_' and '-' only (never ':', the separator). */
    String name();

    /** {@code file:PATH[:r|w|rw|a]}: read (the default), write (create, truncate), read-write (create), append (create). */
    record File(String path, Mode mode) implements FdSpec {
        @Override
        public String name() {
            return sanitize("file-" + path.substring(path.lastIndexOf('/') + 1));
        }
    }

    /**
     * A socket made for the program: {@code tcp-listen:}, {@code tcp-connect:} and {@code udp:}
     * take {@code [HOST:]PORT} ({@code host} an address literal or a name, {@code path} null);
     * {@code unix-listen:}, {@code unix-seqpacket:}, {@code unix-dgram:} and {@code unix-connect:}
     * take a PATH, or {@code @NAME} for a name in Linux's abstract namespace ({@code host} null).
     */
    record Socket(SocketKind kind, String host, int port, String path) implements FdSpec {
        /** Whether the name is in the abstract namespace ({@code @NAME}): no file to remove afterwards. */
        boolean isAbstract() {
            return path != null && path.startsWith("@");
        }

        @Override
        public String name() {
            if (path == null) {
                return sanitize(kind.namePrefix + port);
            }
            String base = isAbstract() ? path.substring(1) : path.substring(path.lastIndexOf('/') + 1);
            return sanitize(kind.namePrefix + base);
        }
    }

    /** {@code null}: {@code /dev/null}, read-write. */
    record Null() implements FdSpec {
        @Override
        public String name() {
            return "null";
        }
    }

    /** {@code inherit:M}: the launcher's own fd M, shared with the program. */
    record Inherit(int fd) implements FdSpec {
        @Override
        public String name() {
            return "inherit-" + fd;
        }
    }

    /** How a {@code file:} SPEC opens its file. */
    enum Mode {
        READ("r"), WRITE("w"), READ_WRITE("rw"), APPEND("a");

        final String suffix;

        Mode(String suffix) {
            this.suffix = suffix;
        }
    }

    String SYNTAX = "file:PATH[:r|w|rw|a], tcp-listen:[HOST:]PORT, tcp-connect:HOST:PORT, udp:[HOST:]PORT,"
            + " unix-listen:PATH, unix-seqpacket:PATH, unix-dgram:PATH, unix-connect:PATH (PATH or @NAME),"
            + " null or inherit:M";

    /** The longest Unix socket path or abstract name in bytes: {@code sun_path}'s 108 less the NUL or the '@'. */
    int UNIX_NAME_MAX = 107;

    /**
     * Parses one SPEC.
     *
     * @throws IllegalArgumentException the SPEC is malformed; the message says how
     */
    static FdSpec parse(String spec) {
        if (spec.equals("null")) {
            return new Null();
        }
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        String rest = colon < 0 ? "" : spec.substring(colon + 1);
        switch (kind) {
            case "file":
                return parseFile(rest);
            case "inherit":
                return new Inherit(parseFdNumber(rest, "inherit:M"));
            default:
                SocketKind socket = SocketKind.byPrefix(kind);
                if (socket == null) {
                    throw new IllegalArgumentException("unknown SPEC \"" + spec + "\" (expected " + SYNTAX + ")");
                }
                return socket.unix() ? parseUnix(socket, rest) : parseInet(socket, rest);
        }
    }

    private static Socket parseUnix(SocketKind kind, String rest) {
        if (rest.isEmpty()) {
            throw new IllegalArgumentException(kind.prefix + " needs a PATH or @NAME");
        }
        boolean isAbstract = rest.startsWith("@");
        if (isAbstract && rest.length() == 1) {
            throw new IllegalArgumentException(kind.prefix + " needs a NAME after @");
        }
        int bytes = RawText.bytes(rest).length - (isAbstract ? 1 : 0);
        if (bytes > UNIX_NAME_MAX) {
            throw new IllegalArgumentException(kind.prefix + (isAbstract ? " abstract name" : " path") + " is " + bytes
                    + " bytes long; the limit is " + UNIX_NAME_MAX + ": " + rest);
        }
        return new Socket(kind, null, 0, rest);
    }

    private static File parseFile(String rest) {
        Mode mode = Mode.READ;
        String path = rest;
        for (Mode m : Mode.values()) {
            if (rest.endsWith(":" + m.suffix)) {
                mode = m;
                path = rest.substring(0, rest.length() - m.suffix.length() - 1);
                break;
            }
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException("file needs a PATH");
        }
        return new File(path, mode);
    }

    private static Socket parseInet(SocketKind kind, String rest) {
        int colon = rest.lastIndexOf(':');
        if (colon < 0 && kind == SocketKind.TCP_CONNECT) {
            throw new IllegalArgumentException(kind.prefix + " needs HOST:PORT, got \"" + rest + "\"");
        }
        String host = colon < 0 ? "0.0.0.0" : rest.substring(0, colon);
        String port = colon < 0 ? rest : rest.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException(kind.prefix + " has an empty HOST");
        }
        if (!port.matches("[0-9]{1,5}")) {
            throw new IllegalArgumentException(kind.prefix + " needs a PORT number (digits 0-9), got \"" + port + "\"");
        }
        int p = Integer.parseInt(port);
        if (p > 65535 || (p == 0 && kind == SocketKind.TCP_CONNECT)) {
            throw new IllegalArgumentException(kind.prefix + " PORT must be " + (kind == SocketKind.TCP_CONNECT ? 1 : 0)
                    + " to 65535, got " + p);
        }
        return new Socket(kind, host.toLowerCase(Locale.ROOT), p, null);
    }

    /**
     * An fd number, as in {@code N=} and {@code inherit:M}: ASCII digits only (no sign, no other
     * script's digits), at most {@link Integer#MAX_VALUE}. Whether the number fits the fd table is
     * checked against {@code RLIMIT_NOFILE} where the limit is known.
     */
    static int parseFdNumber(String text, String what) {
        if (!text.matches("[0-9]+")) {
            throw new IllegalArgumentException(what + " needs an fd number (digits 0-9), got \"" + text + "\"");
        }
        String digits = text.replaceFirst("^0+(?=.)", "");
        if (digits.length() > 10 || Long.parseLong(digits) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " is too large an fd number: " + text);
        }
        return Integer.parseInt(digits);
    }

    private static String sanitize(String name) {
        String clean = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return clean.length() > 255 ? clean.substring(0, 255) : clean;
    }
}
