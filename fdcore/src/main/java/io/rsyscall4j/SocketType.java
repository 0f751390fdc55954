package io.rsyscall4j;

import io.rsyscall4j.api.Linux;

/**
 * The kind of a socket ({@code socket(2)}'s type argument), with Linux's numbers.
 * {@link Task#socket} always adds {@code SOCK_CLOEXEC}.
 */
public enum SocketType {
    /** {@code SOCK_STREAM}: a connected byte stream (TCP; Unix stream sockets). */
    STREAM(Linux.SOCK_STREAM),
    /** {@code SOCK_DGRAM}: datagrams, each read whole (UDP; Unix datagram sockets). */
    DGRAM(Linux.SOCK_DGRAM),
    /** {@code SOCK_SEQPACKET}: a connection of datagrams kept in order (Unix only here). */
    SEQPACKET(Linux.SOCK_SEQPACKET);

    private final int value;

    SocketType(int value) {
        this.value = value;
    }

    /** Linux's number for it ({@code SOCK_STREAM} = 1, ...). */
    public int value() {
        return value;
    }
}
