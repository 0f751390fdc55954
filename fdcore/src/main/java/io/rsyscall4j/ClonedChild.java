package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.SIGKILL;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.internal.Poller;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A process rsyscall4j made with {@code clone}, from its birth to its reaping: its pid, a pidfd in
 * the JVM's table, its memory, the connection to its syscall server, and the task that made it
 * (the only one that can reap it).
 *
 * <p>Nothing of it is released before the process is reaped: the pidfd names the process (and
 * not a reused pid) until then, and the memory is the process's stack until the kernel has
 * cleared its futex word.
 */
final class ClonedChild {
    private static final System.Logger LOG = System.getLogger(ClonedChild.class.getName());

    private final SyscallInterface local;
    private final ClonedChild parent;
    private final ChildPids pids;
    private final int pidfd;
    private final ChildStack stack;
    private final ChildTransport sysif;
    private final int serverFd;
    private boolean serverFdsInParentTable;
    /** Completed once the process is reaped and released ({@link #exit}). */
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final AtomicBoolean watched = new AtomicBoolean();
    /** The watcher's number for this process ({@link ProcessWatcher#unwatch}), 0 if not watched. */
    private volatile long watchId;
    /** Taken by whoever reaps, or by a thread {@linkplain #awaitExit waiting} to: exactly one reaper. */
    private final AtomicBoolean reaper = new AtomicBoolean();
    /** Set once the pidfd said the process ended, before anyone tries to take {@link #reaper}. */
    private volatile boolean endSeen;
    /** Read-locked to signal through the pidfd, write-locked to close it. */
    private final ReentrantReadWriteLock pidfdLock = new ReentrantReadWriteLock();
    /** Whether the pidfd is closed. Guarded by {@link #pidfdLock}. */
    private boolean released;
    /** Whether reaping has begun: the pid may name another process soon. Guarded by {@link #pidfdLock}. */
    private boolean reaping;

    /**
     * @param parent the child whose server made this one, or {@code null} when the JVM did
     * @param serverFd the number of the fd the child's server writes to tell of an answer (its
     *     connection's eventfd), in the child's table
     * @param sharesParentTable made with {@code CLONE_FILES}: then the server's fd is open in the
     *     parent's table too (it is the same table), and closed there once the child is reaped,
     *     unless someone {@linkplain #takeServerFdsInParentTable takes} that over
     */
    ClonedChild(SyscallInterface local, ClonedChild parent, int pid, int pidfd, ChildStack stack,
            ChildTransport sysif, int serverFd, boolean sharesParentTable) {
        this.local = local;
        this.parent = parent;
        this.pids = new ChildPids(pid);
        this.pidfd = pidfd;
        this.stack = stack;
        this.sysif = sysif;
        this.serverFd = serverFd;
        this.serverFdsInParentTable = sharesParentTable;
    }

    /** The pid in the JVM's pid namespace. */
    int pid() {
        return pids.jvm();
    }

    /** The pid the process sees for itself ({@code getpid}), in its own pid namespace. */
    int ownPid() {
        return pids.own();
    }

    /** Its pids in each namespace, and where its next children go. */
    ChildPids pids() {
        return pids;
    }

    /** {@link ChildPids#place}, right after the clone of this child with {@code namespaces}. */
    void placeInPidNamespaces(long namespaces) throws SyscallException {
        pids.place(parent == null ? null : parent.pids, namespaces, pidfd, sysif);
    }

    /** The child's pidfd, in the JVM's fd table. Valid until the child is reaped. */
    int pidfd() {
        return pidfd;
    }

    ChildTransport sysif() {
        return sysif;
    }

    ChildStack stack() {
        return stack;
    }

    /** The number of the fd the child's server writes to tell of an answer, in the child's table. */
    int serverFd() {
        return serverFd;
    }

    /**
     * Forgets the server's fd number in the parent's table, for a caller that has taken over
     * closing them (or knows they are closed). Returns them, or no number if they were not (or no
     * longer) the parent's to close.
     */
    synchronized int[] takeServerFdsInParentTable() {
        if (!serverFdsInParentTable) {
            return new int[0];
        }
        serverFdsInParentTable = false;
        return new int[] {serverFd};
    }

    /**
     * A new fd of the JVM's table for this child's pidfd ({@code fcntl(cmd)}, e.g.
     * {@code F_DUPFD_CLOEXEC}), owned by the caller: it names this process for as long as the
     * caller keeps it, reaped or not.
     *
     * @throws IllegalStateException the child was reaped
     */
    int dupPidfd(int cmd) throws SyscallException {
        pidfdLock.readLock().lock();
        try {
            if (released) {
                throw new IllegalStateException("process " + pid() + " was reaped");
            }
            return (int) local.syscall(Sys.FCNTL, pidfd, cmd, 0);
        } finally {
            pidfdLock.readLock().unlock();
        }
    }

    /**
     * Sends {@code signal} through the pidfd: never to a reused pid. No-op once reaped. Never
     * waits for a waiter: it shares the pidfd only with the reaper's close.
     */
    void kill(int signal) throws SyscallException {
        pidfdLock.readLock().lock();
        try {
            if (released) {
                return;
            }
            local.syscall(Sys.PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        } catch (SyscallSendError | SyscallHangup gone) {
            // on another host, whose connection is gone: the process died with its server
        } finally {
            pidfdLock.readLock().unlock();
        }
    }

    /**
     * Completes with the exit status once the process has ended and is reaped, with everything
     * it held released: its exit status, or 128 + the signal that killed it (as a shell reports
     * it). Asks the {@link ProcessWatcher} to watch the pidfd on the first call.
     *
     * <p>Reaping waits for the pidfd to say the process has ended, so the pidfd (closed by the
     * reaping) names the process for as long as a {@link #kill} may use it. The JVM reaps the
     * children it made itself ({@code waitid(P_PIDFD, WNOHANG)}, on the watcher thread); a
     * child's children can only be reaped by that child, so their {@code waitid} runs in the
     * parent's server, on a {@link ChildJanitor} thread. If the parent is gone too, the
     * grandchild was reparented and reaped by init, killed by its parent-death signal: that
     * status (128 + SIGKILL) is reported.
     */
    CompletableFuture<Integer> exit() {
        if (watched.compareAndSet(false, true)) {
            if (!ChildTransport.inJvm(local)) {
                ChildJanitor.submit("reaping child " + pid() + " of a remote task", this::awaitRemoteEnd);
                return exit;
            }
            watch();
        }
        return exit;
    }

    /** Has the {@link ProcessWatcher} run {@link #ended} once the pidfd says the process ended. */
    private void watch() {
        try {
            watchId = ProcessWatcher.watch(local, pidfd, this::ended);
        } catch (SyscallException | RuntimeException e) {
            watchId = 0;
            LOG.log(System.Logger.Level.WARNING, "can't watch child " + pid() + "; reaping it on a thread of its own", e);
            ChildJanitor.submit("reaping child " + pid(), () -> {
                Reaping.awaitEnd(local, pidfd, stack.scratch());
                ended();
            });
        }
    }

    /**
     * Waits (not interruptibly) for {@link #exit}: the process's status once reaped. Later calls
     * return the same status. Must not be called on the watcher thread.
     */
    int waitFor() throws SyscallException {
        try {
            return exit().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SyscallException s) {
                throw s;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /**
     * Waits for {@link #exit}'s status. A platform thread waiting for a child the JVM made waits
     * on the pidfd itself and reaps the process, unless another thread does: one wake-up, where
     * the {@link ProcessWatcher} reaping takes two (its own, then the waiter's). A virtual thread
     * parks on {@link #exit}.
     *
     * @throws InterruptedException interrupted first ({@link PidfdWait}): the process is left
     *     running, and reaped as if this thread had never waited
     */
    int awaitExit() throws InterruptedException, ExecutionException {
        exit(); // watched, in case this thread gives up
        if (parent == null && !exit.isDone() && !Poller.inVirtualThread() && ChildTransport.inJvm(local)
                && reaper.compareAndSet(false, true)) {
            boolean unwatched = ProcessWatcher.unwatch(watchId, pidfd); // the watcher need not wake too
            boolean reaps = false;
            try {
                PidfdWait.await(local, pidfd, stack.scratch());
                endSeen = true;
                reaps = true;
            } catch (SyscallException e) {
                LOG.log(System.Logger.Level.DEBUG, "waiting for child " + pid() + " on its pidfd; the watcher reaps it", e);
            } finally {
                if (reaps) {
                    reapAndRelease();
                } else {
                    if (unwatched) {
                        watch();
                    }
                    reaper.set(false);
                    if (endSeen && reaper.compareAndSet(false, true)) { // the watcher saw it end meanwhile
                        reapAndRelease();
                    }
                }
            }
        }
        return exit.get();
    }

    /** The pidfd says the process has ended (on the watcher thread): reaps it unless another thread does. */
    private void ended() {
        endSeen = true;
        if (!reaper.compareAndSet(false, true)) {
            return;
        }
        if (parent == null) {
            reapAndRelease();
        } else {
            ChildJanitor.submit("reaping child " + pid() + " of " + parent.pid(), this::reapAndRelease);
        }
    }

    /**
     * {@code query()} while the process is not reaped (its pid names it, a zombie at worst), or
     * null once reaping has begun. Reaping waits for a query that runs.
     */
    <T> T beforeReaping(java.util.function.Supplier<T> query) {
        pidfdLock.readLock().lock();
        try {
            return reaping ? null : query.get();
        } finally {
            pidfdLock.readLock().unlock();
        }
    }

    private void reapAndRelease() {
        pidfdLock.writeLock().lock();
        reaping = true;
        pidfdLock.writeLock().unlock();
        int result;
        try {
            long info = stack.scratch();
            local.writeMemory(info, new byte[128], 0, 128);
            result = parent == null ? Reaping.reap(local, pidfd, pid(), info)
                    : Reaping.waitThroughParent(parent.sysif(), pids.inParent(), pid(), info);
        } catch (SyscallException | RuntimeException e) {
            exit.completeExceptionally(e);
            return;
        }
        release();
        exit.complete(result);
    }

    /**
     * For a child on another host, where the {@link ProcessWatcher} cannot see its pidfd: waits
     * for it to end in the remote task's server, then reaps it. A connection that fails meanwhile
     * took the process with it (it dies with the remote server): it is reported killed, and what
     * it held on that host is gone with the server.
     */
    private void awaitRemoteEnd() {
        try {
            Reaping.awaitEnd(local, pidfd, stack.scratch());
        } catch (SyscallSendError | SyscallHangup gone) {
            pidfdLock.writeLock().lock();
            reaping = true;
            released = true;
            pidfdLock.writeLock().unlock();
            try {
                sysif.close();
            } catch (SyscallException | RuntimeException e) {
                // gone with the connection
            }
            exit.complete(128 + SIGKILL);
            return;
        } catch (SyscallException | RuntimeException e) {
            exit.completeExceptionally(e);
            return;
        }
        reapAndRelease();
    }

    /**
     * After reaping: close the connection, the server's fd left in the parent's table, the
     * pidfd, and unmap the stack. Failures are logged, not thrown: the process is gone and each
     * resource is released independently.
     */
    private void release() {
        try {
            sysif.close();
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the connection to child " + pid(), e);
        }
        for (int serverFd : takeServerFdsInParentTable()) {
            try {
                if (parent == null) {
                    local.syscall(Sys.CLOSE, serverFd);
                } else if (parent.sysif().isConnected()) {
                    parent.sysif().syscall(Sys.CLOSE, serverFd);
                }
            } catch (SyscallException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing child " + pid() + "'s server fd " + serverFd
                        + " in its parent's table", e);
            }
        }
        pidfdLock.writeLock().lock();
        try {
            released = true;
            local.syscall(Sys.CLOSE, pidfd);
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the pidfd of child " + pid(), e);
        } finally {
            pidfdLock.writeLock().unlock();
        }
        try {
            stack.free();
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "unmapping the stack of child " + pid(), e);
        }
        if (parent == null && ChildTransport.inJvm(local)) {
            SpawnerThread.childReaped(); // the spawner thread made it: it need not live for it any more
        }
    }

    @Override
    public String toString() {
        return "ClonedChild[pid " + pid() + (parent == null ? "" : ", parent " + parent.pid()) + "]";
    }
}
