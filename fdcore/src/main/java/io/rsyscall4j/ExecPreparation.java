package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.CLOSE_RANGE_ALL;
import static io.rsyscall4j.api.Linux.CLOSE_RANGE_CLOEXEC;
import static io.rsyscall4j.api.Linux.SIGRTMAX;
import static io.rsyscall4j.api.Linux.SIG_SETMASK;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** What a child task does just before its {@code execve}: the fds the program keeps, and its signals. */
final class ExecPreparation {
    private static final int[] STDIO = {0, 1, 2};

    private ExecPreparation() {}

    /**
     * Everything before the {@code execve}, in one round trip: marks every fd of the (now private)
     * table close-on-exec except 0, 1, 2 and {@code owned}, the numbers the task's handles own
     * (whose flag is left as the caller set it), with {@code close_range(CLOSE_RANGE_CLOEXEC)}
     * over each gap; then sets each signal that is caught, or ignored where the JVM's process
     * does not ignore it, back to its default disposition ({@link ChildSignals}), and unblocks
     * every signal. The JVM's handlers, which this child inherited a copy of, must not run in it
     * once signals are let in (a handler would run JVM code in the child, in the JVM's memory),
     * and the program should start with the signals a {@code ProcessBuilder} program gets. If
     * any of it fails, every signal is blocked again (the fds marked and the dispositions reset
     * stay so: harmless to a child task, which runs no handler, and the next exec marks again).
     */
    static void run(ChildTransport connection, int pid, int[] owned, ExecImage image) throws IOException {
        List<SyscallRequest> calls = new ArrayList<>();
        long next = 0;
        for (long n : kept(owned)) {
            if (n > next) {
                calls.add(SyscallRequest.of(Sys.CLOSE_RANGE, next, n - 1, CLOSE_RANGE_CLOEXEC));
            }
            next = n + 1;
        }
        calls.add(SyscallRequest.of(Sys.CLOSE_RANGE, next, CLOSE_RANGE_ALL, CLOSE_RANGE_CLOEXEC));
        long reset = ChildSignals.toReset(connection.local(), pid, image.scratch(), ExecImage.SCRATCH_SIZE);
        for (int sig = 1; sig <= SIGRTMAX; sig++) {
            if ((reset & ChildSignals.bit(sig)) != 0) {
                calls.add(SyscallRequest.of(Sys.RT_SIGACTION, sig, image.defaultAction(), 0, 8));
            }
        }
        calls.add(SyscallRequest.of(Sys.RT_SIGPROCMASK, SIG_SETMASK, image.emptySigset(), 0, 8));
        long[] results = connection.pipeline(calls);
        for (int i = 0; i < results.length; i++) {
            if (results[i] < 0 && results[i] >= -4095) {
                SyscallRequest r = calls.get(i);
                connection.syscall(Sys.RT_SIGPROCMASK, SIG_SETMASK, image.fullSigset(), 0, 8);
                String subject = r.nr() == Sys.CLOSE_RANGE ? r.arg(0) + ".." + r.arg(1) : "signal " + r.arg(0);
                throw new ErrnoException(r.nr(), (int) -results[i], subject);
            }
        }
    }

    /** {@code owned} with 0, 1, 2 added, ascending: an exec'd program expects its stdio at those numbers. */
    static int[] kept(int[] owned) {
        TreeSet<Integer> keep = new TreeSet<>();
        for (int n : STDIO) {
            keep.add(n);
        }
        for (int n : owned) {
            keep.add(n);
        }
        return keep.stream().mapToInt(Integer::intValue).toArray();
    }
}
