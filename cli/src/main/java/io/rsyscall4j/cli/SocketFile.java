package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.AT_FDCWD;
import static io.rsyscall4j.api.Linux.AT_SYMLINK_NOFOLLOW;
import static io.rsyscall4j.api.Linux.S_IFMT;
import static io.rsyscall4j.api.Linux.STAT_MODE_OFFSET;
import static io.rsyscall4j.api.Linux.STAT_SIZE;
import static io.rsyscall4j.api.Linux.S_IFSOCK;

import io.rsyscall4j.Task;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The file a Unix socket's {@code bind} made, known by its device and inode, so that the launcher
 * removes that file and nothing else: whatever the program (or anyone) put at the path meanwhile
 * — a regular file, another socket — stays.
 *
 * <p>The identity is read with {@code lstat} right after the bind, and checked again right before
 * the {@code unlink}; someone able to replace entries of the directory in between those two
 * syscalls could still have a file of theirs removed (there is no unlink-if-inode in Linux).
 *
 * @param path the path as a byte string ({@link RawText}): one char per byte
 */
record SocketFile(String path, long device, long inode) {

    /** The socket file at {@code path} as it is now ({@code lstat}): call right after the bind. */
    static SocketFile boundAt(Task task, String path) throws IOException {
        long[] id = identity(task, path);
        if (id == null) {
            throw new IOException(RawText.show(path) + " is not a socket file right after its bind");
        }
        return new SocketFile(path, id[0], id[1]);
    }

    /**
     * Unlinks the path if it is still this socket file (same device and inode, still a socket);
     * returns whether it did. A path that is gone, or is something else now, is left alone.
     */
    boolean removeIfStillOurs(Task task) throws IOException {
        long[] id = identity(task, path);
        if (id == null || id[0] != device || id[1] != inode) {
            return false;
        }
        try (SyscallMemory scratch = SyscallMemory.map(task)) {
            byte[] name = cString(path);
            scratch.write(0, name, 0, name.length);
            task.sysif().syscall(Sys.UNLINKAT, AT_FDCWD, scratch.address(), 0);
            return true;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    /** {device, inode} of the socket file at {@code path}, or null if there is none (or not a socket). */
    private static long[] identity(Task task, String path) throws IOException {
        byte[] name = cString(path);
        try (SyscallMemory scratch = SyscallMemory.map(task)) {
            int stat = align(name.length);
            scratch.write(0, name, 0, name.length);
            try {
                task.sysif().syscall(Sys.NEWFSTATAT, AT_FDCWD, scratch.address(), scratch.address() + stat,
                        AT_SYMLINK_NOFOLLOW);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                    return null;
                }
                throw e;
            }
            byte[] st = new byte[STAT_SIZE];
            scratch.read(stat, st, 0, STAT_SIZE);
            ByteBuffer b = ByteBuffer.wrap(st).order(ByteOrder.LITTLE_ENDIAN);
            if ((b.getInt(STAT_MODE_OFFSET) & S_IFMT) != S_IFSOCK) {
                return null;
            }
            return new long[] {b.getLong(0), b.getLong(8)};
        }
    }

    private static int align(int n) {
        return (n + 15) & ~15;
    }

    private static byte[] cString(String s) {
        byte[] bytes = RawText.bytes(s);
        byte[] out = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, out, 0, bytes.length);
        return out;
    }
}
