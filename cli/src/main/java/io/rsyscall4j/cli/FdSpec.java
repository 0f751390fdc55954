package io.rsyscall4j.cli;

import java.util.Locale;

/**
 * What one {@code --fd N=SPEC} asks to put at fd N of the program: an opened file, a listening
 * socket, {@code /dev/null}, or one of the launcher's own fds. Parsing only: nothing is opened here,
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

    /** {@code tcp-listen:[HOST:]PORT}: a TCP socket bound to HOST (default all IPv4 addresses) and listening. */
    record TcpListen(String host, int port) implements FdSpec {
        @Override
        public String name() {
            return sanitize("tcp-" + port);
        }
    }

    /** {@code unix-listen:PATH}: a Unix stream socket bound to PATH (which must not exist) and listening. */
    record UnixListen(String path) implements FdSpec {
        @Override
        public String name() {
            return sanitize("unix-" + path.substring(path.lastIndexOf('/') + 1));
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

    String SYNTAX = "file:PATH[:r|w|rw|a], tcp-listen:[HOST:]PORT, unix-listen:PATH, null or inherit:M";

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
            case "tcp-listen":
                return parseTcp(rest);
            case "unix-listen":
                if (rest.isEmpty()) {
                    throw new IllegalArgumentException("unix-listen needs a PATH");
                }
                if (RawText.bytes(rest).length > 107) {
                    throw new IllegalArgumentException("unix-listen path is longer than 107 bytes: " + rest);
                }
                return new UnixListen(rest);
            case "inherit":
                return new Inherit(parseFdNumber(rest, "inherit:M"));
            default:
                throw new IllegalArgumentException("unknown SPEC \"" + spec + "\" (expected " + SYNTAX + ")");
        }
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

    private static TcpListen parseTcp(String rest) {
        int colon = rest.lastIndexOf(':');
        String host = colon < 0 ? "0.0.0.0" : rest.substring(0, colon);
        String port = colon < 0 ? rest : rest.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("tcp-listen has an empty HOST");
        }
        if (!port.matches("[0-9]{1,5}")) {
            throw new IllegalArgumentException("tcp-listen needs a PORT number (digits 0-9), got \"" + port + "\"");
        }
        int p = Integer.parseInt(port);
        if (p > 65535) {
            throw new IllegalArgumentException("tcp-listen PORT must be 0 to 65535, got " + p);
        }
        return new TcpListen(host.toLowerCase(Locale.ROOT), p);
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
