package io.rsyscall4j.fd.internal;

import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.AddressSpace;
import io.rsyscall4j.fd.FDTable;
import java.lang.invoke.MethodHandles;
import java.time.Duration;

/**
 * fdcore's own way into the fd layer's machinery, for its packages {@code io.rsyscall4j} and
 * {@code io.rsyscall4j.osgi}: making the far identities ({@link FDTable}, {@link AddressSpace}),
 * scratch memory for syscalls with pointer arguments, and the reaper's lifecycle.
 *
 * <p>Not API: neither the module nor the bundle exports this package, so on the module path and in
 * OSGi no other code can reach it; on the class path nothing stops a caller, and nothing here stays
 * compatible for one. The fd package installs the implementation once, as {@code FDTable} is
 * initialised (the JDK's shared-secrets pattern), which keeps those constructors and hooks out of
 * the fd package's public surface.
 */
public final class FdInternals {
    /** The name of the fd reaper's thread. */
    public static final String REAPER_THREAD_NAME = "rsyscall4j-fd-reaper";

    /** What the fd package implements for this class. */
    public interface Access {
        /** A table copied from {@code parent}, or a fresh one if {@code parent} is null. */
        FDTable newFdTable(int creatorPid, FDTable parent, boolean closedWithParent);

        /** A new address space made for {@code creatorPid}. */
        AddressSpace newAddressSpace(int creatorPid);

        /** A scratch buffer of {@code space}, used through {@code sysif} until it is closed. */
        ScratchBuffer scratch(AddressSpace space, SyscallInterface sysif) throws SyscallException;

        /** The numbers a task of {@code table} owns or may claim, ascending. */
        int[] claimableNumbers(FDTable table);

        /** The kernel has made the copy that {@code table} stands for. */
        void kernelCopyMade(FDTable table);

        /** Stops the reaper's thread; whether it ended within {@code timeout}. */
        boolean stopReaper(Duration timeout);

        /** Whether the reaper's thread runs now. */
        boolean reaperRunning();
    }

    private static volatile Access access;

    private FdInternals() {}

    /**
     * Installs the fd package's implementation; only that package may, and only once.
     *
     * @throws IllegalStateException a second install, or one from outside {@code io.rsyscall4j.fd}
     */
    public static synchronized void install(Access implementation) {
        Class<?> c = implementation.getClass();
        if (access != null || c.getModule() != FdInternals.class.getModule()
                || !c.getPackageName().equals(FDTable.class.getPackageName())) {
            throw new IllegalStateException("fd internals are installed by io.rsyscall4j.fd, once: " + c.getName());
        }
        access = implementation;
    }

    private static Access access() {
        Access a = access;
        if (a == null) {
            try {
                MethodHandles.lookup().ensureInitialized(FDTable.class);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot initialise " + FDTable.class.getName(), e);
            }
            a = access;
        }
        return a;
    }

    /** A table no fd of which rsyscall4j owns yet, e.g. the JVM's own. */
    public static FDTable newFdTable(int creatorPid) {
        return access().newFdTable(creatorPid, null, false);
    }

    /**
     * A table copied from {@code parent}: made <em>before</em> the syscall that copies the kernel
     * table, so no handle made after the copy can be inherited into it. With
     * {@code closedWithParent} its unclaimed copies are closed with their last parent handle.
     */
    public static FDTable newFdTable(int creatorPid, FDTable parent, boolean closedWithParent) {
        return access().newFdTable(creatorPid, java.util.Objects.requireNonNull(parent, "parent"), closedWithParent);
    }

    /** A new address space, made for {@code creatorPid}. */
    public static AddressSpace newAddressSpace(int creatorPid) {
        return access().newAddressSpace(creatorPid);
    }

    /**
     * A {@value AddressSpace#SCRATCH_SIZE}-byte scratch buffer in {@code space}, used through
     * {@code sysif} (which must run in {@code space}) until {@link ScratchBuffer#close}.
     *
     * @throws SyscallException mapping a new buffer failed
     */
    public static ScratchBuffer scratch(AddressSpace space, SyscallInterface sysif) throws SyscallException {
        return access().scratch(space, sysif);
    }

    /** The numbers a task of {@code table} owns or may claim, ascending. */
    public static int[] claimableNumbers(FDTable table) {
        return access().claimableNumbers(table);
    }

    /** The kernel has made the copy that {@code table} stands for (the clone is done). */
    public static void kernelCopyMade(FDTable table) {
        access().kernelCopyMade(table);
    }

    /**
     * Stops the fd reaper's thread, which first closes the fds of the handles already queued, and
     * waits up to {@code timeout} for it to end; it starts again by itself when needed.
     *
     * @return whether the thread has ended
     */
    public static boolean stopReaper(Duration timeout) {
        return access().stopReaper(timeout);
    }

    /** Whether the fd reaper's thread runs now. */
    public static boolean reaperRunning() {
        return access().reaperRunning();
    }
}
