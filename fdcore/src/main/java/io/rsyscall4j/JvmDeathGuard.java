package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.F_DUPFD_CLOEXEC;
import static io.rsyscall4j.api.Linux.POLLIN;
import static io.rsyscall4j.api.Linux.PR_SET_PDEATHSIG;
import static io.rsyscall4j.api.Linux.SIGKILL;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Kills a child task's process, and so the program it execs, when the JVM dies — also when the
 * parent-death signal no longer covers it.
 *
 * <p>A child task dies with its parent ({@code PR_SET_PDEATHSIG}, {@code SIGKILL}), and the
 * setting survives {@code execve}, so an exec'd program normally ends with the JVM. Not always:
 * the kernel clears the parent-death signal when an exec changes the process's credentials — a
 * set-user-ID or set-group-ID program whose owner or group is not the caller's effective one, or a
 * program with file capabilities (see {@code prctl(2)}, {@code PR_SET_PDEATHSIG}) — and such a
 * program runs on after the JVM is killed, reparented to init. A guard closes that gap. Made
 * before the exec, it clones a guardian: a child task in the JVM's fd table whose parent-death
 * signal is cleared and whose server is left blocked in {@code poll} on a pidfd of the JVM. When
 * the JVM has ended (whatever ended it, {@code SIGKILL} included), that poll returns, the
 * guardian sends {@code SIGKILL} to the guarded process through a pidfd of its own, and exits.
 * {@link #close}, once the program has ended or guarding is no longer wanted, kills and reaps the
 * guardian; a guard that becomes unreachable is closed in the background.
 *
 * <p>It kills the guarded process only, not processes that one started. While it guards it costs
 * one process and four fds of the JVM's table (the guardian's eventfd, under two numbers, and two pidfds).
 */
public final class JvmDeathGuard implements AutoCloseable {
    /** Where in the guardian's scratch memory its pollfd lies (after what reaping it uses). */
    private static final int POLLFD = 256;

    private final Resources resources;
    private final Cleaner.Cleanable cleanable;

    private JvmDeathGuard(Resources resources) {
        this.resources = resources;
        this.cleanable = ChildJanitor.register(this, "ending the guardian of process " + resources.guardedPid,
                resources);
    }

    /**
     * Guards {@code child}'s process from now on: call it before {@link ChildTask#exec}, so that
     * no moment passes in which the program is covered by neither the parent-death signal nor
     * the guardian.
     *
     * @throws IllegalStateException {@code child} has exec'd, exited or died
     */
    public static JvmDeathGuard guard(ChildTask child) throws IOException {
        return guard(child, -1);
    }

    /**
     * {@link #guard(ChildTask)}, watching process {@code watched} (of the JVM's pid namespace)
     * instead of the JVM when it is not -1: for tests, which cannot kill their own JVM.
     */
    static JvmDeathGuard guard(ChildTask child, int watched) throws IOException {
        if (child.state() != ChildTask.State.ALIVE) {
            throw new IllegalStateException("can't guard child task " + child.pid() + ": it is " + child.state());
        }
        ClonedChild target = child.process();
        SyscallInterface local = target.sysif().local();
        int targetPidfd = target.dupPidfd(F_DUPFD_CLOEXEC);
        int jvmPidfd = -1;
        ClonedChild guardian = null;
        try {
            long pid = watched == -1 ? local.syscall(Sys.GETPID) : watched;
            jvmPidfd = (int) local.syscall(Sys.PIDFD_OPEN, pid, 0);
            guardian = Spawner.cloneLocal(local, true);
            // Answered before the exec: from now on the JVM's death no longer kills the guardian.
            guardian.sysif().syscall(Sys.PRCTL, PR_SET_PDEATHSIG, 0);
            long pollfd = guardian.stack().scratch() + POLLFD;
            byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(jvmPidfd).putShort(POLLIN)
                    .putShort((short) 0).array();
            local.writeMemory(pollfd, b, 0, b.length);
            guardian.sysif().sendAndAbandon(List.of(
                    SyscallRequest.of(Sys.POLL, pollfd, 1, -1),
                    SyscallRequest.of(Sys.PIDFD_SEND_SIGNAL, targetPidfd, SIGKILL, 0, 0),
                    SyscallRequest.of(Sys.EXIT, 0)));
        } catch (SyscallException | RuntimeException e) {
            try {
                new Resources(local, guardian, jvmPidfd, targetPidfd, target.pid()).run();
            } catch (SyscallException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new JvmDeathGuard(new Resources(local, guardian, jvmPidfd, targetPidfd, target.pid()));
    }

    /** Stops guarding: kills and reaps the guardian, closes its pidfds. Idempotent. */
    @Override
    public void close() throws IOException {
        try {
            resources.run();
        } finally {
            cleanable.clean(); // unregisters; the background action finds it done
        }
    }

    /** What ending a guard takes, without the guard itself (the cleaner must not hold it). */
    private static final class Resources implements ChildJanitor.Work {
        private final SyscallInterface local;
        private final ClonedChild guardian;
        private final int jvmPidfd;
        private final int targetPidfd;
        private final int guardedPid;
        private final AtomicBoolean done = new AtomicBoolean();

        Resources(SyscallInterface local, ClonedChild guardian, int jvmPidfd, int targetPidfd, int guardedPid) {
            this.local = local;
            this.guardian = guardian;
            this.jvmPidfd = jvmPidfd;
            this.targetPidfd = targetPidfd;
            this.guardedPid = guardedPid;
        }

        /** Kills and reaps the guardian first: only then may the numbers of its pidfds be reused. */
        @Override
        public void run() throws SyscallException {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            try {
                if (guardian != null) {
                    guardian.kill(SIGKILL);
                    guardian.waitFor();
                }
            } finally {
                for (int fd : new int[] {jvmPidfd, targetPidfd}) {
                    if (fd >= 0) {
                        local.syscall(Sys.CLOSE, fd);
                    }
                }
            }
        }
    }
}
