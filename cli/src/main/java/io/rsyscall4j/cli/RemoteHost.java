package io.rsyscall4j.cli;

import io.rsyscall4j.RemoteConnectException;
import io.rsyscall4j.RemoteTask;
import io.rsyscall4j.Ssh;
import io.rsyscall4j.Task;
import java.util.List;

/**
 * {@code exec --host}: the task on another host the program is run under, a {@link RemoteTask}
 * reached with the system's {@code ssh} ({@code --ssh-option}s before the host). The fds are
 * opened there, the program is its child there, and its status comes back; the program dies with
 * the ssh session, so no {@code JvmDeathGuard} is needed.
 */
final class RemoteHost implements AutoCloseable {
    /** ssh's own exit status for its failures, which exec takes over. */
    static final int SSH_FAILED = 255;

    private final RemoteTask task;

    private RemoteHost(RemoteTask task) {
        this.task = task;
    }

    /**
     * Refuses what makes no sense with {@code --host} (or without it), before anything is opened:
     * {@code --ssh-option} without a host, and with one the sandbox options (namespaces on another
     * host are not supported yet), {@code --accept} and {@code inherit:M} (the launcher's own
     * fds are on this host).
     */
    static void check(ExecCommand exec, List<FdRequest> requests) {
        if (exec.host == null) {
            if (!exec.sshOptions.isEmpty()) {
                throw bad("--ssh-option needs --host");
            }
            return;
        }
        if (exec.sandbox.any()) {
            throw bad("--host: the sandbox options and --cwd are not supported on another host yet");
        }
        if (exec.activation.accept) {
            throw bad("--host: --accept is not supported on another host yet");
        }
        for (FdRequest r : requests) {
            if (r.spec() instanceof FdSpec.Inherit) {
                throw bad("--fd " + RawText.show(r.text()) + ": the launcher's own fds can't be given to a program on"
                        + " another host (--host)");
            }
        }
    }

    /** The remote task on {@code host}, or null without a host. */
    static RemoteHost connect(String host, List<String> sshOptions, Task local, Trace tr) throws java.io.IOException {
        if (host == null) {
            return null;
        }
        Ssh ssh;
        try {
            ssh = Ssh.to(host).options(sshOptions);
        } catch (IllegalArgumentException e) {
            throw bad("--host: " + RawText.show(e.getMessage()));
        }
        try {
            RemoteTask task = ssh.connect(local);
            tr.event("remote task pid %d on %s", task.pid(), RawText.show(host));
            return new RemoteHost(task);
        } catch (RemoteConnectException e) {
            throw new CommandFailure(RawText.show(e.getMessage()), SSH_FAILED, e);
        }
    }

    RemoteTask task() {
        return task;
    }

    /** Ends the remote task and ssh; a program still running there dies with them. */
    @Override
    public void close() {
        task.close();
    }

    private static CommandFailure bad(String message) {
        return new CommandFailure(message, CommandFailure.BAD_INPUT);
    }
}
