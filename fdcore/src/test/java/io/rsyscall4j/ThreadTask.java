package io.rsyscall4j;

import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FDTable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * A real kernel task that is one dedicated platform thread of this JVM: every syscall of it runs on
 * that thread, so once the thread unshares its fd table it has a table of its own — a second fd
 * table, as rsyscall's threads can have, without a child process. /proc/self/task/TID/fd shows it.
 *
 * <p>The thread only ever runs the one lambda below (warmed up before any unshare), so the JVM never
 * uses its copied fds (jar files) from that thread after the copies are closed.
 */
final class ThreadTask extends Task implements AutoCloseable {
    private final ThreadSyscallInterface thread;
    /** Runs inside {@link #unshareFiles}, just before the unshare syscall, while the task is manipulating its table. */
    volatile DuringUnshare duringUnshare;

    interface DuringUnshare {
        void run() throws java.io.IOException;
    }

    private ThreadTask(ThreadSyscallInterface thread, int tid, FDTable table, Task jvm) {
        super(thread, tid, table, jvm.addressSpace());
        this.thread = thread;
        initStdio(inheritFd(jvm.stdin()), inheritFd(jvm.stdout()), inheritFd(jvm.stderr()));
    }

    /** A thread in the JVM's fd table. */
    static ThreadTask inJvmTable(Task jvm) throws SyscallException {
        ThreadSyscallInterface t = new ThreadSyscallInterface(jvm.sysif());
        return new ThreadTask(t, t.tid, jvm.fdTable(), jvm);
    }

    /**
     * A thread whose kernel table is a copy of the JVM's, made like a child cloned without
     * CLONE_FILES: the {@link FDTable} first (so it inherits the JVM's live handles), then the copy.
     */
    static ThreadTask withCopiedTable(Task jvm) throws SyscallException {
        ThreadSyscallInterface t = new ThreadSyscallInterface(jvm.sysif());
        FDTable copy = FdInternals.newFdTable(t.tid, jvm.fdTable(), true);
        t.syscall(Sys.UNSHARE, 0x400);
        return new ThreadTask(t, t.tid, copy, jvm);
    }

    @Override
    protected void unshareFilesSyscall() throws java.io.IOException {
        DuringUnshare hook = duringUnshare;
        if (hook != null) {
            hook.run();
        }
        super.unshareFilesSyscall();
    }

    /** The thread's id, for /proc/self/task/TID. */
    int tid() {
        return thread.tid;
    }

    /** Ends the thread (the kernel drops its fd table with it); later syscalls fail to send. */
    @Override
    public void close() {
        thread.executor.shutdown();
    }

    static final class ThreadSyscallInterface implements SyscallInterface {
        private final SyscallInterface real;
        final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "rsyscall4j-test-thread-task");
            t.setDaemon(true);
            return t;
        });
        final int tid;

        ThreadSyscallInterface(SyscallInterface real) throws SyscallException {
            this.real = real;
            this.tid = (int) syscall(Sys.GETTID);
            // Warm up every path the thread will take (success and errno), before any unshare.
            syscall(Sys.GETPID);
            try {
                syscall(Sys.CLOSE, -1);
            } catch (SyscallException expected) {
                // EBADF
            }
        }

        @Override
        public long syscall(Sys nr, long... args) throws SyscallException {
            Future<Long> f;
            try {
                f = executor.submit(() -> real.syscall(nr, args));
            } catch (RejectedExecutionException e) {
                throw new SyscallSendError("thread task " + tid + " has ended: " + nr.syscallName() + " not sent", e);
            }
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SyscallSendError("interrupted waiting for " + nr.syscallName(), e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof SyscallException se) {
                    throw se;
                }
                throw new IllegalStateException(e.getCause());
            }
        }

        @Override
        public void writeMemory(long address, byte[] src, int off, int len) {
            real.writeMemory(address, src, off, len);
        }

        @Override
        public void readMemory(long address, byte[] dst, int off, int len) {
            real.readMemory(address, dst, off, len);
        }

        @Override
        public String provider() {
            return "thread(" + real.provider() + ")";
        }
    }
}
