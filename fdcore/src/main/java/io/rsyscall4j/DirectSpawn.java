package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.CLONE_CHILD_CLEARTID;
import static io.rsyscall4j.api.Linux.CLONE_CLEAR_SIGHAND;
import static io.rsyscall4j.api.Linux.CLONE_PIDFD;
import static io.rsyscall4j.api.Linux.CLONE_VM;
import static io.rsyscall4j.api.Linux.F_SETFD;
import static io.rsyscall4j.api.Linux.SIGCHLD;
import static io.rsyscall4j.api.Linux.SIG_SETMASK;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.Poller;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Starts a program the way {@code posix_spawn} does, for a {@link Command} on the JVM's own task
 * that asks for nothing a child task is needed for: everything from the clone to the
 * {@code execve} is one batch, posted in the new child's mailbox before the clone
 * ({@link Mailbox#postFirst}), which its server runs as it starts, up to the first request that
 * fails. No task, fd table or handle is made for the child, and the JVM waits once: for the exec,
 * or for the answer that says what failed. A platform thread sleeps on the child's answer word
 * from the moment the clone is queued for the {@link SpawnerThread}, so that it is woken once.
 *
 * <p>The batch: the program's fds put at their numbers ({@code dup3} from the child's copies of
 * the parent's fds, which are borrowed across the clone so that their numbers name them), its
 * umask, session and directory, every other fd marked close-on-exec, every signal unblocked, then
 * the {@code execve} of the first candidate path (the others follow one by one if it is not
 * found). The child is made by {@code clone3} with {@code CLONE_CLEAR_SIGHAND}: it never has the
 * JVM's signal handlers, so its caught signals are at their defaults and its ignored ones stay
 * ignored, as the {@code execve} would leave them, and nothing needs resetting. Where
 * {@code clone3} is refused (a seccomp filter answering {@code ENOSYS}, or a kernel before 5.5),
 * {@link #start} returns null from then on, and the program starts through a child task.
 */
final class DirectSpawn {
    private static final long FLAGS = CLONE_VM | CLONE_PIDFD | CLONE_CHILD_CLEARTID | CLONE_CLEAR_SIGHAND;
    /** {@code struct clone_args} up to {@code tls} ({@code CLONE_ARGS_SIZE_VER0}). */
    private static final int ARGS_SIZE = 64;
    /** Whether {@code clone3} was refused here: decided at the first spawn. */
    private static volatile boolean refused;

    private DirectSpawn() {}

    /** Fault injection for tests: as if {@code clone3} were refused ({@code true}), or not yet tried. */
    static void refused(boolean refuse) {
        refused = refuse;
    }

    /** Whether {@code c} can start from {@code parent} this way: nothing but what the batch does. */
    static boolean fits(Command c, Task parent) {
        ProcessSetup s = c.setup;
        return !refused && parent instanceof LocalTask && s.namespaces.isEmpty() && s.beforeExec.isEmpty()
                && s.rlimits.isEmpty() && s.ids == null && s.hostname == null && !s.noNewPrivs && !s.dropCapabilities;
    }

    /**
     * Starts {@code a} from {@code parent} (the JVM's task) with {@code requests} (number to a
     * handle of {@code parent}) at their numbers, stdout's file at 2 too if {@code errToOut}, and
     * {@code c}'s umask, session and directory; or returns null, having started nothing, where a
     * child task must do it (a source on another request's number, a path too long for the
     * image's scratch space, {@code clone3} refused).
     *
     * @throws ErrnoException the program could not be exec'd, or the directory or an fd could not
     *     be set up (named); nothing runs
     */
    static ChildProcess start(Command c, Task parent, ExecArgs a, Map<Integer, FileDescriptor> requests,
            boolean errToOut, ChildProcess.Pipes pipes) throws IOException {
        byte[] dir = c.directory() == null ? null : CStrings.cString(c.directory().toString());
        if (dir != null && dir.length > ExecImage.SCRATCH_SIZE) {
            return null;
        }
        SyscallInterface local = parent.sysif();
        List<Borrowed> borrowed = new ArrayList<>(requests.size());
        try {
            Map<Integer, Integer> sources = new TreeMap<>();
            for (Map.Entry<Integer, FileDescriptor> e : requests.entrySet()) {
                Borrowed b = e.getValue().borrow(parent);
                borrowed.add(b);
                sources.put(e.getKey(), b.number());
            }
            for (Map.Entry<Integer, Integer> e : sources.entrySet()) {
                int n = e.getValue();
                if (n != e.getKey() && (sources.containsKey(n) || (errToOut && n == 2))) {
                    return null; // a dup3 would overwrite another's source: a step at a time
                }
            }
            ExecImage image = ExecImage.build(local, a.candidates(), a.args(), a.envp());
            try {
                return spawn(c, parent, a, image, dir, sources, errToOut, pipes);
            } finally {
                image.free();
            }
        } finally {
            for (Borrowed b : borrowed) {
                b.close();
            }
        }
    }

    private static ChildProcess spawn(Command c, Task parent, ExecArgs a, ExecImage image, byte[] dir,
            Map<Integer, Integer> sources, boolean errToOut, ChildProcess.Pipes pipes) throws IOException {
        SyscallInterface local = parent.sysif();
        ChildCode code = ChildCode.load(local);
        ChildStack stack = ChildStack.allocate(local);
        boolean parks = Poller.inVirtualThread();
        // The server writes its eventfd only for a virtual thread parked in the poller: a
        // platform thread waits on the answer word, and only this thread talks to the child.
        // The "eventfd" is a pipe whose hang-up at the exec wakes the parked thread at once.
        ServerEventFd efd = parks ? Spawner.execWatchingPipe(local, stack) : ServerEventFd.NONE;
        List<SyscallRequest> calls = new ArrayList<>();
        int[] kept = new int[sources.size() + 3];
        int k = 0;
        for (int i = 0; i < 3; i++) {
            kept[k++] = i;
        }
        for (Map.Entry<Integer, Integer> e : sources.entrySet()) {
            int target = e.getKey();
            int n = e.getValue();
            calls.add(n == target ? SyscallRequest.of(Sys.FCNTL, n, F_SETFD, 0) : SyscallRequest.of(Sys.DUP3, n, target, 0));
            kept[k++] = target;
        }
        if (errToOut) {
            calls.add(SyscallRequest.of(Sys.DUP3, 1, 2, 0));
        }
        if (c.setup.umask != null) {
            calls.add(SyscallRequest.of(Sys.UMASK, c.setup.umask));
        }
        if (c.setup.newSession) {
            calls.add(SyscallRequest.of(Sys.SETSID));
        }
        if (dir != null) {
            local.writeMemory(image.scratch(), dir, 0, dir.length);
            calls.add(SyscallRequest.of(Sys.CHDIR, image.scratch()));
        }
        calls.addAll(ExecPreparation.marks(ExecPreparation.kept(kept)));
        calls.add(SyscallRequest.of(Sys.RT_SIGPROCMASK, SIG_SETMASK, image.emptySigset(), 0, 8));
        int exec = calls.size();
        calls.add(SyscallRequest.of(Sys.EXECVE, image.candidate(0), image.argv(), image.envp()));
        if (contains(kept, efd.server())) { // the server's eventfd sits on a number the program gets
            efd.closeQuietly(local, null);
            stack.freeUnused();
            return null;
        }
        long pid;
        try {
            long sp = stack.prepare(code.trampoline(), Spawner.JVM_PID, efd.server());
            Mailbox.postFirst(local, stack.base(), calls, parks);
            long args = stack.scratch();
            writeCloneArgs(local, args, stack, sp);
            SpawnerThread.SpawnCall clone = () -> local.callFunction(code.spawn(), args, ARGS_SIZE, 0, 0, 0,
                    Sys.CLONE3.number());
            pid = parks ? SpawnerThread.run(clone) : cloneAndSleep(clone, stack);
        } catch (RuntimeException e) {
            efd.closeQuietly(local, e);
            Spawner.freeQuietly(stack, e);
            throw e;
        }
        if (pid < 0) {
            ErrnoException failure = new ErrnoException(Sys.CLONE3, (int) -pid, null);
            efd.closeQuietly(local, failure);
            Spawner.freeQuietly(stack, failure);
            if (pid == -Errno.ENOSYS || pid == -Errno.EINVAL) {
                refused = true;
                return null;
            }
            throw failure;
        }
        ClonedChild child = Spawner.madeInJvmTable(local, null, (int) pid, stack, efd, false);
        try {
            if (efd != ServerEventFd.NONE) {
                local.syscall(Sys.CLOSE, efd.server());
            }
            long[] results = ((ChildSyscallInterface) child.sysif()).awaitFirst(calls, parks);
            if (results == null) {
                child.sysif().close(); // exec'd (or died meanwhile, which its status will say)
                return new ChildProcess(child, a.argv(), parent, pipes);
            }
            for (int i = 0; i < exec; i++) {
                if (ChildTransport.isErrno(results[i])) {
                    throw failed(calls.get(i), (int) -results[i], c);
                }
            }
            throw ExecPreparation.search(child.sysif(), a.path(), image, results[exec]);
        } catch (SyscallHangup execd) {
            child.sysif().close(); // a later candidate exec'd (or the child died meanwhile)
            return new ChildProcess(child, a.argv(), parent, pipes);
        } catch (IOException | RuntimeException e) {
            Spawner.abandon(child, e);
            throw e;
        }
    }

    /**
     * For a platform thread: runs {@code clone} on the spawner thread while this thread sleeps on
     * the child's answer word, which the exec (or the server's answer, or the child's death)
     * changes, so that this thread wakes once, for the child, and not first for the clone's
     * result. A clone that made no child changes the word itself.
     */
    private static long cloneAndSleep(SpawnerThread.SpawnCall clone, ChildStack stack) {
        stack.callerSleeps();
        return SpawnerThread.run(() -> {
            long pid;
            try {
                pid = clone.run();
            } catch (RuntimeException | Error e) {
                wakeQuietly(stack, e);
                throw e;
            }
            if (pid < 0) {
                wakeQuietly(stack, null);
            }
            return pid;
        }, () -> {
            try {
                stack.sleepUntilFirstMove();
            } catch (SyscallException | RuntimeException e) {
                // left to awaitFirst after the clone, which waits again and reports what fails
            }
        });
    }

    /** {@link ChildStack#noChild}; a failure goes with {@code failure}, or to the log where it is null. */
    private static void wakeQuietly(ChildStack stack, Throwable failure) {
        try {
            stack.noChild();
        } catch (SyscallException | RuntimeException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                System.getLogger(DirectSpawn.class.getName()).log(System.Logger.Level.WARNING,
                        "rsyscall4j: waking the thread that waits for a failed clone", e);
            }
        }
    }

    private static boolean contains(int[] numbers, int n) {
        for (int m : numbers) {
            if (m == n) {
                return true;
            }
        }
        return false;
    }

    /** {@code struct clone_args}: the flags, where the pidfd and the ctid go, the exit signal, the stack. */
    private static void writeCloneArgs(SyscallInterface local, long at, ChildStack stack, long sp) {
        ByteBuffer b = ByteBuffer.allocate(ARGS_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(FLAGS).putLong(stack.ptidAddress()).putLong(stack.ctidAddress()).putLong(0).putLong(SIGCHLD)
                .putLong(stack.base()).putLong(sp - stack.base()).putLong(0);
        local.writeMemory(at, b.array(), 0, ARGS_SIZE);
    }

    /** The failure of a request before the {@code execve}, named. */
    private static IOException failed(SyscallRequest r, int errno, Command c) {
        return switch (r.nr()) {
            case CHDIR -> new SandboxException(Sys.CHDIR, errno, c.directory().toString(),
                    "the directory must exist and be searchable");
            case CLOSE_RANGE -> new ErrnoException(r.nr(), errno, r.arg(0) + ".." + r.arg(1));
            case DUP3 -> new ErrnoException(r.nr(), errno, "fd " + r.arg(1) + " (from " + r.arg(0) + ")");
            default -> new ErrnoException(r.nr(), errno, "fd " + r.arg(0));
        };
    }
}
