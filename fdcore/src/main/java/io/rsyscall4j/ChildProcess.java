package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.SIGKILL;
import static io.rsyscall4j.api.Linux.SIGTERM;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A program a child task exec'd ({@link ChildTask#exec}, {@link Command#start}): a
 * {@link java.lang.Process} with the JDK's semantics, whose signals go through a pidfd (never to a
 * reused pid).
 *
 * <p>Any number of threads may wait for, poll and signal one program at once; a signal is never
 * held up by a waiter. The program is reaped in the background as soon as it ends, waited for or
 * not, by one thread that watches every process's pidfd, which also completes {@link #onExit()}:
 * no thread per program. (The JDK's own reaper only reaps the processes {@code ProcessBuilder}
 * started.) A platform thread in {@link #waitFor()} waits on the pidfd itself and reaps the
 * program as it ends, saving the hand-off from the watching thread.
 *
 * <p>The program is killed if its parent task dies first (the parent-death signal survives
 * exec), and so ends with the JVM — unless its exec changed its credentials: the kernel clears the
 * parent-death signal when an exec changes the effective or filesystem user or group id (a
 * set-user-ID or set-group-ID program of another owner or group) or gives capabilities the
 * process did not have (file capabilities), and such a program runs on after the JVM is killed.
 * {@link JvmDeathGuard} covers those too.
 *
 * <p>Its streams are those of {@link ProcessBuilder.Redirect#PIPE} redirects made by
 * {@link Command}; a program exec'd by {@link ChildTask#exec} has none (its stdio is what the child
 * task set up): then, as for the JDK's other redirects, {@link #getInputStream} is empty and
 * {@link #getOutputStream} refuses writes. As the JDK's, once the program has ended and is reaped
 * the JVM's ends of its pipes are closed: what stdout and stderr held stays readable, writes to
 * stdin fail.
 */
public final class ChildProcess extends Process {
    private final ClonedChild process;
    private final List<String> argv;
    /**
     * The task whose child exec'd the program, held so it lives as long as this: the program
     * dies with its parent process, and a child task's parent is killed once unreachable.
     */
    private final Task parent;
    /** Completed with the status once the program has ended and is reaped. */
    private final CompletableFuture<Integer> exit;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;
    private final Object handleLock = new Object();
    /** The JDK's handle, once asked for ({@link #toHandle}). Guarded by {@link #handleLock}. */
    private ProcessHandle handle;

    ChildProcess(ClonedChild process, List<String> argv, Task parent, Pipes pipes) {
        this.process = process;
        this.parent = parent;
        this.argv = List.copyOf(argv);
        PipeStreams.Output in = pipes.stdin == null ? null : new PipeStreams.Output(pipes.stdin);
        PipeStreams.Input out = pipes.stdout == null ? null : new PipeStreams.Input(pipes.stdout);
        PipeStreams.Input err = pipes.stderr == null ? null : new PipeStreams.Input(pipes.stderr);
        this.stdin = in == null ? NotAPipe.OUTPUT : in;
        this.stdout = out == null ? InputStream.nullInputStream() : out;
        this.stderr = err == null ? InputStream.nullInputStream() : err;
        // Reaped once it ends, by the one thread that watches every process, waited for or not.
        this.exit = process.exit();
        if (pipes != Pipes.NONE) {
            exit.whenComplete((status, failure) -> PipeStreams.exited(in, out, err));
        }
    }

    /** What {@code Process} gives for a stdin that is not a pipe: every write fails. */
    private static final class NotAPipe extends OutputStream {
        static final OutputStream OUTPUT = new NotAPipe();

        @Override
        public void write(int b) throws IOException {
            throw new IOException("Stream closed: the program's stdin is not a pipe (Redirect.PIPE)");
        }
    }

    /**
     * The JVM's ends of a program's pipes: what it writes to the program's stdin, reads from its
     * stdout and stderr; null where the stream is not a pipe.
     */
    record Pipes(FileDescriptor stdin, FileDescriptor stdout, FileDescriptor stderr) {
        static final Pipes NONE = new Pipes(null, null, null);
    }

    /** The process id (in the JVM's pid namespace). */
    @Override
    public long pid() {
        return process.pid();
    }

    /** The writing end of the program's stdin pipe, buffered: flush or close it. */
    @Override
    public OutputStream getOutputStream() {
        return stdin;
    }

    /**
     * The reading end of the program's stdout pipe: -1 once the program and every copy of its
     * stdout closed it, or, once the program has ended and is reaped, after what the pipe held
     * then (a copy left in another process writes no further, as with the JDK's streams).
     */
    @Override
    public InputStream getInputStream() {
        return stdout;
    }

    /** The reading end of the program's stderr pipe (empty with {@code redirectErrorStream(true)}). */
    @Override
    public InputStream getErrorStream() {
        return stderr;
    }

    /**
     * Waits for the program to end and returns its exit status, or 128 + the signal that killed
     * it (as a shell reports it; the JDK reports the same on Linux). Later calls return the same
     * status.
     *
     * @throws InterruptedException this thread was interrupted while waiting
     * @throws UncheckedIOException reaping the process failed (the status is unknown)
     */
    @Override
    public int waitFor() throws InterruptedException {
        try {
            return process.awaitExit();
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        }
    }

    /**
     * Waits at most {@code timeout} for the program to end; whether it did. A timeout of zero or
     * less only looks.
     */
    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        if (exit.isDone()) {
            return true;
        }
        if (timeout <= 0) {
            return false;
        }
        try {
            exit.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        }
    }

    /**
     * The exit status ({@link #waitFor()}'s) of a program that has ended.
     *
     * @throws IllegalThreadStateException it has not ended (or is not reaped yet)
     */
    @Override
    public int exitValue() {
        if (!exit.isDone()) {
            throw new IllegalThreadStateException("process " + pid() + " has not exited");
        }
        try {
            return exit.join();
        } catch (CompletionException e) {
            throw failure(e.getCause());
        }
    }

    /** Whether the program has not ended yet (or is not reaped yet: it ends a moment before). */
    @Override
    public boolean isAlive() {
        return !exit.isDone();
    }

    /** Sends SIGTERM (through the pidfd); nothing once the program has ended. */
    @Override
    public void destroy() {
        signal(SIGTERM);
    }

    /** Sends SIGKILL (through the pidfd); nothing once the program has ended. Returns this. */
    @Override
    public ChildProcess destroyForcibly() {
        signal(SIGKILL);
        return this;
    }

    /** True: {@link #destroy} sends SIGTERM, which a program may handle. */
    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    /**
     * A new future completed with this process once it has ended and is reaped (exceptionally if
     * reaping failed). Actions chained to it run on a pool thread, never on the thread that
     * watches every process; while pending, it costs no thread.
     */
    @Override
    public CompletableFuture<Process> onExit() {
        return exit.thenApplyAsync(status -> (Process) this, ChildJanitor::execute);
    }

    /**
     * The JDK's {@link ProcessHandle} of this process (its parent, children, {@code info()}).
     * Made the first time it is asked for, which must be before the program ended and was reaped:
     * from then on its pid may name another process.
     *
     * @throws UnsupportedOperationException first asked for after the program was reaped, or the
     *     program runs on another host (a {@code ProcessHandle} names a process of the JVM's)
     */
    @Override
    public ProcessHandle toHandle() {
        if (!ChildTransport.inJvm(process.sysif().local())) {
            throw new UnsupportedOperationException("process " + pid() + " runs on another host: a ProcessHandle"
                    + " names a process of this one");
        }
        synchronized (handleLock) {
            if (handle == null) {
                handle = process.beforeReaping(() -> ProcessHandle.of(pid()).orElse(null));
                if (handle == null) {
                    throw new UnsupportedOperationException("process " + pid() + " has ended and was reaped before"
                            + " toHandle() was first called: its pid may be another process's now");
                }
            }
            return handle;
        }
    }

    /**
     * Waits for the program to end ({@link #waitFor}) and throws unless it exited with status 0.
     *
     * @throws ChildProcessFailedException it exited non-zero or was killed
     * @throws InterruptedException this thread was interrupted while waiting
     */
    public void check() throws IOException, InterruptedException {
        int status = waitFor();
        if (status != 0) {
            throw new ChildProcessFailedException(process.pid(), status, argv);
        }
    }

    /**
     * Sends {@code signal} to the process through its pidfd: never to a reused pid, and never
     * held up by a thread waiting for the process. Nothing once it has been reaped.
     */
    public void kill(int signal) throws IOException {
        process.kill(signal);
    }

    /** The argument vector the program was exec'd with. */
    List<String> argv() {
        return argv;
    }

    private void signal(int signal) {
        try {
            process.kill(signal);
        } catch (IOException e) {
            throw new UncheckedIOException("signal " + signal + " to process " + pid(), e);
        }
    }

    private static RuntimeException failure(Throwable cause) {
        if (cause instanceof IOException io) {
            return new UncheckedIOException("reaping the process failed", io);
        }
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(cause);
    }

    @Override
    public String toString() {
        return "ChildProcess[pid " + pid() + ", " + argv + "]";
    }
}
