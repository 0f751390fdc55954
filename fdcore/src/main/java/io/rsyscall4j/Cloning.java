package io.rsyscall4j;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.FdInternals;
import java.io.IOException;

/**
 * How {@link Task#clone} makes a {@link ChildTask}: the process is cloned by whatever runs the
 * parent ({@link Spawner} for the JVM, {@link CloneFromChild} for a child task,
 * {@link RemoteChildren} for a remote task), then the task gets its table, its stdio and, in new
 * namespaces, what they need.
 */
final class Cloning {
    private Cloning() {}

    /**
     * Makes a child of {@code parent}. Without {@link CloneFlag#FILES} the child's table is a copy
     * of the parent's as of the clone: the table object is made before the clone, so exactly the
     * handles that existed then can be inherited; with {@code closeUnclaimable} the copies of the
     * parent's other fds are closed at once, in a kernel table sized to what is left. Without it,
     * for a child that execs at once (exec closes what it does not claim), they stay, and those of
     * fds whose last handle goes meanwhile are not closed either.
     */
    static ChildTask child(Task parent, boolean closeUnclaimable, CloneFlag... flags) throws IOException {
        boolean files = Namespaces.files(flags);
        long namespaces = Namespaces.of(flags);
        if (namespaces != 0 && RemoteChildren.onAnotherHost(parent)) {
            throw RemoteChildren.noNamespaces(parent);
        }
        long creatorUid = -1;
        long creatorGid = -1;
        if ((namespaces & Linux.CLONE_NEWUSER) != 0) {
            creatorUid = parent.sysif().syscall(Sys.GETEUID);
            creatorGid = parent.sysif().syscall(Sys.GETEGID);
        }
        ClonedChild process;
        FDTable table = files ? parent.fdTable() : FdInternals.newFdTable(parent.pid(), parent.fdTable(), closeUnclaimable);
        try {
            if (parent instanceof ChildTask p) {
                process = p.cloneProcess(files, namespaces);
            } else if (parent instanceof RemoteTask remote) {
                process = parent.creatingFds(() -> RemoteChildren.clone(remote, files));
            } else {
                int keepBelow = closeUnclaimable && !files ? keepBelow(table) : 0;
                process = parent.creatingFds(() -> Spawner.cloneLocal(parent.sysif(), files, namespaces, keepBelow));
            }
        } catch (ErrnoException e) {
            throw namespaces == 0 ? e : Namespaces.refused(e, namespaces);
        }
        ChildTask child = ChildTask.of(process, table, parent, files);
        child.initStdio(stdio(parent.stdin(), child, files), stdio(parent.stdout(), child, files),
                stdio(parent.stderr(), child, files));
        if (creatorUid >= 0) {
            child.creator(creatorUid, creatorGid);
        }
        if (namespaces != 0 || (closeUnclaimable && !files)) {
            try {
                if (closeUnclaimable && !files) {
                    child.closeUnclaimableCopies();
                }
                if (namespaces != 0) {
                    child.newNamespacesMade(namespaces);
                }
            } catch (IOException | RuntimeException e) {
                try {
                    child.exit(1);
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
        return child;
    }

    /** One more than the highest fd number a new child with {@code table} may claim (at least 3: its stdio). */
    private static int keepBelow(FDTable table) {
        int[] claimable = FdInternals.claimableNumbers(table);
        return Math.max(3, claimable.length == 0 ? 0 : claimable[claimable.length - 1] + 1);
    }

    /** The child's handle for the parent's stdio fd, or null if the parent has none (any more). */
    private static FileDescriptor stdio(FileDescriptor parents, ChildTask child, boolean files) {
        if (parents == null || !parents.isValid()) {
            return null;
        }
        try {
            return files ? parents.forTask(child) : child.inheritFd(parents);
        } catch (RuntimeException e) {
            return null; // invalidated meanwhile
        }
    }
}
