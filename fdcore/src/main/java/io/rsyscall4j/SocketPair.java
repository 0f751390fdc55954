package io.rsyscall4j;

import io.rsyscall4j.fd.FileDescriptor;

/**
 * The two connected ends of a Unix socket pair made by {@link Task#socketpair}: what one end
 * sends, the other receives. Both are close-on-exec.
 */
public record SocketPair(FileDescriptor first, FileDescriptor second) {
}
