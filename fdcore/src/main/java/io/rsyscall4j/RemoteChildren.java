package io.rsyscall4j;

import static io.rsyscall4j.Spawner.abandon;
import static io.rsyscall4j.Spawner.cloneFlags;
import static io.rsyscall4j.Spawner.freeQuietly;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;

/**
 * Children of a {@link RemoteTask}, on its host: made and reached exactly as the children of a
 * child task are ({@link CloneFromChild}), with the remote task in the place of the JVM.
 *
 * <ul>
 * <li>The remote task's address space is theirs ({@code CLONE_VM}): the child code
 *     ({@link ChildCode#load}, one copy there), each child's stack and {@link Mailbox} are mapped
 *     there through the connection, and every child's {@link ChildTransport#local()} is the
 *     remote task's {@link RemoteConnection}.
 * <li>The remote server runs the clone (a {@code clone} request returns in the new child into
 *     the trampoline on its prepared stack, as in a child's server), the mailbox's futex wake and
 *     wait, and the {@code waitid} that reaps a child; the remote task's fd table holds each
 *     child's pidfd, as the JVM's does for its own children. Waits there are sliced
 *     ({@link RemoteConnection#WAIT_SLICE_NANOS}: see {@link ChildTransport}).
 * <li>A child sets its parent-death signal and checks its parent, as any child does, so it dies
 *     with the remote server, which dies with its ssh session: nothing is left on the host when
 *     the connection ends, however it ends. The child's calls then raise
 *     {@link SyscallHangup} or {@link io.rsyscall4j.api.SyscallSendError}, and a program it
 *     exec'd is reported killed ({@code 128 + SIGKILL}): its status can no longer be learned.
 * <li>Refused, for now: new namespaces ({@link CloneFlag}'s {@code NEW*} values), which read
 *     {@code /proc} of the JVM's host to place a child in pid namespaces.
 * </ul>
 */
final class RemoteChildren {
    private RemoteChildren() {}

    /** Makes a child of {@code remote}, sharing its table if {@code files}. */
    static ClonedChild clone(RemoteTask remote, boolean files) throws SyscallException {
        RemoteConnection local = remote.connection();
        ChildCode code = ChildCode.load(local);
        ChildStack stack = ChildStack.allocate(local);
        ServerEventFd efd = Spawner.eventFdInJvmTable(local, stack, false);
        long flags = cloneFlags(files, 0);
        long pid;
        try {
            long sp = stack.prepare(code.trampoline(), remote.pid(), efd.server());
            pid = local.syscall(Sys.CLONE, flags, sp, stack.ptidAddress(), stack.ctidAddress(), 0);
        } catch (SyscallHangup e) {
            throw e; // the remote server is gone, and with it whatever the clone made
        } catch (ErrnoException e) {
            efd.closeQuietly(local, e);
            freeQuietly(stack, e);
            throw e.withSubject(Namespaces.describe(flags));
        } catch (SyscallException | RuntimeException e) {
            efd.closeQuietly(local, e);
            freeQuietly(stack, e);
            throw e;
        }
        ClonedChild child = Spawner.madeInJvmTable(local, null, (int) pid, stack, efd, files);
        try {
            if (!files) {
                local.syscall(Sys.CLOSE, efd.server()); // the child has its copy
            }
            long ppid = child.sysif().syscall(Sys.GETPPID);
            if (ppid != remote.pid()) {
                throw new SyscallHangup("clone: child " + pid + " of remote task " + remote.pid() + " found parent " + ppid);
            }
        } catch (SyscallException | RuntimeException e) {
            abandon(child, e);
            throw e;
        }
        return child;
    }

    /** Whether {@code task} runs on another host: a remote task, or a child of one. */
    static boolean onAnotherHost(Task task) {
        return !ChildTransport.inJvm(task instanceof ChildTask c ? c.process().sysif().local() : task.sysif());
    }

    /** The refusal of new namespaces for a child of {@code parent}, which runs on another host. */
    static UnsupportedOperationException noNamespaces(Task parent) {
        return new UnsupportedOperationException("can't clone child task " + parent.pid()
                + " into new namespaces: its host is another, and namespaces there are not supported yet");
    }
}
