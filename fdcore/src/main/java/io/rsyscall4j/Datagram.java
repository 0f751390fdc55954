package io.rsyscall4j;

import java.net.SocketAddress;

/** A datagram {@link Sockets#receiveFrom} received, and the address it came from. */
public record Datagram(byte[] data, SocketAddress source) {
}
