package io.rsyscall4j;

import io.rsyscall4j.api.SyscallException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * How to reach another host over ssh, and the way to a {@link RemoteTask} there:
 * {@code Ssh.to("user@host").option("-p", "2222").connect()}.
 *
 * <p>{@link #connect} runs the system's {@code ssh} client (as a child of the local task, with the
 * JVM's environment, so the user's ssh configuration and agent apply) with the command
 * {@code /bin/sh -c '...'}: the remote shell writes the rsyscall4j server, a small static
 * executable sent over the connection, to a private temporary file ({@code mktemp}: mode 0600,
 * {@code O_EXCL}), opens it, removes it, and runs it. Nothing needs to be installed on the remote
 * host but a POSIX shell with {@code mktemp} and {@code head}; it must be x86_64 Linux 5.11 or
 * newer. The directory is {@code $TMPDIR} or {@code /tmp} there, or {@link #serverDirectory}: it
 * must allow executing files (not mounted {@code noexec}).
 *
 * <p>Not thread-safe: a builder; each {@code connect()} is independent.
 */
public final class Ssh {
    private final String destination;
    private final List<String> options = new ArrayList<>();
    private String program = "ssh";
    private String directory = "${TMPDIR:-/tmp}";
    private String faultInjectedKernelRelease;

    private Ssh(String destination) {
        this.destination = destination;
    }

    /**
     * The host {@code destination}, {@code [user@]host} as ssh takes it (a name from the ssh
     * configuration, too).
     *
     * @throws IllegalArgumentException empty, starting with '-' (ssh would read an option), or
     *     containing whitespace or control characters
     */
    public static Ssh to(String destination) {
        Objects.requireNonNull(destination, "destination");
        if (destination.isEmpty() || destination.startsWith("-") || !destination.chars().allMatch(c -> c > ' ' && c != 0x7f)) {
            throw new IllegalArgumentException("ssh destination " + quoted(destination)
                    + " is not [user@]host: it is empty, starts with '-' or has whitespace or control characters");
        }
        return new Ssh(destination);
    }

    /** Adds arguments for ssh, before the destination: {@code option("-p", "2222")}, {@code option("-o", "BatchMode=yes")}. */
    public Ssh option(String... args) {
        return options(List.of(args));
    }

    /** Adds arguments for ssh, before the destination. */
    public Ssh options(List<String> args) {
        for (String a : args) {
            if (a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("ssh option " + quoted(a) + " contains a NUL character");
            }
        }
        options.addAll(args);
        return this;
    }

    /** The ssh client to run: a path, or a name looked up in {@code PATH} (default {@code ssh}). */
    public Ssh program(String sshProgram) {
        Objects.requireNonNull(sshProgram, "sshProgram");
        if (sshProgram.isEmpty() || sshProgram.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("ssh program " + quoted(sshProgram) + " is empty or contains a NUL character");
        }
        this.program = sshProgram;
        return this;
    }

    /**
     * Where on the remote host the server's file is made (and removed as soon as it is opened),
     * instead of {@code $TMPDIR} or {@code /tmp}: for a host whose temporary directory is mounted
     * {@code noexec}.
     *
     * @throws IllegalArgumentException not an absolute path, or it contains characters the remote
     *     shell would interpret ({@code ' " $ ` \}) or control characters
     */
    public Ssh serverDirectory(String remoteDirectory) {
        Objects.requireNonNull(remoteDirectory, "remoteDirectory");
        if (!remoteDirectory.startsWith("/") || !remoteDirectory.chars().allMatch(c -> c >= ' ' && c != 0x7f && "'\"$`\\".indexOf(c) < 0)) {
            throw new IllegalArgumentException("server directory " + quoted(remoteDirectory)
                    + " must be an absolute path without quotes, '$', '`', '\\' or control characters");
        }
        this.directory = remoteDirectory;
        return this;
    }

    /** FAULT INJECTION, for tests: the remote kernel is taken to be {@code release} (uname's). */
    Ssh faultInjectKernelRelease(String release) {
        this.faultInjectedKernelRelease = release;
        return this;
    }

    /** {@link #connect(Task)} from {@link Rsyscall#local()}. */
    public RemoteTask connect() throws IOException {
        return connect(Rsyscall.local());
    }

    /**
     * Starts ssh as a child of {@code local} and the server on the remote host, and returns the
     * task there. It waits as long as ssh does (use {@code -o ConnectTimeout=N}); ssh may prompt on
     * the terminal unless {@code -o BatchMode=yes} is given.
     *
     * @throws RemoteConnectException ssh failed (its message included), the server did not start,
     *     or the remote host is not Linux 5.11 or newer; nothing is left running
     */
    public RemoteTask connect(Task local) throws IOException {
        Objects.requireNonNull(local, "local");
        byte[] executable = RemoteServerCode.executable();
        RemoteConnection connection = start(local, executable.length);
        String failure;
        long[] hello = null;
        try {
            hello = connection.start(executable);
            failure = hello[0] == RemoteServerCode.HELLO ? null
                    : "the remote shell wrote to stdout before the server started (a login script that prints?)";
        } catch (SyscallException e) {
            ChildProcess ssh = connection.ssh();
            try {
                if (!ssh.waitFor(30, TimeUnit.SECONDS)) {
                    RemoteConnection.killQuietly(ssh);
                }
                int status = ssh.waitFor();
                failure = status == 255 ? "ssh to " + destination + " failed (exit status 255)"
                        : "the server did not start on " + destination + " (exit status " + status
                          + "; if " + directory + " is on a noexec mount there, choose another with Ssh.serverDirectory)";
            } catch (InterruptedException interrupted) {
                connection.close("the connection was interrupted", 0);
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("connecting to " + destination + " was interrupted");
            }
        }
        if (failure != null) {
            throw fail(connection, failure);
        }
        try {
            return RemoteTask.start(connection, destination, (int) hello[1], (int) hello[2], faultInjectedKernelRelease);
        } catch (RemoteConnectException e) {
            throw fail(connection, e.getMessage());
        } catch (IOException | RuntimeException | Error e) {
            connection.close("setting up the remote task failed", 0);
            throw e;
        }
    }

    /** Ends everything the connection started and returns the exception naming {@code failure}. */
    private static RemoteConnectException fail(RemoteConnection connection, String failure) {
        connection.close("connecting failed", 0);
        String said;
        try {
            said = connection.sshMessages().awaitEnd(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            said = connection.sshMessages().text();
        }
        return new RemoteConnectException(failure, said);
    }

    /** Starts ssh with pipes to its stdin and from its stdout; nothing is sent yet. */
    private RemoteConnection start(Task local, int executableSize) throws IOException {
        Pipe in = local.pipe();
        Pipe out = null;
        ChildProcess ssh;
        try {
            out = local.pipe();
            ssh = Command.of(command(executableSize)).fd(0, in.read()).fd(1, out.write()).start(local);
        } catch (IOException | RuntimeException | Error e) {
            in.close();
            if (out != null) {
                out.close();
            }
            throw e;
        }
        in.read().invalidate();
        out.write().invalidate();
        return new RemoteConnection(destination, in.write(), out.read(), ssh, new SshMessages(ssh.getErrorStream(), destination));
    }

    /** ssh's argv: the client, the options, no terminal, the destination, and the shell command that starts the server. */
    List<String> command(int executableSize) {
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.addAll(options);
        argv.add("-T");
        argv.add(destination);
        argv.add("--");
        argv.add("exec /bin/sh -c 'umask 077 && f=$(mktemp \"" + directory + "/rsyscall4j-server.XXXXXX\") || exit 125;"
                + " if head -c " + executableSize + " >\"$f\" && chmod 700 \"$f\" && exec 3<\"$f\"; then"
                + " rm -f \"$f\"; exec /proc/self/fd/3; fi; rm -f \"$f\"; exit 125'");
        return argv;
    }

    private static String quoted(String s) {
        return "\"" + s.replace("\0", "\\0") + "\"";
    }

    @Override
    public String toString() {
        return "Ssh[" + destination + "]";
    }
}
