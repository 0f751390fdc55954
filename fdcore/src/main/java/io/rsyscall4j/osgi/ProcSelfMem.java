package io.rsyscall4j.osgi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The JVM's own memory through {@code /proc/self/mem}, with plain Java file I/O.
 *
 * <p>It lets the local task move syscall arguments in and out of memory while no provider is
 * bound, so that what fails is the syscall itself — with {@code SyscallSendError}, as for any
 * call that could not be sent — and not the copy of its arguments before it. It is slower than a
 * provider (a file read or write per copy) and used only in that gap.
 */
final class ProcSelfMem {
    private static final Path MEM = Path.of("/proc/self/mem");

    private ProcSelfMem() {}

    static void write(long address, byte[] src, int off, int len) {
        try (FileChannel mem = FileChannel.open(MEM, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(src, off, len);
            while (buffer.hasRemaining()) {
                mem.write(buffer, address + buffer.position() - off);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("write of " + len + " bytes at 0x" + Long.toHexString(address)
                    + " through " + MEM + " failed", e);
        }
    }

    static void read(long address, byte[] dst, int off, int len) {
        try (FileChannel mem = FileChannel.open(MEM, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.wrap(dst, off, len);
            while (buffer.hasRemaining()) {
                if (mem.read(buffer, address + buffer.position() - off) < 0) {
                    throw new IOException("end of " + MEM);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("read of " + len + " bytes at 0x" + Long.toHexString(address)
                    + " through " + MEM + " failed", e);
        }
    }
}
