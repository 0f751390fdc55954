package io.rsyscall4j.fd;

import io.rsyscall4j.fd.internal.FdInternals;
import java.lang.System.Logger.Level;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The background thread that closes the fds of handles Java's GC collected: no fd outlives its
 * last handle for long, with no call to {@link FileDescriptorTask#runFdTableGc}.
 *
 * <p>rsyscall relies on CPython dropping a handle from its {@code WeakSet}s the moment it becomes
 * garbage, and closes the orphaned fds at the next {@code run_fd_table_gc}. In Java a handle's
 * {@link HandleState.HandleRef} is enqueued here after the GC finds the handle unreachable; one
 * JVM-wide daemon thread, {@value #THREAD_NAME}, takes each such state out of its table and then
 * closes the fds left without handles, through any live task of the table ({@link FDTable#runGc}),
 * batching them. {@link FileDescriptorTask#runFdTableGc} does not wait for this thread: it takes
 * its table's collected handles out of tracking itself.
 *
 * <p>The thread can be turned off for the whole JVM with the system property
 * {@value #PROPERTY}{@code =false}, read once, when the first handle is made. Then, as in rsyscall,
 * the fds of dropped handles are closed only by {@link FileDescriptorTask#runFdTableGc} (which a child
 * task's exec runs first): a program that wants to know when its garbage fds are
 * closed calls it at points of its choosing, and no thread of ours makes syscalls behind its back.
 * Handles are then registered with no queue at all (the GC still clears them, which is all
 * {@code runFdTableGc} looks at), so nothing piles up unread; a close that failed to reach its
 * task leaves its fd for the next {@code runFdTableGc} too.
 *
 * <p>Otherwise, on the class path and the module path, the thread lives as long as the JVM. Where
 * code is unloaded — an OSGi bundle stopped, refreshed or uninstalled — a thread that never ends
 * would pin fdcore's class loader, and every class it loaded, for the rest of the JVM's life:
 * {@link #stop} ends it (fdcore's DS component does when it is deactivated, as its bundle stops).
 * It comes back by itself when needed again: the next handle made, or the next close handed back
 * for another task, starts it. Handles collected while it is stopped wait in the queue until
 * then, and {@code runFdTableGc} closes their fds meanwhile.
 */
final class Reaper {
    /** The name of the reaper's thread. */
    static final String THREAD_NAME = FdInternals.REAPER_THREAD_NAME;
    /** {@code -Drsyscall4j.reaper=false}: no background closing; see the class comment. */
    static final String PROPERTY = "rsyscall4j.reaper";
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");
    /** Whether the background thread runs; read once from {@value #PROPERTY}. */
    static final boolean ENABLED = enabledByProperty();
    /** Where collected handles are enqueued; null (no queue) when the reaper is off. */
    static final ReferenceQueue<FileDescriptor> QUEUE = ENABLED ? new ReferenceQueue<>() : null;
    /** Tables whose GC was asked for by someone else than the queue (a close that hung up). */
    private static final Set<FDTable> REQUESTED = Collections.newSetFromMap(new IdentityHashMap<>());
    private static final Object LOCK = new Object();
    /**
     * The thread that is to run, or null before the first handle and once {@link #stop}ped.
     * Written under {@link #LOCK}; volatile so that making a handle checks it without the lock.
     */
    private static volatile Thread thread;

    static {
        if (!ENABLED) {
            LOG.log(Level.DEBUG, "{0}=false: fds of dropped handles are closed only by runFdTableGc", PROPERTY);
        }
    }

    private static boolean enabledByProperty() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        LOG.log(Level.WARNING, "rsyscall4j: system property {0} is \"{1}\", neither true nor false;"
                + " the fd reaper runs (the default)", PROPERTY, v);
        return true;
    }

    private Reaper() {}

    /** Wakes the reaper with nothing to collect: used to make it run {@link #REQUESTED} GCs. */
    private static final class Wakeup extends PhantomReference<FileDescriptor> {
        Wakeup() {
            super(null, QUEUE);
        }
    }

    /**
     * The queue a new handle's reference goes to, or null with the reaper off; (re)starts the
     * thread if it is not running.
     */
    static ReferenceQueue<FileDescriptor> queue() {
        if (thread == null && ENABLED) {
            start();
        }
        return QUEUE;
    }

    private static void start() {
        synchronized (LOCK) {
            if (thread == null) {
                Thread t = new Thread(Reaper::run, THREAD_NAME);
                t.setDaemon(true);
                // Not whatever loader the thread that happened to make a handle had: this thread
                // pins fdcore's loader anyway, and only that one.
                t.setContextClassLoader(Reaper.class.getClassLoader());
                thread = t;
                t.start();
                LOG.log(Level.DEBUG, "{0} started", THREAD_NAME);
            }
        }
    }

    /**
     * Stops the reaper's thread, which first closes the fds of the handles already queued, and
     * waits up to {@code timeout} for it to end. For containers that unload fdcore (see the
     * class comment); it starts again by itself when needed, so stopping it early only delays
     * background closing. Thread-safe; stopping a stopped reaper does nothing.
     *
     * @return whether the thread has ended
     */
    static boolean stop(Duration timeout) {
        Thread t;
        synchronized (LOCK) {
            t = thread;
            thread = null;
        }
        if (t == null) {
            return true;
        }
        t.interrupt();
        try {
            t.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    /**
     * Whether the reaper's thread runs now: it is started by the first handle made, and again by
     * the next one after a {@link #stop}; never with {@code -Drsyscall4j.reaper=false}.
     */
    static boolean isRunning() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    /**
     * Asks the reaper to run {@code table}'s GC soon; with the reaper off, the fds wait for the
     * next {@code runFdTableGc} of the table.
     */
    static void requestGc(FDTable table) {
        if (!ENABLED) {
            return;
        }
        if (thread == null) {
            start();
        }
        synchronized (REQUESTED) {
            REQUESTED.add(table);
        }
        new Wakeup().enqueue();
    }

    /** The most handles taken out of tracking under one hold of a table's lock. */
    private static final int BATCH = 256;

    /**
     * Takes {@code first} and everything queued after it out of tracking, locking
     * each table once per run of up to {@link #BATCH} handles rather than once per handle: after
     * a collection the queue holds thousands of handles, nearly all of one table.
     */
    private static void collected(Reference<? extends FileDescriptor> first, Set<FDTable> tables) {
        HandleState[] batch = new HandleState[BATCH];
        Reference<? extends FileDescriptor> r = first;
        while (r != null) {
            int n = 0;
            for (; r != null && n < BATCH; r = QUEUE.poll()) {
                if (r instanceof HandleState.HandleRef ref) {
                    batch[n++] = ref.state;
                }
            }
            int i = 0;
            while (i < n) {
                FDTable t = FDTable.lockTableOf(batch[i].member);
                try {
                    // Under t's lock no task can leave or join t, so this run stays in t.
                    do {
                        HandleState s = batch[i];
                        batch[i++] = null;
                        HandleRelease.Removal removal = HandleRelease.removeLocked(t, s, false);
                        if (removal == HandleRelease.Removal.CLOSE_LATER && t.markUnownedIfEmptyLocked(s.number)) {
                            tables.add(t);
                        }
                        HandleRelease.logCollected(s, removal);
                    } while (i < n && batch[i].member.fdTable == t);
                } finally {
                    t.lock.unlock();
                }
            }
        }
    }

    /**
     * The thread's loop, until {@link #stop} replaces it (an interrupt from anyone else is
     * ignored); then one last pass, so that what was collected before the stop is closed now and
     * not when, if ever, the thread comes back.
     */
    private static void run() {
        Thread me = Thread.currentThread();
        while (thread == me) {
            try {
                collectAndClose(QUEUE.remove());
            } catch (InterruptedException e) {
                // stop() interrupts; the loop's condition says whether it was that
            } catch (RuntimeException | Error e) {
                LOG.log(Level.WARNING, "rsyscall4j: fd reaper error", e);
            }
        }
        try {
            collectAndClose(QUEUE.poll());
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "rsyscall4j: fd reaper error", e);
        }
        LOG.log(Level.DEBUG, "{0} stopped", THREAD_NAME);
    }

    /** Takes {@code first} and what is queued after it out of tracking, then GCs the tables concerned. */
    private static void collectAndClose(Reference<? extends FileDescriptor> first) {
        Set<FDTable> tables = Collections.newSetFromMap(new IdentityHashMap<>());
        collected(first, tables);
        synchronized (REQUESTED) {
            tables.addAll(REQUESTED);
            REQUESTED.clear();
        }
        for (FDTable table : tables) {
            try {
                table.runGc();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "rsyscall4j: closing garbage fds of " + table + " failed", e);
            }
        }
    }
}
