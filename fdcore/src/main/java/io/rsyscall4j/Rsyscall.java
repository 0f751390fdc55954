package io.rsyscall4j;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.AddressSpace;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.Poller;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Entry point: the JVM's own task.
 *
 * <p>The JVM is one process with one fd table, so there is one {@link FDTable} for it, and every
 * local task is in it — as rsyscall's threads share their process's table. {@code local("ffm")}
 * and {@code local("jna")} are two tasks of that table that make their syscalls through different
 * providers; a handle of one can be {@code forTask}'d or {@code move}d to the other. Fds 0, 1 and 2
 * are adopted once, by the first local task, and every local task gets its own handles to them,
 * which are never collected.
 */
public final class Rsyscall {
    /** The system property naming the provider {@link #local()} uses: {@code ffm} or {@code jna}. */
    public static final String PROVIDER_PROPERTY = "rsyscall4j.provider";
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j");
    /** Preference order when nothing is asked for: FFM is faster and needs no extra library. */
    private static final List<String> PREFERENCE = List.of("ffm", "jna");

    private static final Object LOCK = new Object();
    /** Every provider found, by name, tried or not. Guarded by {@link #LOCK}. */
    private static Map<String, SyscallInterface> providers;
    /** The providers tried so far: whether a getpid through them worked. Guarded by {@link #LOCK}. */
    private static final Map<String, Boolean> WORKS = new LinkedHashMap<>();
    private static final Map<String, Task> BY_PROVIDER = new LinkedHashMap<>();
    /** Guarded by {@link #LOCK}. */
    private static Jvm jvm;

    private Rsyscall() {}

    /** The JVM's table, address space, and the handles for 0, 1, 2 that keep those open forever. */
    private record Jvm(int pid, FDTable table, AddressSpace space, FileDescriptor[] stdio) {
    }

    /**
     * The local task over the provider named by {@code -Drsyscall4j.provider=ffm|jna}, else the best
     * available one: {@code ffm} if it loads on this JDK, else {@code jna}.
     *
     * @throws IllegalArgumentException the property names a provider that is not available
     * @throws IllegalStateException no provider is available at all
     */
    public static Task local() {
        String asked = System.getProperty(PROVIDER_PROPERTY);
        if (asked != null && !asked.isBlank()) {
            return local(asked.trim());
        }
        synchronized (LOCK) {
            // In order of preference, trying no more providers than needed: a JNA user's JVM need
            // not initialise the FFM provider (nor warn of its restricted methods).
            List<String> order = new ArrayList<>(PREFERENCE);
            order.addAll(providers().keySet());
            for (String name : order) {
                if (works(name)) {
                    return local(name);
                }
            }
        }
        throw new IllegalStateException("no rsyscall4j syscall provider is available: put rsyscall4j-provider-ffm"
                + " (JDK 22+) or rsyscall4j-provider-jna (with JNA) on the class or module path");
    }

    /**
     * The local task over the provider named {@code provider} ({@code "ffm"} or {@code "jna"}).
     * The same task every time for the same name.
     *
     * @throws IllegalArgumentException no such provider is available; the message lists those that are
     */
    public static Task local(String provider) {
        Objects.requireNonNull(provider, "provider");
        synchronized (LOCK) {
            Task task = BY_PROVIDER.get(provider);
            if (task == null) {
                if (!works(provider)) {
                    throw new IllegalArgumentException("no rsyscall4j syscall provider named \"" + provider
                            + "\"; available: " + availableProviders());
                }
                task = newLocalTask(providers().get(provider));
                BY_PROVIDER.put(provider, task);
            }
            return task;
        }
    }

    /**
     * A new local task — in the JVM's fd table and address space — making its syscalls through
     * {@code sysif}, which must make them in this process (e.g. a provider from an OSGi service
     * registry, or a delegating interface whose provider can be swapped at run time). Each call
     * makes a new task; the JVM's table remembers it weakly, so keep it while you use it.
     */
    public static Task local(SyscallInterface sysif) {
        Objects.requireNonNull(sysif, "sysif");
        synchronized (LOCK) {
            return newLocalTask(sysif);
        }
    }

    /**
     * Stops rsyscall4j's own threads where that is safe, for a container about to unload its code
     * (fdcore's OSGi component calls this as its bundle stops): a thread that never ends keeps the
     * class loader of the code it runs, and with it every class of fdcore, for the rest of the JVM.
     * Outside such a container there is no need: the threads are daemons.
     *
     * <p>The fd reaper (thread {@code rsyscall4j-fd-reaper}) is always stopped (after a last pass that closes what was already
     * collected). The thread that clones the JVM's child tasks is stopped only if no child it made
     * is alive, nor any program such a child exec'd, nor a clone queued: each of those gets
     * {@code SIGKILL} when that thread ends ({@code PR_SET_PDEATHSIG} follows the thread). The
     * thread that watches for processes to end is stopped only if no process is pending, and the
     * child janitor's workers only if none is busy. Each starts again by itself when next needed
     * — a handle made, a child cloned — so stopping too early only costs a thread start. Left
     * alone: the child janitor's cleaner thread, which holds no class loader of its own and ends
     * once fdcore's classes are unloaded. The memory kept for the next children's stacks is
     * unmapped.
     *
     * @param timeout how long to wait for each thread to end
     * @return whether no such thread is left running: false if children are alive (the spawner
     *     and watcher threads stay for them) or a thread did not end in time
     */
    public static boolean stopBackgroundThreads(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        boolean reaper = FdInternals.stopReaper(timeout);
        if (!reaper) {
            LOG.log(Level.WARNING, "rsyscall4j: {0} did not end within {1}", FdInternals.REAPER_THREAD_NAME, timeout);
        }
        boolean spawner = SpawnerThread.stopIfIdle(timeout);
        boolean watcher = ProcessWatcher.stopIfIdle(timeout);
        boolean janitor = ChildJanitor.stopIfIdle(timeout);
        boolean poller = Poller.stopIfIdle(timeout);
        try {
            SpareRegions.release();
        } catch (SyscallException | RuntimeException e) {
            LOG.log(Level.WARNING, "rsyscall4j: unmapping the memory kept for children failed", e);
        }
        // Threads kept for live children are the rule, not a fault: said at DEBUG only.
        LOG.log(Level.DEBUG, "background threads stopped: reaper {0}, spawner {1}, process watcher {2},"
                + " child janitor {3}, poller {4} (no: children are alive, threads wait, or it did not end in"
                + " time)", reaper, spawner, watcher, janitor, poller);
        return reaper && spawner && watcher && janitor && poller;
    }

    /** The names of the providers found (through {@link ServiceLoader}) that work on this JVM. */
    public static List<String> availableProviders() {
        synchronized (LOCK) {
            List<String> working = new ArrayList<>();
            for (String name : providers().keySet()) {
                if (works(name)) {
                    working.add(name);
                }
            }
            return List.copyOf(working);
        }
    }

    private static Task newLocalTask(SyscallInterface sysif) {
        if (jvm == null) {
            int pid = getpid(sysif);
            FDTable table = FdInternals.newFdTable(pid);
            AddressSpace space = FdInternals.newAddressSpace(pid);
            LocalTask first = new LocalTask(sysif, pid, table, space);
            FileDescriptor[] stdio = {first.makeFdHandle(0), first.makeFdHandle(1), first.makeFdHandle(2)};
            first.initStdio(stdio[0], stdio[1], stdio[2]);
            jvm = new Jvm(pid, table, space, stdio);
            LOG.log(Level.DEBUG, "local task {0}: adopted fds 0, 1, 2 into {1}", first, table);
            return first;
        }
        LocalTask task = new LocalTask(sysif, jvm.pid(), jvm.table(), jvm.space());
        task.initStdio(jvm.stdio()[0].forTask(task), jvm.stdio()[1].forTask(task), jvm.stdio()[2].forTask(task));
        LOG.log(Level.DEBUG, "local task {0} in {1}", task, jvm.table());
        return task;
    }

    private static int getpid(SyscallInterface sysif) {
        try {
            return (int) sysif.syscall(Sys.GETPID);
        } catch (SyscallException e) {
            throw new IllegalStateException("getpid through " + sysif + " failed: it cannot be the JVM's own task", e);
        }
    }

    private static Map<String, SyscallInterface> providers() {
        if (providers == null) {
            Map<String, SyscallInterface> found = new LinkedHashMap<>();
            List<ClassLoader> loaders = new ArrayList<>();
            loaders.add(Thread.currentThread().getContextClassLoader());
            loaders.add(Rsyscall.class.getClassLoader());
            for (ClassLoader loader : loaders) {
                Iterator<SyscallInterface> it = ServiceLoader.load(SyscallInterface.class, loader).iterator();
                // Bounded: the iterator skips a broken provider on a best-effort basis only.
                for (int attempts = 0; attempts < 64; attempts++) {
                    SyscallInterface sysif;
                    try {
                        if (!it.hasNext()) {
                            break;
                        }
                        sysif = it.next();
                    } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
                        // E.g. the FFM provider on a JDK before 22, or JNA missing: not available.
                        LOG.log(Level.DEBUG, "rsyscall4j: a syscall provider failed to load: {0}", e.toString());
                        continue;
                    }
                    found.putIfAbsent(sysif.provider(), sysif);
                }
            }
            providers = found;
        }
        return providers;
    }

    /** Whether the provider named {@code name} was found and makes syscalls on this JVM; tried once. */
    private static boolean works(String name) {
        Boolean works = WORKS.get(name);
        if (works == null) {
            SyscallInterface sysif = providers().get(name);
            works = false;
            if (sysif != null) {
                try {
                    sysif.syscall(Sys.GETPID);
                    works = true;
                } catch (LinkageError | RuntimeException | SyscallException e) {
                    // E.g. the FFM provider without native access, or JNA's native part missing.
                    LOG.log(Level.DEBUG, "rsyscall4j: syscall provider {0} does not work here: {1}", name, e.toString());
                }
            }
            WORKS.put(name, works);
        }
        return works;
    }
}
