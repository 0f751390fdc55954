package io.rsyscall4j.cli;

import io.rsyscall4j.SocketType;

/**
 * The socket SPECs of {@code --fd}: the socket's type, whether it is a Unix socket, and whether
 * the launcher binds it (and listens, for a connection type) or connects it.
 */
enum SocketKind {
    TCP_LISTEN("tcp-listen", "tcp-", SocketType.STREAM, false, false),
    TCP_CONNECT("tcp-connect", "tcp-connect-", SocketType.STREAM, false, true),
    UDP("udp", "udp-", SocketType.DGRAM, false, false),
    UNIX_LISTEN("unix-listen", "unix-", SocketType.STREAM, true, false),
    UNIX_SEQPACKET("unix-seqpacket", "unix-seqpacket-", SocketType.SEQPACKET, true, false),
    UNIX_DGRAM("unix-dgram", "unix-dgram-", SocketType.DGRAM, true, false),
    UNIX_CONNECT("unix-connect", "unix-connect-", SocketType.STREAM, true, true);

    final String prefix;
    final String namePrefix;
    final SocketType type;
    private final boolean unix;
    private final boolean connect;

    SocketKind(String prefix, String namePrefix, SocketType type, boolean unix, boolean connect) {
        this.prefix = prefix;
        this.namePrefix = namePrefix;
        this.type = type;
        this.unix = unix;
        this.connect = connect;
    }

    boolean unix() {
        return unix;
    }

    boolean connect() {
        return connect;
    }

    /** Whether the socket listens for connections (a stream or seqpacket socket that is not connected). */
    boolean listens() {
        return !connect && type != SocketType.DGRAM;
    }

    /** The kind whose SPEC starts {@code prefix:}, or null. */
    static SocketKind byPrefix(String prefix) {
        for (SocketKind k : values()) {
            if (k.prefix.equals(prefix)) {
                return k;
            }
        }
        return null;
    }
}
