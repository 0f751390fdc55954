package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.MSG_CMSG_CLOEXEC;
import static io.rsyscall4j.api.Linux.MSG_CTRUNC;
import static io.rsyscall4j.api.Linux.MSG_NOSIGNAL;
import static io.rsyscall4j.api.Linux.SCM_MAX_FD;
import static io.rsyscall4j.api.Linux.SCM_RIGHTS;
import static io.rsyscall4j.api.Linux.SOL_SOCKET;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.FileDescriptorTask;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * {@code sendmsg}/{@code recvmsg} with {@code SCM_RIGHTS}. The {@code msghdr}, its one
 * {@code iovec}, the control data and the data sit in one scratch buffer of the task's address
 * space, laid out for x86_64: msghdr at 0 (56 bytes), iovec at 56 (16), control at 72, data after.
 */
final class FdPassing {
    private static final int MSGHDR = 56;
    private static final int IOV = 56;
    private static final int CONTROL = 72;
    private static final int CMSG_HDR = 16;

    private FdPassing() {}

    static int send(FileDescriptor socket, byte[] data, List<FileDescriptor> fds) throws IOException {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(fds, "fds");
        if (fds.size() > SCM_MAX_FD) {
            throw new IllegalArgumentException("sendmsg(" + socket.number() + "): " + fds.size()
                    + " fds; one message carries at most " + SCM_MAX_FD + " (SCM_MAX_FD)");
        }
        if (data.length == 0) {
            throw new IllegalArgumentException("sendmsg(" + socket.number() + "): no data; the fds go with at least one byte");
        }
        FileDescriptorTask t = socket.task();
        List<Borrowed> borrows = new ArrayList<>(fds.size());
        try (Borrowed s = socket.borrow(t)) {
            for (FileDescriptor fd : fds) {
                borrows.add(fd.borrow(t));
            }
            int control = fds.isEmpty() ? 0 : cmsgSpace(4 * fds.size());
            int dataAt = CONTROL + control;
            boolean parked = Parking.await(t, s.number(), Linux.POLLOUT);
            try (ScratchBuffer buf = FdInternals.scratch(t.addressSpace(), t.sysif())) {
                // Writable promises some room, not 64 KiB: a virtual thread sends a page at most.
                int len = Math.min(data.length, Math.min(buf.capacity() - dataAt, parked ? Linux.PAGE_SIZE : Integer.MAX_VALUE));
                long base = buf.address();
                byte[] m = new byte[dataAt + len];
                putHeader(m, base, control, dataAt, len);
                if (control != 0) {
                    putLong(m, CONTROL, CMSG_HDR + 4L * fds.size());
                    Sockets.putInt(m, CONTROL + 8, SOL_SOCKET);
                    Sockets.putInt(m, CONTROL + 12, SCM_RIGHTS);
                    for (int i = 0; i < borrows.size(); i++) {
                        Sockets.putInt(m, CONTROL + CMSG_HDR + 4 * i, borrows.get(i).number());
                    }
                }
                System.arraycopy(data, 0, m, dataAt, len);
                buf.write(0, m, 0, m.length);
                return (int) t.sysif().syscall(Sys.SENDMSG, s.number(), base, MSG_NOSIGNAL);
            } catch (ErrnoException e) {
                throw e.withSubject(socket.number() + ", " + fds.size() + " fds " + numbers(borrows));
            }
        } finally {
            for (Borrowed b : borrows) {
                b.close();
            }
        }
    }

    /** A scratch buffer, once the borrowed socket is readable (a virtual thread parks till then). */
    private static ScratchBuffer scratchWhenReady(Task task, Borrowed socket) throws IOException {
        Parking.await(task, socket.number(), Linux.POLLIN);
        return FdInternals.scratch(task.addressSpace(), task.sysif());
    }

    static ReceivedMessage receive(Task task, FileDescriptor socket, int maxBytes, int maxFds) throws IOException {
        if (maxFds < 0 || maxFds > SCM_MAX_FD) {
            throw new IllegalArgumentException("recvmsg(" + socket.number() + "): room for " + maxFds
                    + " fds asked; one message carries 0 to " + SCM_MAX_FD + " (SCM_MAX_FD)");
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("recvmsg(" + socket.number() + "): negative size " + maxBytes);
        }
        if (!task.canMakeFds()) {
            task.checkCanMakeFds("receive fds");
        }
        int control = maxFds == 0 ? 0 : cmsgSpace(4 * maxFds);
        int dataAt = CONTROL + control;
        int got;
        int flags;
        int controlLen;
        byte[] m;
        FDTable madeIn = task.fdTable();
        try (Borrowed s = socket.borrow(task); ScratchBuffer buf = scratchWhenReady(task, s)) {
            int len = Math.min(maxBytes, buf.capacity() - dataAt);
            long base = buf.address();
            byte[] h = new byte[CONTROL];
            putHeader(h, base, control, dataAt, len);
            buf.write(0, h, 0, h.length);
            got = (int) task.sysif().syscall(Sys.RECVMSG, s.number(), base, MSG_CMSG_CLOEXEC);
            m = new byte[dataAt + got];
            buf.read(0, m, 0, m.length);
            controlLen = (int) Math.min(longAt(m, 40), control);
            flags = Sockets.intAt(m, 48);
        } catch (ErrnoException e) {
            throw e.withSubject(Integer.toString(socket.number()));
        }
        byte[] data = Arrays.copyOfRange(m, dataAt, dataAt + got);
        List<FileDescriptor> fds = List.of(task.adopt(madeIn, "receive fds", null, received(m, controlLen)));
        if ((flags & MSG_CTRUNC) != 0) {
            IOException closing = closeAll(fds);
            FdsTruncatedException e = new FdsTruncatedException("recvmsg(" + socket.number() + "): the message carried more fds"
                    + " than the room for " + maxFds + " (MSG_CTRUNC); the " + fds.size() + " that arrived are closed", data);
            if (closing != null) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        return new ReceivedMessage(data, fds);
    }

    /** The fd numbers of every {@code SCM_RIGHTS} message in the control data {@code m[CONTROL, CONTROL+len)}. */
    private static int[] received(byte[] m, int len) {
        int[] out = new int[0];
        int p = CONTROL;
        int end = CONTROL + len;
        while (p + CMSG_HDR <= end) {
            int cmsgLen = (int) longAt(m, p);
            if (cmsgLen < CMSG_HDR || p + cmsgLen > end) {
                break;
            }
            if (Sockets.intAt(m, p + 8) == SOL_SOCKET && Sockets.intAt(m, p + 12) == SCM_RIGHTS) {
                int n = (cmsgLen - CMSG_HDR) / 4;
                int old = out.length;
                out = Arrays.copyOf(out, old + n);
                for (int i = 0; i < n; i++) {
                    out[old + i] = Sockets.intAt(m, p + CMSG_HDR + 4 * i);
                }
            }
            p += align8(cmsgLen);
        }
        return out;
    }

    private static IOException closeAll(List<FileDescriptor> fds) {
        IOException first = null;
        for (FileDescriptor fd : fds) {
            try {
                fd.invalidate();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        return first;
    }

    private static String numbers(List<Borrowed> borrows) {
        StringBuilder sb = new StringBuilder("[");
        for (Borrowed b : borrows) {
            sb.append(sb.length() > 1 ? ", " : "").append(b.number());
        }
        return sb.append(']').toString();
    }

    private static int cmsgSpace(int dataLen) {
        return CMSG_HDR + align8(dataLen);
    }

    /**
     * Fills {@code m}'s msghdr and iovec for a buffer at {@code base}: one iovec of {@code len}
     * bytes at {@code dataAt}, and {@code control} bytes of control data (none if 0).
     */
    private static void putHeader(byte[] m, long base, int control, int dataAt, int len) {
        putLong(m, 16, base + IOV); // msg_iov
        putLong(m, 24, 1); // msg_iovlen
        putLong(m, 32, control == 0 ? 0 : base + CONTROL); // msg_control
        putLong(m, 40, control); // msg_controllen
        putLong(m, IOV, base + dataAt); // iov_base
        putLong(m, IOV + 8, len); // iov_len
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    private static void putLong(byte[] b, int at, long v) {
        Sockets.putInt(b, at, (int) v);
        Sockets.putInt(b, at + 4, (int) (v >>> 32));
    }

    private static long longAt(byte[] b, int at) {
        return (Sockets.intAt(b, at) & 0xffffffffL) | (long) Sockets.intAt(b, at + 4) << 32;
    }
}
