package io.rsyscall4j.fd.internal;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One daemon thread in {@code epoll_wait} over an epoll set in the JVM's table, with an eventfd
 * that stops it and a page of memory for the kernel's structs: the machinery the process watcher
 * and the virtual-thread poller share. Once stopped it closes its fds and unmaps its page.
 *
 * <p>Registrations ({@link #ctl}) share one event struct in the page: their callers serialize them.
 */
public final class EpollThread {
    private static final System.Logger LOG = System.getLogger(EpollThread.class.getName());
    private static final int MAX_EVENTS = 256;
    /** The page: the events {@code epoll_wait} fills, then one event for registrations, then 8 bytes for the eventfd. */
    private static final int CTL_EVENT = MAX_EVENTS * Linux.EPOLL_EVENT_SIZE;
    private static final int COUNTER = CTL_EVENT + 16;
    private static final int PAGE = Linux.PAGE_SIZE;
    /** The data of the stop eventfd's event; no registration may use it. */
    private static final long STOP = Long.MIN_VALUE;

    /** What a batch of events fired: {@code data[0..count)} of the registrations, on the thread. */
    @FunctionalInterface
    public interface Events {
        void fired(long[] data, int count);
    }

    private final SyscallInterface local;
    private final String what;
    private final int epfd;
    private final int stopFd;
    private final long page;
    private final Thread thread;

    private EpollThread(SyscallInterface local, String what, String threadName, Events handler, int epfd,
            int stopFd, long page) {
        this.local = local;
        this.what = what;
        this.epfd = epfd;
        this.stopFd = stopFd;
        this.page = page;
        this.thread = new Thread(() -> run(handler), threadName);
        thread.setDaemon(true);
        thread.setContextClassLoader(null);
    }

    /** Makes the epoll set, the stop eventfd and the page, and starts the thread {@code threadName}. */
    public static EpollThread start(SyscallInterface local, String what, String threadName, Events handler)
            throws SyscallException {
        int epfd = (int) local.syscall(Sys.EPOLL_CREATE1, Linux.O_CLOEXEC);
        int stopFd = -1;
        long page = 0;
        try {
            stopFd = (int) local.syscall(Sys.EVENTFD2, 0, Linux.O_CLOEXEC);
            page = local.syscall(Sys.MMAP, 0, PAGE, Linux.PROT_READ | Linux.PROT_WRITE,
                    Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS, -1, 0);
            EpollThread t = new EpollThread(local, what, threadName, handler, epfd, stopFd, page);
            t.ctl(Linux.EPOLL_CTL_ADD, stopFd, Linux.POLLIN, STOP);
            t.thread.start();
            return t;
        } catch (SyscallException | RuntimeException | Error e) {
            closeQuietly(local, stopFd);
            closeQuietly(local, epfd);
            if (page != 0) {
                try {
                    local.syscall(Sys.MUNMAP, page, PAGE);
                } catch (SyscallException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** The thread. */
    public Thread thread() {
        return thread;
    }

    /** {@code epoll_ctl(op, fd, {events, data})}; callers serialize their calls. */
    public void ctl(int op, int fd, int events, long data) throws SyscallException {
        byte[] event = ByteBuffer.allocate(Linux.EPOLL_EVENT_SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(events)
                .putLong(data).array();
        local.writeMemory(page + CTL_EVENT, event, 0, Linux.EPOLL_EVENT_SIZE);
        local.syscall(Sys.EPOLL_CTL, epfd, op, fd, page + CTL_EVENT);
    }

    /** Takes {@code fd} out of the set. */
    public void delete(int fd) throws SyscallException {
        local.syscall(Sys.EPOLL_CTL, epfd, Linux.EPOLL_CTL_DEL, fd, 0);
    }

    /** Wakes the thread to stop after its current batch. */
    public void requestStop() {
        byte[] one = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1).array();
        try {
            local.writeMemory(page + COUNTER, one, 0, 8);
            local.syscall(Sys.WRITE, stopFd, page + COUNTER, 8);
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "rsyscall4j: can't wake the " + what + " to stop it", e);
        }
    }

    private void run(Events handler) {
        byte[] events = new byte[MAX_EVENTS * Linux.EPOLL_EVENT_SIZE];
        ByteBuffer buf = ByteBuffer.wrap(events).order(ByteOrder.LITTLE_ENDIAN);
        long[] data = new long[MAX_EVENTS];
        while (true) {
            int n;
            try {
                n = (int) local.syscall(Sys.EPOLL_WAIT, epfd, page, MAX_EVENTS, -1);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EINTR) {
                    continue;
                }
                LOG.log(System.Logger.Level.ERROR, "rsyscall4j: the " + what + " failed; it stops", e);
                return;
            } catch (SyscallException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "rsyscall4j: the " + what + " failed; it stops", e);
                return;
            }
            local.readMemory(page, events, 0, n * Linux.EPOLL_EVENT_SIZE);
            boolean stop = false;
            int count = 0;
            for (int i = 0; i < n; i++) {
                long d = buf.getLong(i * Linux.EPOLL_EVENT_SIZE + 4);
                if (d == STOP) {
                    stop = true;
                } else {
                    data[count++] = d;
                }
            }
            if (count > 0) {
                handler.fired(data, count);
            }
            if (stop) {
                closeQuietly(local, stopFd);
                closeQuietly(local, epfd);
                try {
                    local.syscall(Sys.MUNMAP, page, PAGE);
                } catch (SyscallException | RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "unmapping the " + what + "'s page", e);
                }
                return;
            }
        }
    }

    private static void closeQuietly(SyscallInterface local, int fd) {
        if (fd < 0) {
            return;
        }
        try {
            local.syscall(Sys.CLOSE, fd);
        } catch (SyscallException | RuntimeException e) {
            // the number is released whatever close says
        }
    }
}
