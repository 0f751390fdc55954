package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.AT_FDCWD;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A task on another host, reached over ssh ({@link Ssh#connect}): a process there running
 * rsyscall4j's syscall server, with its own fd table and address space. Its fds are
 * {@link io.rsyscall4j.fd.FileDescriptor} handles like any task's — {@link #open}, {@link #pipe},
 * sockets, {@code read}, {@code write}, {@code dup2}, {@link #unshareFiles}, closed exactly once,
 * garbage collected through the connection — and pointer arguments travel over the connection, so
 * a path or buffer means the remote task's memory. {@link #pid()} is its pid on that host.
 *
 * <p>Its stdin and stdout are {@code /dev/null} there (the connection itself sits at fds 64 and
 * up, close-on-exec); its stderr is the ssh channel's, which the JVM logs (logger
 * {@code io.rsyscall4j.remote}, DEBUG) and quotes when the connection fails.
 *
 * <p>When the connection fails (the ssh client, the server or the remote session died), calls
 * raise {@link io.rsyscall4j.api.SyscallHangup} or {@link io.rsyscall4j.api.SyscallSendError}
 * exactly as for a dead child task. {@link #close} ends the server and ssh; a task that becomes
 * unreachable unclosed has its ssh killed, which ends the server too (it dies with its ssh
 * session).
 *
 * <p>{@link #clone} makes child tasks on the remote host, which live in this task's address
 * space and die with it ({@link RemoteChildren}); {@link Command#start(Task)} runs programs there.
 */
public final class RemoteTask extends Task implements AutoCloseable {
    /** The oldest kernel a remote host may run: fdcore relies on {@code close_range(CLOSE_RANGE_CLOEXEC)}. */
    static final int[] MIN_KERNEL = {5, 11};
    private static final int UTSNAME_FIELD = 65;
    private static final long CLOSE_WAIT_MILLIS = 10_000;

    private final RemoteConnection connection;
    private final String host;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Cleaner.Cleanable killer;
    /** Handles for the server's own fds, the connection: owned, so no unshare or exec closes them. */
    private List<FileDescriptor> serverFds;

    private RemoteTask(RemoteConnection connection, int pid, String host) {
        super(connection, pid, FdInternals.newFdTable(pid), FdInternals.newAddressSpace(pid));
        this.connection = connection;
        this.host = host;
        ChildProcess ssh = connection.ssh();
        this.killer = ChildJanitor.register(this, "killing the ssh client of unreachable remote task " + pid + " on " + host,
                () -> RemoteConnection.killQuietly(ssh));
    }

    /**
     * The task behind a server that has said hello: checks the kernel, puts {@code /dev/null} at
     * fds 0 and 1 (the server moved the channel away from them, to {@code requestFd} and
     * {@code answerFd}) and closes fd 3 (the server's file, which the shell opened).
     *
     * @throws RemoteConnectException the kernel is older than {@link #MIN_KERNEL}
     */
    static RemoteTask start(RemoteConnection connection, String host, int requestFd, int answerFd, String faultInjectedRelease)
            throws IOException {
        int pid = (int) connection.syscall(Sys.GETPID);
        RemoteTask task = new RemoteTask(connection, pid, host);
        SyscallInterface s = connection;
        try (ScratchBuffer buf = FdInternals.scratch(task.addressSpace(), s)) {
            s.syscall(Sys.UNAME, buf.address());
            byte[] release = new byte[UTSNAME_FIELD];
            buf.read(2 * UTSNAME_FIELD, release, 0, release.length);
            String r = faultInjectedRelease != null ? faultInjectedRelease : cString(release);
            if (!kernelAtLeast(r, MIN_KERNEL)) {
                throw new RemoteConnectException("the kernel of " + host + " is Linux " + r
                        + "; remote tasks need Linux " + MIN_KERNEL[0] + "." + MIN_KERNEL[1] + " or newer", "");
            }
            byte[] devNull = "/dev/null\0".getBytes(StandardCharsets.US_ASCII);
            buf.write(0, devNull, 0, devNull.length);
            long fd = s.syscall(Sys.OPENAT, AT_FDCWD, buf.address(), OpenFlags.O_RDWR | OpenFlags.O_CLOEXEC);
            s.syscall(Sys.DUP3, fd, 0, 0);
            s.syscall(Sys.DUP3, fd, 1, 0);
            s.syscall(Sys.CLOSE, fd);
            s.syscall(Sys.CLOSE, 3);
        }
        task.initStdio(task.makeFdHandle(0), task.makeFdHandle(1), task.makeFdHandle(2));
        task.serverFds = List.of(task.makeFdHandle(requestFd), task.makeFdHandle(answerFd));
        return task;
    }

    /** Whether {@code release} (uname's, "6.1.0-13-amd64") is at least {@code min} (major, minor). */
    static boolean kernelAtLeast(String release, int[] min) {
        Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
        if (!m.find()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > min[0] || (major == min[0] && minor >= min[1]);
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    /** The connection to the server (for tests). */
    RemoteConnection connection() {
        return connection;
    }

    /** The server's fds: where it reads requests, where it answers (for tests). */
    List<FileDescriptor> serverFds() {
        return serverFds;
    }

    /** The host this task runs on, as given to {@link Ssh#to}. */
    public String host() {
        return host;
    }

    /**
     * Ends the remote server (its connection gets EOF; if a call is in flight, or it has not
     * ended within 10 seconds, ssh is killed, and the call raises a hangup) and the ssh client,
     * and closes the JVM's ends of the connection. Every later call fails to send; the fds of the
     * remote task close with its process. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            connection.close("the remote task was closed", CLOSE_WAIT_MILLIS);
            killer.clean();
        }
    }

    @Override
    public String toString() {
        return "RemoteTask[pid " + pid() + " on " + host + "]";
    }
}
