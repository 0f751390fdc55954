package io.rsyscall4j;

import static io.rsyscall4j.RawFd.closeQuietly;
import static io.rsyscall4j.api.Linux.AT_FDCWD;
import static io.rsyscall4j.api.Linux.AF_UNIX;
import static io.rsyscall4j.api.Linux.SOCK_CLOEXEC;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.AddressSpace;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.FileDescriptorTask;
import io.rsyscall4j.fd.OpenFlags;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.util.Objects;

/**
 * A process (or thread) whose syscalls rsyscall4j makes, with the operations that create fds.
 *
 * <p>The JVM itself is a task ({@link Rsyscall#local()}); child tasks are processes the JVM clones
 * and runs syscalls in. A task is in one fd table ({@link #fdTable()}) and one address space; its
 * fds are {@link FileDescriptor} handles, closed exactly once, when their last handle is invalidated
 * or garbage-collected. Every fd a task creates is close-on-exec, so nothing leaks into a program it
 * execs unless asked for ({@link FileDescriptor#dup2}, {@link FileDescriptor#disableCloexec}).
 * A call that makes fds and runs short of them ({@code EMFILE}, {@code ENFILE}) first frees the
 * fds of dropped handles and tries once more, so garbage alone never makes it fail.
 *
 * <p>Thread-safe: any number of Java threads may use one task at once.
 *
 * <p>Not extensible: its constructor is package-private (non-sealed only so that fdcore's own
 * tests can add a task that is one JVM thread).
 */
public non-sealed class Task extends FileDescriptorTask {

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

    /** A {@code dup2} onto one of this task's stdio handles makes its result the new one. */
    @Override
    protected final void handleReplaced(FileDescriptor consumed, FileDescriptor replacement) {
        synchronized (this) {
            if (stdin == consumed) {
                stdin = replacement;
            } else if (stdout == consumed) {
                stdout = replacement;
            } else if (stderr == consumed) {
                stderr = replacement;
            }
        }
    }

    /** This task's handle for fd 0 (after a {@code dup2} onto it, the handle that made). */
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
        return openC(CStrings.cString(path), path, flags, mode);
    }

    /** {@link #open(byte[], int, int)} with mode 0 (for flags without {@code O_CREAT}/{@code O_TMPFILE}). */
    public FileDescriptor open(byte[] path, int flags) throws IOException {
        return open(path, flags, 0);
    }

    /**
     * {@link #open(String, int, int)} with the path as the bytes the kernel gets, whatever they
     * are: Linux paths are bytes, not text.
     *
     * @throws IllegalArgumentException the path contains a NUL byte
     * @throws ErrnoException the kernel refused; its subject is the path (as UTF-8, bad bytes replaced)
     */
    public FileDescriptor open(byte[] path, int flags, int mode) throws IOException {
        return openC(CStrings.cBytes(path, "path"), CStrings.show(path), flags, mode);
    }

    /** {@code openat} of the NUL-terminated {@code cpath}; {@code path} names it in messages. */
    private FileDescriptor openC(byte[] cpath, String path, int flags, int mode) throws IOException {
        if (!canMakeFds()) {
            checkCanMakeFds("open " + path);
        }
        FDTable madeIn = fdTable();
        long fd = creatingFds(() -> {
            try (ScratchBuffer buf = FdInternals.scratch(addressSpace(), sysif())) {
                if (cpath.length > buf.capacity()) {
                    throw new ErrnoException(Sys.OPENAT, Errno.byName("ENAMETOOLONG"), path);
                }
                buf.write(0, cpath, 0, cpath.length);
                return sysif().syscall(Sys.OPENAT, AT_FDCWD, buf.address(), flags | OpenFlags.O_CLOEXEC, mode);
            } catch (ErrnoException e) {
                throw e.withSubject(path);
            }
        });
        return adopt(madeIn, "open", path, (int) fd)[0];
    }

    /** {@code pipe2(O_CLOEXEC)}: a new pipe, both ends owned by this task. */
    public Pipe pipe() throws IOException {
        checkCanMakeFds("make a pipe");
        FDTable madeIn = fdTable();
        int[] fds = creatingFds(() -> {
            try (ScratchBuffer buf = FdInternals.scratch(addressSpace(), sysif())) {
                sysif().syscall(Sys.PIPE2, buf.address(), OpenFlags.O_CLOEXEC);
                return new int[] {buf.readInt(0), buf.readInt(4)};
            }
        });
        FileDescriptor[] ends = adopt(madeIn, "make a pipe", null, fds);
        return new Pipe(ends[0], ends[1]);
    }

    /**
     * {@code socket(2)} in this task, close-on-exec: an unbound, unconnected socket of {@code family}
     * ({@link java.net.StandardProtocolFamily} INET, INET6 or UNIX) and {@code type}. Bind, listen,
     * connect and the rest are {@link Sockets}' calls on the handle.
     *
     * @throws IllegalArgumentException a protocol family other than those three
     */
    public FileDescriptor socket(ProtocolFamily family, SocketType type) throws IOException {
        Objects.requireNonNull(type, "type");
        return socket(SocketAddresses.family(Objects.requireNonNull(family, "family")), type.value(), 0);
    }

    /**
     * {@code socket(domain, type | SOCK_CLOEXEC, protocol)} by Linux's numbers ({@code AF_*},
     * {@code SOCK_*}, {@code IPPROTO_*}), for a kind {@link #socket(ProtocolFamily, SocketType)}
     * does not name. {@code SOCK_CLOEXEC} is always added.
     */
    public FileDescriptor socket(int domain, int type, int protocol) throws IOException {
        checkCanMakeFds("make a socket");
        FDTable madeIn = fdTable();
        long fd = creatingFds(() -> {
            try {
                return sysif().syscall(Sys.SOCKET, domain, type | SOCK_CLOEXEC, protocol);
            } catch (ErrnoException e) {
                throw e.withSubject("domain " + domain + ", type " + type + ", protocol " + protocol);
            }
        });
        return adopt(madeIn, "make a socket", null, (int) fd)[0];
    }

    /** {@code socketpair(AF_UNIX, type | SOCK_CLOEXEC)}: two connected Unix sockets, both owned by this task. */
    public SocketPair socketpair(SocketType type) throws IOException {
        Objects.requireNonNull(type, "type");
        checkCanMakeFds("make a socket pair");
        FDTable madeIn = fdTable();
        int[] fds = creatingFds(() -> {
            try (ScratchBuffer buf = FdInternals.scratch(addressSpace(), sysif())) {
                sysif().syscall(Sys.SOCKETPAIR, AF_UNIX, type.value() | SOCK_CLOEXEC, 0, buf.address());
                return new int[] {buf.readInt(0), buf.readInt(4)};
            } catch (ErrnoException e) {
                throw e.withSubject("AF_UNIX, " + type);
            }
        });
        FileDescriptor[] ends = adopt(madeIn, "make a socket pair", null, fds);
        return new SocketPair(ends[0], ends[1]);
    }

    /**
     * A socket of {@code type} bound to {@code address} and, unless a datagram socket, listening
     * with {@code backlog}: what a server (or systemd's {@code ListenStream=}, {@code ListenDatagram=},
     * {@code ListenSequentialPacket=}) opens. The family follows the address; IP sockets get
     * {@code SO_REUSEADDR} first. If a step fails, the socket is closed before the error is
     * thrown: nothing stays open or bound.
     */
    public FileDescriptor listen(SocketAddress address, SocketType type, int backlog) throws IOException {
        return Sockets.open(this, address, type, backlog, true);
    }

    /**
     * A socket of {@code type} connected to {@code address} (the family follows the address); on
     * failure the socket is closed before the error is thrown.
     */
    public FileDescriptor connect(SocketAddress address, SocketType type) throws IOException {
        return Sockets.open(this, address, type, 0, false);
    }

    /**
     * {@code accept4(listener, SOCK_CLOEXEC)} in this task: waits for the next connection on
     * {@code listener} (a handle usable by this task: same fd table) and returns it as this task's
     * handle. The peer's address is {@link Sockets#remoteAddress}.
     *
     * <p>A virtual thread waits for a pending connection parked (interruptibly:
     * {@link java.io.InterruptedIOException}, nothing accepted), then accepts; if another process
     * sharing the listener takes that connection first, the accept blocks as on a platform thread.
     */
    public FileDescriptor accept(FileDescriptor listener) throws IOException {
        checkCanMakeFds("accept a connection");
        FDTable madeIn = fdTable();
        long fd = creatingFds(() -> {
            try (Borrowed b = listener.borrow(this)) {
                Parking.await(this, b.number(), io.rsyscall4j.api.Linux.POLLIN);
                return sysif().syscall(Sys.ACCEPT4, b.number(), 0, 0, SOCK_CLOEXEC);
            } catch (ErrnoException e) {
                throw e.withSubject(Integer.toString(listener.number()));
            }
        });
        return adopt(madeIn, "accept a connection", null, (int) fd)[0];
    }

    /**
     * {@code recvmsg(2)} with {@code MSG_CMSG_CLOEXEC} in this task: the next data on the Unix
     * {@code socket} (at most {@code maxBytes}) and the fds sent with it ({@link Sockets#sendFds}),
     * as owned handles of this task.
     *
     * @param maxFds room for this many fds, at most 253 (the kernel's {@code SCM_MAX_FD})
     * @throws FdsTruncatedException more fds came than {@code maxFds}: those that arrived are closed
     */
    public ReceivedMessage receiveFds(FileDescriptor socket, int maxBytes, int maxFds) throws IOException {
        return FdPassing.receive(this, socket, maxBytes, maxFds);
    }

    /**
     * {@code pidfd_open(pid, 0)}: a pidfd for process {@code pid} (as this task sees pids), owned by
     * this task. Pidfds are always close-on-exec.
     */
    public FileDescriptor pidfdOpen(int pid) throws IOException {
        checkCanMakeFds("open a pidfd");
        FDTable madeIn = fdTable();
        long fd = creatingFds(() -> {
            try {
                return sysif().syscall(Sys.PIDFD_OPEN, pid, 0);
            } catch (ErrnoException e) {
                throw e.withSubject("pid " + pid);
            }
        });
        return adopt(madeIn, "open a pidfd", null, (int) fd)[0];
    }

    /**
     * {@code pidfd_getfd(pidfd, targetFd, 0)}: a copy, in this task, of fd {@code targetFd} of the
     * process {@code pidfd} refers to, close-on-exec, as an owned handle. The kernel allows it where
     * it would allow ptrace-attaching that process.
     */
    public FileDescriptor pidfdGetfd(FileDescriptor pidfd, int targetFd) throws IOException {
        checkCanMakeFds("take an fd with pidfd_getfd");
        FDTable madeIn = fdTable();
        long fd = creatingFds(() -> {
            try (Borrowed b = pidfd.borrow(this)) {
                return sysif().syscall(Sys.PIDFD_GETFD, b.number(), targetFd, 0);
            } catch (ErrnoException e) {
                throw e.withSubject(pidfd.number() + ", fd " + targetFd);
            }
        });
        return adopt(madeIn, "take an fd with pidfd_getfd", null, (int) fd)[0];
    }

    /**
     * Makes a child task: a new process, cloned by this task, that runs a syscall server for the
     * JVM ({@link ChildTask}). It shares this task's address space; with {@link CloneFlag#FILES} it
     * joins this task's fd table, else it gets a copy of it, whose fds it claims with
     * {@link #inheritFd} (only those with handles at the time of the clone).
     */
    public ChildTask clone(CloneFlag... flags) throws IOException {
        return Cloning.child(this, true, flags);
    }

    /**
     * Handles for {@code fds}, which a syscall of this task, sent while it was in {@code madeIn},
     * just created. If the task left that table meanwhile (it died, exited or exec'd while the call
     * ran) or is changing tables, no handle is made: the fds are closed through another task of
     * {@code madeIn} (they are that table's), and this throws, naming why. If no handle can be made
     * for another reason, the fds are closed rather than leaked.
     *
     * @param op the operation, for the message ("open")
     * @param subject what it was about ("/x"), or null
     * @throws IllegalStateException the task left {@code madeIn}, or is changing tables
     */
    final FileDescriptor[] adopt(FDTable madeIn, String op, String subject, int... fds) {
        FileDescriptor[] handles;
        try {
            handles = adoptNewFds(madeIn, fds);
        } catch (RuntimeException e) {
            for (int fd : fds) {
                closeQuietly(sysif(), fd, e);
            }
            throw e;
        }
        if (handles == null) {
            String what = subject == null ? op : op + " " + subject;
            checkCanMakeFds(what);
            throw new IllegalStateException("can't " + what + " in " + this + ": it left " + madeIn
                    + " while the call ran; its fds were closed there");
        }
        return handles;
    }

    /**
     * Runs {@code call}, an fd-creating syscall of this task, retrying it once after freeing the
     * fds of dropped handles if it fails with {@code EMFILE} or {@code ENFILE} ({@link FdShortage}).
     * {@code call} must leave nothing behind when it fails.
     */
    final <T> T creatingFds(FdShortage.FdCall<T> call) throws IOException {
        return FdShortage.retrying(this, call);
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
}
