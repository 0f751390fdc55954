package io.rsyscall4j.cli;

import io.rsyscall4j.Task;
import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The launcher's fds made for the program, closed at the end, and the Unix socket files it
 * bound, removed at the end if each is still the file the bind made.
 */
final class Opened implements AutoCloseable {
    final List<FileDescriptor> fds = new ArrayList<>();
    final List<SocketFile> socketFiles = new ArrayList<>();
    private final Task local;
    private final Trace tr;

    Opened(Task local, Trace tr) {
        this.local = local;
        this.tr = tr;
    }

    /**
     * Truncates the files opened for writing ({@code file:PATH:w}), once every {@code --fd}
     * opened: a refused one leaves every file as it was. Files that cannot be truncated
     * (a FIFO, a terminal, {@code /dev/null}) are left as {@code O_TRUNC} leaves them.
     */
    void truncateWhenAllOpen(Task local, List<FdRequest> requests) throws IOException {
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i).spec() instanceof FdSpec.File f && f.mode() == FdSpec.Mode.WRITE) {
                try (Borrowed b = fds.get(i).borrow(local)) {
                    local.sysif().syscall(Sys.FTRUNCATE, b.number(), 0);
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.EINVAL) {
                        throw new CommandFailure("--fd " + RawText.show(requests.get(i).text()) + ": "
                                + e.withSubject(RawText.show(f.path())).getMessage(), 1, e);
                    }
                }
            }
        }
    }

    void add(FdRequest r, FileDescriptor fd) throws IOException {
        fds.add(fd);
        if (r.spec() instanceof FdSpec.Socket s && s.path() != null && !s.isAbstract() && !s.kind().connect()) {
            socketFiles.add(SocketFile.boundAt(local, s.path()));
        }
    }

    /** Closes the launcher's fds (once the program has its own); socket files stay until {@link #close}. */
    void closeFds() throws IOException {
        IOException failure = null;
        for (FileDescriptor fd : fds) {
            if (fd.isValid()) {
                int n = fd.number();
                try {
                    fd.invalidate();
                    tr.event("fd %d of the JVM closed", n);
                } catch (IOException e) {
                    failure = failure == null ? e : failure;
                }
            }
        }
        fds.clear();
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() throws IOException {
        closeFds();
        for (SocketFile f : socketFiles) {
            if (f.removeIfStillOurs(local)) {
                tr.event("removed socket file %s", RawText.show(f.path()));
            } else {
                tr.event("left %s alone: it is no longer the socket file the launcher bound", RawText.show(f.path()));
            }
        }
        socketFiles.clear();
    }
}
