package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.SIG_SETMASK;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallHangup;
import java.io.IOException;

/**
 * A {@link ChildTask}'s {@code execve}, once the task made its table private: the image built, the
 * preparation and the first candidate's {@code execve} in one batch ({@link ExecPreparation}), the
 * other candidates in turn; the task's state moves as each outcome says. Runs under the task's
 * lifecycle lock, which the task holds.
 */
final class ChildExec {
    private ChildExec() {}

    /**
     * Execs {@code a} in {@code task} through {@code connection}, {@code owned} being the numbers
     * its handles own, {@code placement} (or null) putting the program's fds at their numbers.
     *
     * @throws ErrnoException nothing was exec'd; the child is intact, every signal blocked again
     */
    static ChildProcess run(ChildTask task, ChildTransport connection, ExecArgs a, ChildProcess.Pipes pipes,
            int[] owned, FdPlacement.Plan placement) throws IOException {
        ExecImage image = ExecImage.build(connection.local(), a.candidates(), a.args(), a.envp());
        try {
            task.execStarting();
            ErrnoException failure;
            try {
                long first = ExecPreparation.run(connection, task.pid(), owned, placement, image); // candidate 0
                failure = ExecPreparation.search(connection, a.path(), image, first);
            } catch (SyscallHangup success) {
                return task.execed(a.argv(), pipes);
            } catch (ExecPreparation.Failed f) {
                task.execNotRun(); // its signals are blocked again
                throw f.errno();
            } catch (IOException | RuntimeException e) {
                task.execBroke();
                throw e;
            }
            task.execNotRun();
            connection.syscall(Sys.RT_SIGPROCMASK, SIG_SETMASK, image.fullSigset(), 0, 8);
            throw failure;
        } finally {
            image.free();
        }
    }
}
