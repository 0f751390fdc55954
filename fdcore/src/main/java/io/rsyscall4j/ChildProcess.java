package io.rsyscall4j;

import java.io.IOException;
import java.util.List;

/**
 * A program a child task exec'd ({@link ChildTask#exec}): the process it runs in, until it is
 * waited for.
 *
 * <p>The JVM made the process, so the JVM reaps it: {@link #waitFor} does (the JDK's own reaper
 * only reaps the processes {@code ProcessBuilder} started). It is reaped in the background as soon
 * as it ends, waited for or not, by one thread that watches every process's pidfd. The program is killed if its parent
 * task dies first (the parent-death signal survives exec), and so ends with the JVM — unless its
 * exec changed its credentials: the kernel clears the parent-death signal when an exec changes
 * the effective or filesystem user or group id (a set-user-ID or set-group-ID program of another
 * owner or group) or gives capabilities the process did not have (file capabilities), and such
 * a program runs on after the JVM is killed. {@link JvmDeathGuard} covers those too.
 */
public final class ChildProcess {
    private final ClonedChild process;
    private final List<String> argv;
    /**
     * The task whose child exec'd the program, held so it lives as long as this: the program
     * dies with its parent process, and a child task's parent is killed once unreachable.
     */
    private final Task parent;

    ChildProcess(ClonedChild process, List<String> argv, Task parent) {
        this.process = process;
        this.parent = parent;
        this.argv = List.copyOf(argv);
        // Reaped once it ends, by the one thread that watches every process, waited for or not.
        process.exit();
    }

    /** The process id (in the JVM's pid namespace). */
    public int pid() {
        return process.pid();
    }

    /**
     * Waits for the program to end and returns its exit status, or 128 + the signal that killed
     * it. Reaps the process; later calls return the same status. Not interruptible.
     */
    public int waitFor() throws IOException {
        return process.waitFor();
    }

    /**
     * Waits for the program to end ({@link #waitFor}) and throws unless it exited with status 0.
     *
     * @throws ChildProcessFailedException it exited non-zero or was killed
     */
    public void check() throws IOException {
        int status = waitFor();
        if (status != 0) {
            throw new ChildProcessFailedException(pid(), status, argv);
        }
    }

    /** Sends {@code signal} to the process (through its pidfd: never to a reused pid). */
    public void kill(int signal) throws IOException {
        process.kill(signal);
    }

    @Override
    public String toString() {
        return "ChildProcess[pid " + pid() + ", " + argv + "]";
    }
}
