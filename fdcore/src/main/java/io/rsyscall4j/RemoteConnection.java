package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.SIGKILL;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs syscalls in a remote task, by sending each one down the ssh channel to the remote server
 * ({@link RemoteServerCode}): a 56-byte request {@code {int64 nr; int64 args[6]}} answered by the
 * 8-byte raw result. The channel is two pipes to the local {@code ssh} client: its stdin
 * ({@link #requests}) and its stdout ({@link #answers}).
 *
 * <p><b>Memory.</b> The remote task has its own address space, so {@link #writeMemory} and
 * {@link #readMemory} carry the bytes over the channel (as rsyscall does): {@code {-1, address,
 * length}} followed by the bytes, which the server reads straight into its memory, and
 * {@code {-2, address, length}}, answered by the bytes. Memory writes are not answered: they wait
 * in a buffer and go out with the next request, so a syscall with a pointer argument costs one
 * round trip. A fault moving memory ends the server.
 *
 * <p><b>Threads.</b> Calls from several Java threads are serialised: one request in flight at a
 * time, so each answer belongs to the only caller waiting. Callers take turns in arrival order
 * (a fair lock), so a caller that waits in slices ({@link #WAIT_SLICE_NANOS}) lets every other
 * caller in between two of its slices.
 *
 * <p><b>Death</b> (as for a child task): when the channel fails — the ssh client, the remote
 * server or the remote session died, or the connection was closed — a call whose request could not
 * be written raises {@link SyscallSendError} (nothing was sent), a call waiting for its answer
 * raises {@link SyscallHangup} (it may or may not have run), and every later call raises
 * {@link SyscallSendError} at once. The pipes are written last with the request itself, so a
 * failed write means the request never left the JVM. A {@link #readMemory} on a dead channel
 * throws {@link UncheckedIOException} wrapping one of those (its signature has no checked
 * exceptions); a {@link #writeMemory} on one does nothing, and the syscall that would use the
 * bytes fails to send.
 */
final class RemoteConnection implements SyscallInterface {
    static final int REQUEST_SIZE = 56;
    /**
     * The longest a wait made for the JVM (for a child's answer, for a process to end) holds the
     * server: longer waits are made of slices, with other callers' requests in between.
     */
    static final long WAIT_SLICE_NANOS = 20_000_000L;
    private static final int BUFFER = 64 * 1024;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final String host;
    private final FileDescriptor requests;
    private final FileDescriptor answers;
    private final ChildProcess ssh;
    /** What ssh said on stderr, for exception messages. */
    private final SshMessages sshSays;
    private final ReentrantLock lock = new ReentrantLock(true);
    /** Bytes waiting to be written (guarded by {@link #lock}). */
    private final byte[] out = new byte[BUFFER];
    private int pending;
    private final byte[] result = new byte[8];
    private volatile String gone;

    /**
     * @param host the remote host, for messages
     * @param requests the write end of the pipe to ssh's stdin (a handle of the local task)
     * @param answers the read end of the pipe from ssh's stdout
     * @param ssh the ssh client, whose stdin and stdout those pipes are
     * @param sshSays what ssh says on stderr
     */
    RemoteConnection(String host, FileDescriptor requests, FileDescriptor answers, ChildProcess ssh, SshMessages sshSays) {
        this.host = host;
        this.requests = requests;
        this.answers = answers;
        this.ssh = ssh;
        this.sshSays = sshSays;
    }

    /**
     * Sends the server's executable (what the remote shell's {@code head -c} waits for) and returns
     * what comes back first: {@code {hello, request fd, answer fd}}, where hello is
     * {@link RemoteServerCode#HELLO} once the server runs, and the fds are the server's.
     *
     * @throws SyscallHangup the channel closed first (ssh failed, or the server did not start)
     */
    long[] start(byte[] executable) throws SyscallHangup {
        byte[] hello = new byte[16];
        lock.lock();
        try {
            System.arraycopy(executable, 0, out, 0, executable.length);
            pending = executable.length;
            if (!send() || !receive(hello, 0, hello.length)) {
                throw new SyscallHangup("the server did not start on " + host + ": " + gone);
            }
        } finally {
            lock.unlock();
        }
        ByteBuffer b = ByteBuffer.wrap(hello).order(ByteOrder.LITTLE_ENDIAN);
        return new long[] {b.getLong(), b.getInt(), b.getInt()};
    }

    /** The ssh client. */
    ChildProcess ssh() {
        return ssh;
    }

    /** What ssh has said on stderr. */
    SshMessages sshMessages() {
        return sshSays;
    }

    /**
     * Ends the connection, the server and the ssh client, and closes the JVM's pipe ends (ssh's
     * stderr too, once read to its end); later
     * calls fail to send. With no call in flight, the server gets EOF and exits, then ssh does;
     * else (or if ssh is still there after {@code graceMillis}) ssh is killed, which ends the
     * remote session, and with it the server, and gives the call in flight a hangup.
     */
    void close(String why, long graceMillis) {
        markGone(why);
        try {
            boolean idle = lock.tryLock();
            if (idle) {
                try {
                    invalidateQuietly(requests); // EOF on ssh's stdin, then on the server's
                } finally {
                    lock.unlock();
                }
            }
            if (!idle || !ssh.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
                ssh.kill(SIGKILL);
                ssh.waitFor();
            }
            sshSays.awaitEnd(graceMillis); // its stderr pipe is closed at its end
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killQuietly(ssh);
        } catch (IOException e) {
            // ssh has ended already
        }
        lock.lock();
        try {
            invalidateQuietly(requests);
            invalidateQuietly(answers);
        } finally {
            lock.unlock();
        }
    }

    private static void invalidateQuietly(FileDescriptor fd) {
        try {
            fd.invalidate();
        } catch (SyscallException e) {
            // close(2) of a pipe end reports nothing worth keeping here: the fd is released anyway
        }
    }

    /** Kills the ssh client without waiting: for a connection nobody can close any more. */
    static void killQuietly(ChildProcess ssh) {
        try {
            ssh.kill(SIGKILL);
        } catch (IOException e) {
            // ended already
        }
    }

    @Override
    public long syscall(Sys nr, long... args) throws SyscallException {
        SyscallInterface.checkArgs(nr, args);
        long raw;
        lock.lock();
        try {
            request(nr.number(), args);
            if (!send()) {
                throw new SyscallSendError(nr.syscallName() + " was not sent to " + this + ": " + gone);
            }
            if (!receive(result, 0, 8)) {
                throw new SyscallHangup(nr.syscallName() + " was sent to " + this + " but no answer came: " + gone);
            }
            raw = (long) LONG_LE.get(result, 0);
        } finally {
            lock.unlock();
        }
        if (ChildTransport.isErrno(raw)) {
            throw ErrnoException.of(nr, (int) -raw, args);
        }
        return raw;
    }

    /**
     * Sends {@code calls} back to back, after the memory writes waiting, and returns their raw
     * results in order (-4095..-1 is -errno; nothing is thrown for those): one round trip. Fails
     * as {@link #syscall} does.
     */
    long[] pipeline(List<SyscallRequest> calls) throws SyscallException {
        long[] results = new long[calls.size()];
        lock.lock();
        try {
            if (pending + calls.size() * REQUEST_SIZE > BUFFER) {
                send();
            }
            for (SyscallRequest c : calls) {
                request(c.nr().number(), c.args());
            }
            if (!send()) {
                throw new SyscallSendError(calls.get(0).nr().syscallName() + " was not sent to " + this + ": " + gone);
            }
            for (int i = 0; i < results.length; i++) {
                if (!receive(result, 0, 8)) {
                    throw new SyscallHangup(calls.get(i).nr().syscallName() + " was sent to " + this
                            + " but no answer came: " + gone);
                }
                results[i] = (long) LONG_LE.get(result, 0);
            }
        } finally {
            lock.unlock();
        }
        return results;
    }

    /**
     * Fills each of {@code dsts} with the memory at the address of the same index: one round
     * trip for all. Fails as {@link #readMemory} does.
     */
    void readMemory(long[] addresses, byte[][] dsts) {
        lock.lock();
        try {
            if (pending + addresses.length * REQUEST_SIZE > BUFFER) {
                send();
            }
            for (int i = 0; i < addresses.length; i++) {
                request(RemoteServerCode.FROM_MEMORY, addresses[i], dsts[i].length);
            }
            if (!send()) {
                throw new UncheckedIOException(new SyscallSendError("reading memory of " + this + ": " + gone));
            }
            for (byte[] dst : dsts) {
                if (!receive(dst, 0, dst.length)) {
                    throw new UncheckedIOException(new SyscallHangup("reading memory of " + this + ": " + gone));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void writeMemory(long address, byte[] src, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, src.length);
        lock.lock();
        try {
            while (len > 0 && gone == null) {
                // room for this request, its bytes, and the request that will follow them
                int room = BUFFER - pending - 2 * REQUEST_SIZE;
                if (room <= 0) {
                    send();
                    continue;
                }
                int n = Math.min(len, room);
                request(RemoteServerCode.TO_MEMORY, address, n);
                System.arraycopy(src, off, out, pending, n);
                pending += n;
                address += n;
                off += n;
                len -= n;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void readMemory(long address, byte[] dst, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, dst.length);
        lock.lock();
        try {
            request(RemoteServerCode.FROM_MEMORY, address, len);
            if (!send()) {
                throw new UncheckedIOException(new SyscallSendError("reading memory of " + this + ": " + gone));
            }
            if (!receive(dst, off, len)) {
                throw new UncheckedIOException(new SyscallHangup("reading memory of " + this + ": " + gone));
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String provider() {
        return "remote(" + host + ")";
    }

    /** Marks the channel dead for {@code reason}, unless it already is; later calls fail to send. */
    void markGone(String reason) {
        if (gone == null) {
            gone = reason;
        }
    }

    /** Appends the request {@code {nr, args}} to the bytes waiting (room checked by the callers). */
    private void request(long nr, long... args) {
        LONG_LE.set(out, pending, nr);
        for (int i = 0; i < 6; i++) {
            LONG_LE.set(out, pending + 8 * (i + 1), i < args.length ? args[i] : 0L);
        }
        pending += REQUEST_SIZE;
    }

    /** Writes the bytes waiting; false (channel now dead) if that failed or it was dead already. */
    private boolean send() {
        int n = pending;
        pending = 0;
        if (gone != null) {
            return false;
        }
        try {
            for (int done = 0; done < n; ) {
                done += requests.write(out, done, n - done);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            markGone("the channel to ssh is closed (" + e.getMessage() + ")" + sshMessage());
            return false;
        }
    }

    /** Reads exactly {@code len} bytes; false (channel now dead) at EOF or on an error. */
    private boolean receive(byte[] dst, int off, int len) {
        try {
            while (len > 0) {
                int n = answers.read(dst, off, len);
                if (n == 0) {
                    markGone("the connection closed" + sshMessage());
                    return false;
                }
                off += n;
                len -= n;
            }
            return true;
        } catch (IOException | RuntimeException e) {
            markGone("reading from ssh failed (" + e.getMessage() + ")" + sshMessage());
            return false;
        }
    }

    private String sshMessage() {
        String said = sshSays.text();
        return said.isEmpty() ? "" : "; ssh said: " + said;
    }

    @Override
    public String toString() {
        return "the remote server on " + host;
    }
}
