package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.CLOSE_RANGE_ALL;
import static io.rsyscall4j.api.Linux.CLOSE_RANGE_CLOEXEC;
import static io.rsyscall4j.api.Linux.SIGRTMAX;
import static io.rsyscall4j.api.Linux.SIG_SETMASK;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import java.io.IOException;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** What a child task does just before its {@code execve}: the fds the program keeps, and its signals. */
final class ExecPreparation {
    private static final int[] STDIO = {0, 1, 2};

    private ExecPreparation() {}

    /** A request before the execve failed: nothing was exec'd, and every signal is blocked again. */
    static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;

        Failed(ErrnoException cause) {
            super(cause.getMessage(), cause);
        }

        ErrnoException errno() {
            return (ErrnoException) getCause();
        }
    }

    /**
     * Everything before the {@code execve}, and the {@code execve} of the image's first
     * candidate, in one round trip (the child stops at the first request that fails, so the
     * execve runs only if all before it succeeded): puts the program's fds at their numbers if a
     * {@code placement} says so; marks every fd of the (now private) table close-on-exec except 0,
     * 1, 2 and {@code owned}, the numbers the task's handles own (whose flag is left as the caller
     * set it), with {@code close_range(CLOSE_RANGE_CLOEXEC)} over each gap; sets each signal that
     * is caught, or ignored where the JVM's process does not ignore it, back to its default
     * disposition ({@link ChildSignals}), and unblocks every signal. The JVM's handlers, which
     * this child inherited a copy of, must not run in it once signals are let in (a handler would
     * run JVM code in the child, in the JVM's memory), and the program should start with the
     * signals a {@code ProcessBuilder} program gets. If a request before the execve fails, every
     * signal is blocked again (the fds marked and the dispositions reset stay so: harmless to a
     * child task, which runs no handler, and the next exec marks again), and it is named (by the
     * fd number it was to put, for the placement).
     *
     * @return the execve's -errno: it failed (signals are unblocked; the caller tries the next
     *     candidate or blocks them again)
     * @throws Failed a request before the execve failed
     * @throws io.rsyscall4j.api.SyscallHangup the child stopped answering: the exec succeeded (or
     *     the child died meanwhile)
     */
    static long run(ChildTransport connection, int pid, int[] owned, FdPlacement.Plan placement, ExecImage image)
            throws IOException, Failed {
        List<SyscallRequest> calls = new ArrayList<>();
        int[] keep = owned;
        if (placement != null) {
            calls.addAll(placement.calls());
            keep = placement.kept(owned);
        }
        calls.addAll(marks(kept(keep)));
        long reset = ChildSignals.toReset(connection.local(), pid, image.scratch(), ExecImage.SCRATCH_SIZE);
        for (int sig = 1; sig <= SIGRTMAX; sig++) {
            if ((reset & ChildSignals.bit(sig)) != 0) {
                calls.add(SyscallRequest.of(Sys.RT_SIGACTION, sig, image.defaultAction(), 0, 8));
            }
        }
        calls.add(SyscallRequest.of(Sys.RT_SIGPROCMASK, SIG_SETMASK, image.emptySigset(), 0, 8));
        int exec = calls.size();
        calls.add(SyscallRequest.of(Sys.EXECVE, image.candidate(0), image.argv(), image.envp()));
        long[] results = connection.pipelineUntilError(calls);
        Reference.reachabilityFence(placement); // its handles keep the copies open until now
        for (int i = 0; i < exec; i++) {
            if (ChildTransport.isErrno(results[i])) {
                SyscallRequest r = calls.get(i);
                connection.syscall(Sys.RT_SIGPROCMASK, SIG_SETMASK, image.fullSigset(), 0, 8);
                String subject = switch (r.nr()) {
                    case CLOSE_RANGE -> r.arg(0) + ".." + r.arg(1);
                    case RT_SIGACTION -> "signal " + r.arg(0);
                    case DUP3 -> "fd " + r.arg(1) + " (from " + r.arg(0) + ")";
                    default -> "fd " + r.arg(0);
                };
                throw new Failed(new ErrnoException(r.nr(), (int) -results[i], subject));
            }
        }
        if (results[exec] >= 0) {
            throw new IllegalStateException("execve returned success in child task " + pid);
        }
        return results[exec];
    }

    /**
     * The requests that mark every fd close-on-exec but those of {@code kept} (ascending):
     * {@code close_range(CLOSE_RANGE_CLOEXEC)} over each gap and above the last.
     */
    static List<SyscallRequest> marks(int[] kept) {
        List<SyscallRequest> calls = new ArrayList<>(kept.length + 1);
        long next = 0;
        for (long n : kept) {
            if (n > next) {
                calls.add(SyscallRequest.of(Sys.CLOSE_RANGE, next, n - 1, CLOSE_RANGE_CLOEXEC));
            }
            next = n + 1;
        }
        calls.add(SyscallRequest.of(Sys.CLOSE_RANGE, next, CLOSE_RANGE_ALL, CLOSE_RANGE_CLOEXEC));
        return calls;
    }

    /**
     * After the {@code execve} of the image's first candidate failed with {@code first}
     * (-errno): the others' in turn, by {@code execvp}'s rule (a missing file means the next
     * {@code PATH} entry; a permission problem is reported if nothing runs; any other error ends
     * the search). Returns the failure to report, named by {@code path}, if none ran.
     *
     * @throws io.rsyscall4j.api.SyscallHangup one ran (or the child died meanwhile)
     */
    static ErrnoException search(ChildTransport connection, String path, ExecImage image, long first)
            throws IOException {
        ErrnoException failure = null;
        ErrnoException denied = null;
        for (int i = 0; i < image.candidates(); i++) {
            try {
                if (i == 0) {
                    throw new ErrnoException(Sys.EXECVE, (int) -first, null);
                }
                connection.syscall(Sys.EXECVE, image.candidate(i), image.argv(), image.envp());
                throw new IllegalStateException("execve returned success in child task " + connection.pid());
            } catch (ErrnoException e) {
                ErrnoException named = e.withSubject(path);
                if (e.errno() == Errno.EACCES) {
                    denied = denied == null ? named : denied;
                } else {
                    failure = named;
                    if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENOTDIR) {
                        denied = null;
                        break;
                    }
                }
            }
        }
        return denied != null ? denied : failure;
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
