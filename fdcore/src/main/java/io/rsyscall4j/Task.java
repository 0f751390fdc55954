package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.AT_FDCWD;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.AddressSpace;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.FileDescriptorTask;
import io.rsyscall4j.fd.OpenFlags;
import io.rsyscall4j.fd.ScratchBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A process (or thread) whose syscalls rsyscall4j makes, with the operations that create fds.
 *
 * <p>The JVM itself is a task ({@link Rsyscall#local()}); child tasks are processes the JVM clones
 * and runs syscalls in. A task is in one fd table ({@link #fdTable()}) and one address space; its
 * fds are {@link FileDescriptor} handles, closed exactly once, when their last handle is invalidated
 * or garbage-collected. Every fd a task creates is close-on-exec, so nothing leaks into a program it
 * execs unless asked for ({@link FileDescriptor#dup2}, {@link FileDescriptor#disableCloexec}).
 *
 * <p>Thread-safe: any number of Java threads may use one task at once.
 */
public class Task extends FileDescriptorTask {

    private volatile FileDescriptor stdin;
    private volatile FileDescriptor stdout;
    private volatile FileDescriptor stderr;

    /** For the local task and child tasks (in this package); call {@link #initStdio} right after. */
    Task(SyscallInterface sysif, int pid, FDTable fdTable, AddressSpace addressSpace) {
        super(sysif, pid, fdTable, addressSpace);
    }

    /** Sets the handles {@link #stdin()}, {@link #stdout()} and {@link #stderr()} return. */
    final void initStdio(FileDescriptor in, FileDescriptor out, FileDescriptor err) {
        this.stdin = in;
        this.stdout = out;
        this.stderr = err;
    }

    /** This task's handle for fd 0. */
    public FileDescriptor stdin() {
        return stdin;
    }

    /** This task's handle for fd 1. */
    public FileDescriptor stdout() {
        return stdout;
    }

    /** This task's handle for fd 2. */
    public FileDescriptor stderr() {
        return stderr;
    }

    /** {@link #open(String, int, int)} with mode 0 (for flags without {@code O_CREAT}/{@code O_TMPFILE}). */
    public FileDescriptor open(String path, int flags) throws IOException {
        return open(path, flags, 0);
    }

    /**
     * {@code openat(AT_FDCWD, path, flags | O_CLOEXEC, mode)} in this task: relative paths are
     * resolved against the task's working directory. {@code O_CLOEXEC} is always added.
     *
     * @param path the path, encoded as UTF-8
     * @param flags {@link OpenFlags} values
     * @throws IllegalArgumentException the path contains a NUL character (the kernel would see a
     *     shorter path than the one asked for)
     * @throws ErrnoException the kernel refused; its subject is the path
     */
    public FileDescriptor open(String path, int flags, int mode) throws IOException {
        byte[] cpath = cString(path);
        if (!canMakeFds()) {
            checkCanMakeFds("open " + path);
        }
        long fd;
        try (ScratchBuffer buf = addressSpace().scratch(sysif())) {
            if (cpath.length > buf.capacity()) {
                throw new ErrnoException(Sys.OPENAT, Errno.byName("ENAMETOOLONG"), path);
            }
            buf.write(0, cpath, 0, cpath.length);
            fd = sysif().syscall(Sys.OPENAT, AT_FDCWD, buf.address(), flags | OpenFlags.O_CLOEXEC, mode);
        } catch (ErrnoException e) {
            throw e.withSubject(path);
        }
        return adopt((int) fd);
    }

    /** {@code pipe2(O_CLOEXEC)}: a new pipe, both ends owned by this task. */
    public Pipe pipe() throws IOException {
        checkCanMakeFds("make a pipe");
        int r;
        int w;
        try (ScratchBuffer buf = addressSpace().scratch(sysif())) {
            sysif().syscall(Sys.PIPE2, buf.address(), OpenFlags.O_CLOEXEC);
            r = buf.readInt(0);
            w = buf.readInt(4);
        }
        FileDescriptor read;
        try {
            read = adopt(r);
        } catch (RuntimeException e) {
            closeQuietly(w, e);
            throw e;
        }
        return new Pipe(read, adopt(w));
    }

    /**
     * Makes a child task: a new process, cloned by this task, that runs a syscall server for the
     * JVM ({@link ChildTask}). It shares this task's address space; with {@link CloneFlag#FILES} it
     * joins this task's fd table, else it gets a copy of it, whose fds it claims with
     * {@link #inheritFd} (only those with handles at the time of the clone).
     */
    public ChildTask clone(CloneFlag... flags) throws IOException {
        return ChildTask.cloneFrom(this, flags);
    }

    /**
     * A handle for {@code fd}, which a syscall of this task just created; if no handle can be
     * made (the task began changing tables meanwhile), the fd is closed rather than leaked.
     */
    final FileDescriptor adopt(int fd) {
        try {
            return makeFdHandleFromNear(fd);
        } catch (RuntimeException e) {
            closeQuietly(fd, e);
            throw e;
        }
    }

    private void closeQuietly(int fd, RuntimeException cause) {
        try {
            sysif().syscall(Sys.CLOSE, fd);
        } catch (SyscallException c) {
            cause.addSuppressed(c);
        }
    }

    /**
     * Refuses to make fds while the task is changing tables; a child task also refuses once it
     * has exited, exec'd or died, and says so.
     */
    void checkCanMakeFds(String what) {
        if (isManipulatingFdTable()) {
            throw new IllegalStateException("can't " + what + " in " + this + ": it is manipulating its fd table");
        }
    }

    /**
     * Whether {@link #checkCanMakeFds} would pass right now: lets a hot path skip building the
     * message of an exception it will not throw.
     */
    boolean canMakeFds() {
        return !isManipulatingFdTable();
    }

    /** {@code s} as a NUL-terminated UTF-8 string; refuses strings with NUL in them. */
    static byte[] cString(String s) {
        Objects.requireNonNull(s, "path");
        int n = s.length();
        byte[] c = new byte[n + 1];
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            if (ch == 0 || ch >= 0x80) {
                return cStringSlow(s);
            }
            c[i] = (byte) ch;
        }
        return c;
    }

    /** {@link #cString} for paths with non-ASCII characters (or a NUL, which it refuses). */
    private static byte[] cStringSlow(String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path contains a NUL character: \"" + s.replace("\0", "\\0") + "\"");
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        byte[] c = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, c, 0, utf8.length);
        return c;
    }
}
