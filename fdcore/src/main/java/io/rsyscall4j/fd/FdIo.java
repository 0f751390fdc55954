package io.rsyscall4j.fd;

import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.internal.Poller;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;

/**
 * How a handle's bytes move: {@link FileDescriptor#read}, {@link FileDescriptor#write} and the
 * channel's copy-free {@link #transfer}, each a {@code read(2)} or {@code write(2)} on the
 * borrowed number, parked first in a virtual thread. The one place they do, so a change to one
 * is made to all.
 */
final class FdIo {
    /** The room a writable pipe has at least ({@code PIPE_BUF}). */
    private static final int PIPE_BUF = 4096;

    private FdIo() {}

    /** {@code read(2)} of {@code fd} into {@code buf[off, off+len)}, through the task's scratch memory. */
    static int read(FileDescriptor fd, byte[] buf, int off, int len) throws IOException {
        FileDescriptorTask task = fd.task();
        try (Borrowed b = fd.borrow(task)) {
            awaitIfVirtual(b, Linux.POLLIN);
            try (ScratchBuffer s = task.addressSpace().scratch(task.sysif())) {
                int n = (int) task.sysif().syscall(Sys.READ, b.number(), s.address(), Math.min(len, s.capacity()));
                s.read(0, buf, off, n);
                return n;
            }
        }
    }

    /** {@code write(2)} of {@code buf[off, off+len)} to {@code fd}, through the task's scratch memory. */
    static int write(FileDescriptor fd, byte[] buf, int off, int len) throws IOException {
        FileDescriptorTask task = fd.task();
        try (Borrowed b = fd.borrow(task)) {
            boolean parked = awaitIfVirtual(b, Linux.POLLOUT);
            try (ScratchBuffer s = task.addressSpace().scratch(task.sysif())) {
                // Writable means room for PIPE_BUF bytes at least: a longer write could block again.
                int n = Math.min(len, parked ? PIPE_BUF : s.capacity());
                s.write(0, buf, off, n);
                return (int) task.sysif().syscall(Sys.WRITE, b.number(), s.address(), n);
            }
        }
    }

    /**
     * {@code read(2)} or {@code write(2)} ({@code op}) of {@code len} bytes at {@code address} in
     * the task's memory, without a copy: the channel's direct buffers.
     */
    static int transfer(FileDescriptor fd, Sys op, long address, int len) throws IOException {
        FileDescriptorTask task = fd.task();
        try (Borrowed b = fd.borrow(task)) {
            boolean parked = awaitIfVirtual(b, op == Sys.WRITE ? Linux.POLLOUT : Linux.POLLIN);
            int n = parked && op == Sys.WRITE ? Math.min(len, PIPE_BUF) : len;
            return (int) task.sysif().syscall(op, b.number(), address, n);
        }
    }

    /**
     * In a virtual thread, parks it until the borrowed fd polls ready for {@code events}, so the
     * blocking call that follows does not hold its carrier (see {@link Poller}: readiness by
     * {@code poll(2)} and {@code epoll}; the fd's flags, shared with every process holding the
     * file, are never changed). Only for tasks whose calls the JVM makes itself; a child task's
     * call parks in its round trip instead.
     */
    private static boolean awaitIfVirtual(Borrowed b, short events) throws IOException {
        FileDescriptorTask task = b.task();
        if (task.runsInJvm() && Poller.inVirtualThread()) {
            Poller.await(task.sysif(), task.addressSpace(), b.number(), events);
            return true;
        }
        return false;
    }
}
