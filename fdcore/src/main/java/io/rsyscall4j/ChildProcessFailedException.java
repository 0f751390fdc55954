package io.rsyscall4j;

import java.io.IOException;
import java.util.List;

/**
 * A program run by {@link ChildTask#exec} did not exit with status 0: {@link ChildProcess#check}
 * says so, naming the program, its pid and how it ended.
 */
public class ChildProcessFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int pid;
    private final int status;

    public ChildProcessFailedException(int pid, int status, List<String> argv) {
        super("process " + pid + " " + argv + " " + describe(status));
        this.pid = pid;
        this.status = status;
    }

    /** The process's pid. */
    public int pid() {
        return pid;
    }

    /** Its exit status, or 128 + the number of the signal that killed it. */
    public int status() {
        return status;
    }

    private static String describe(int status) {
        return status > 128 ? "was killed by signal " + (status - 128) + " (status " + status + ")"
                : "exited with status " + status;
    }
}
