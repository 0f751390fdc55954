package io.rsyscall4j;

import io.rsyscall4j.fd.FileDescriptor;

/**
 * The two ends of a pipe made by {@link Task#pipe()}: bytes written to {@code write} are read from
 * {@code read}. Both ends are close-on-exec.
 */
public record Pipe(FileDescriptor read, FileDescriptor write) {
}
