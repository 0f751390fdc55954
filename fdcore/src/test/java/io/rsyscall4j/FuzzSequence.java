package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FDTableMismatchException;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.InvalidHandleException;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One sequence of the stateful fuzz ({@link StatefulFuzzTest}): a model of tasks, fd tables and
 * handles, driven by a seeded generator across the local task, {@code FILES} children and
 * children with their own tables (nested), and checked against the kernel after every step.
 *
 * <p>The model knows, per fd table, which live handles own each number and which file (a distinct
 * temp file per open, identified by its path) the number refers to; which handles a table may
 * inherit (those live in the parent's table at the clone, transitively, as long as the table has
 * not closed its copy); and the copies a clone made that no handle claimed yet. After every step
 * each live handle's number must still refer, in {@code /proc/<pid>/fd} of its task's process, to
 * the model's file. Dropped handles make some outcomes ambiguous until the next GC step (Java's GC
 * and the reaper run when they like); the model accepts either outcome then, and resolves them at
 * each GC step. Steps that change tables (clone without FILES, unshare, exit) GC first.
 *
 * <p>Not thread-safe; one sequence per thread.
 */
final class FuzzSequence {
    static final int MAX_CHILDREN = 5;
    static final int MAX_HANDLES = 40;
    static final Duration CALL_DEADLINE = Duration.ofSeconds(1);
    static final Duration CLEANUP_DEADLINE = Duration.ofSeconds(10);
    static final int KILL_THREADS = 2;

    enum Op { OPEN, FOR_TASK, MOVE, INHERIT, INVALIDATE, CLOSE, DROP, GC, UNSHARE, CLONE, EXIT, KILL }

    private final long seed;
    private final Random rnd;
    private final Path dir;
    private final Task local;
    private final int steps;
    private final List<String> trace = new ArrayList<>();
    private final List<MTask> tasks = new ArrayList<>();
    private final List<MHandle> live = new ArrayList<>();
    private final List<PhantomReference<FileDescriptor>> dropped = new ArrayList<>();
    private final Map<Op, Integer> counts = new EnumMap<>(Op.class);
    private final Map<Op, Long> nanos = new EnumMap<>(Op.class);
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private final Map<Integer, String> objectsBefore;
    private final Set<Integer> childPids = new HashSet<>();
    /**
     * Files whose open hung up (sent; the child died before answering): the fd may have been
     * made and its number lost with the answer, so it may stay open where the open ran.
     */
    private final Set<String> leftByHangups = new HashSet<>();
    /** Ids of handles dropped since the last GC step: their states stay valid until the GC collects them. */
    private final Set<Integer> droppedIds = new HashSet<>();
    /** Ids of handles of dead tasks: their states stay valid (the task left every table but its own). */
    private final Set<Integer> deadIds = new HashSet<>();
    private int nextFile;
    private int nextHandle;
    private int nextTable;
    private int nextTask;

    /** One fd table of the model, and the library's object for it. */
    private final class MTable {
        final int id = ++nextTable;
        final FDTable real;
        /** The table this one was copied from (a clone without FILES, or unshareFiles), or null. */
        final MTable copiedFrom;
        /** Number -> what it holds, for numbers handles own (or owned, until collected). */
        final Map<Integer, Cell> cells = new TreeMap<>();
        /** Handle id -> number: the handles of ancestor tables this table may inherit. */
        final Map<Integer, Integer> inheritable = new HashMap<>();
        /** Handle ids that were inheritable until this table closed their copy: no longer inheritable. */
        final Set<Integer> copyClosed = new HashSet<>();
        /** Number -> file: copies a clone made that no handle of this table claimed (yet). */
        final Map<Integer, String> unclaimed = new TreeMap<>();

        MTable(FDTable real, MTable copiedFrom) {
            this.real = real;
            this.copiedFrom = copiedFrom;
        }

        boolean isCopyOf(MTable t) {
            for (MTable a = copiedFrom; a != null; a = a.copiedFrom) {
                if (a == t) {
                    return true;
                }
            }
            return false;
        }

        List<MTask> aliveTasks() {
            List<MTask> out = new ArrayList<>();
            for (MTask t : tasks) {
                if (t.table == this) {
                    out.add(t);
                }
            }
            return out;
        }

        @Override
        public String toString() {
            return "T" + id;
        }
    }

    private static final class Cell {
        final String file;
        final List<MHandle> live = new ArrayList<>();
        /** The tasks of dropped handles the GC may not have collected yet. */
        final List<MTask> pendingOwners = new ArrayList<>();
        /** A table was copied from this one while the number had handles: its close closes unclaimed copies too. */
        boolean copied;

        Cell(String file) {
            this.file = file;
        }
    }

    private final class MTask {
        final int id = ++nextTask;
        final Task task;
        final MTask parent;
        final boolean files;
        final List<MTask> children = new ArrayList<>();
        MTable table;

        MTask(Task task, MTable table, MTask parent, boolean files) {
            this.task = task;
            this.table = table;
            this.parent = parent;
            this.files = files;
        }

        int pid() {
            return task.pid();
        }

        @Override
        public String toString() {
            return (parent == null ? "local" : "child" + id + (files ? "[FILES of " : "[own table, of ") + parent.name() + "]")
                    + "/" + table;
        }

        String name() {
            return parent == null ? "local" : "child" + id;
        }
    }

    private record MHandle(int id, FileDescriptor fd, MTask task, String file) {
        int number() {
            return fd.number();
        }

        @Override
        public String toString() {
            return "h" + id + "(fd " + fd.number() + " of " + task.name() + ", " + Path.of(file).getFileName() + ")";
        }
    }

    FuzzSequence(long seed, Path dir, Task local, int steps) {
        this.seed = seed;
        this.rnd = new Random(seed);
        this.dir = dir;
        this.local = local;
        this.steps = steps;
        this.objectsBefore = ChildTestSupport.kernelObjectFds();
        MTable jvm = new MTable(local.fdTable(), null);
        tasks.add(new MTask(local, jvm, null, true));
    }

    /** Runs the sequence; on failure the error carries the seed and the whole step trace. */
    Map<Op, Integer> run() {
        int i = 0;
        try {
            for (i = 0; i < steps; i++) {
                step(i);
                checkLiveHandles("after step " + i);
            }
            finish();
            return counts;
        } catch (Throwable e) {
            StringBuilder sb = new StringBuilder("stateful fuzz failed at step " + i + " of seed " + seed + " (provider "
                    + local.sysif().provider() + "); replay with -Drsyscall4j.fuzz.seed=" + seed
                    + " -Drsyscall4j.fuzz.steps=" + steps + "\nsteps:\n");
            for (int k = 0; k < trace.size(); k++) {
                sb.append(String.format("%6d  %s%n", k, trace.get(k)));
            }
            sb.append("state: ").append(describeState());
            for (MTask t : tasks) {
                if (t.task instanceof ChildTask c && c.state() != ChildTask.State.ALIVE) {
                    try {
                        sb.append("\n  ").append(t.name()).append(" pid ").append(c.pid()).append(" is ").append(c.state())
                                .append(", exit status ").append(c.process().waitFor());
                    } catch (Exception ignored) {
                        sb.append("\n  ").append(t.name()).append(": ").append(ignored);
                    }
                }
            }
            AssertionError err = new AssertionError(sb.toString(), e);
            try {
                killAll();
            } catch (Throwable cleanup) {
                err.addSuppressed(cleanup);
            }
            throw err;
        }
    }

    // ---- the generator ----

    private void step(int i) throws Exception {
        List<MTask> children = children();
        int handles = live.size();
        Map<Op, Integer> weights = new LinkedHashMap<>();
        weights.put(Op.OPEN, handles >= MAX_HANDLES ? 2 : 20);
        weights.put(Op.FOR_TASK, handles == 0 ? 0 : handles >= MAX_HANDLES ? 2 : 12);
        weights.put(Op.MOVE, handles == 0 ? 0 : 8);
        weights.put(Op.INHERIT, handles == 0 || children.isEmpty() ? 0 : 9);
        weights.put(Op.INVALIDATE, handles == 0 ? 0 : 12);
        weights.put(Op.CLOSE, handles == 0 ? 0 : 8);
        weights.put(Op.DROP, handles == 0 ? 0 : 9);
        weights.put(Op.GC, 2);
        weights.put(Op.UNSHARE, children.isEmpty() ? 0 : 2);
        weights.put(Op.CLONE, children.size() >= MAX_CHILDREN ? 0 : 3);
        weights.put(Op.EXIT, children.isEmpty() ? 0 : 2);
        weights.put(Op.KILL, children.isEmpty() ? 0 : 2);
        int total = weights.values().stream().mapToInt(Integer::intValue).sum();
        int r = rnd.nextInt(total);
        Op op = null;
        for (Map.Entry<Op, Integer> w : weights.entrySet()) {
            r -= w.getValue();
            if (r < 0) {
                op = w.getKey();
                break;
            }
        }
        counts.merge(op, 1, Integer::sum);
        long t0 = System.nanoTime();
        switch (op) {
            case OPEN -> open();
            case FOR_TASK -> forTask();
            case MOVE -> move();
            case INHERIT -> inherit();
            case INVALIDATE -> invalidate();
            case CLOSE -> close();
            case DROP -> drop();
            case GC -> gc("gc");
            case UNSHARE -> unshare();
            case CLONE -> cloneChild();
            case EXIT -> exit();
            case KILL -> kill();
        }
        nanos.merge(op, System.nanoTime() - t0, Long::sum);
    }

    /** Time spent per kind of step, in nanoseconds. */
    Map<Op, Long> nanos() {
        return nanos;
    }

    /** How often each notable outcome happened (e.g. an inherit refused because the copy was closed). */
    Map<String, Integer> outcomes() {
        return outcomes;
    }

    private void outcome(String what) {
        outcomes.merge(what, 1, Integer::sum);
    }

    private List<MTask> children() {
        List<MTask> out = new ArrayList<>();
        for (MTask t : tasks) {
            if (t.parent != null) {
                out.add(t);
            }
        }
        return out;
    }

    private MTask pickTask() {
        return tasks.get(rnd.nextInt(tasks.size()));
    }

    private MHandle pickHandle() {
        return live.get(rnd.nextInt(live.size()));
    }

    private void log(String s) {
        trace.add(s);
    }

    // ---- the operations ----

    private void open() throws IOException {
        MTask t = pickTask();
        Path p = dir.resolve("f" + (nextFile++));
        Files.writeString(p, p.getFileName().toString());
        String file = p.toRealPath().toString();
        FileDescriptor fd = t.task.open(file, O_RDONLY);
        int n = fd.number();
        log("open " + p.getFileName() + " in " + t + " -> fd " + n);
        Cell c = t.table.cells.get(n);
        if (c != null) {
            check(c.live.isEmpty(), "the kernel handed out fd " + n + " in " + t.table + ", which live handles " + c.live
                    + " own (" + c.file + "): an owned fd was closed");
            // Only dropped handles owned it: the reaper closed it meanwhile.
            closed(t.table, n, false);
        }
        if (t.table.unclaimed.containsKey(n)) {
            // Closed meanwhile only if the GC collected a dropped handle it was copied from, and
            // that closed the fd's last handle: then the library closed the copy too.
            check(droppedOnly(t.table, n), "the kernel handed out fd " + n + " in " + t.table
                    + ", which holds an inherited copy of " + t.table.unclaimed.get(n) + ": something closed it");
            t.table.unclaimed.remove(n);
            forgetCopy(t.table, n);
            outcome("copy closed with a collected handle");
        }
        addHandle(t, fd, file);
    }

    private MHandle addHandle(MTask t, FileDescriptor fd, String file) {
        check(fd.task() == t.task, "the handle is for " + t);
        MHandle h = new MHandle(++nextHandle, fd, t, file);
        Cell c = t.table.cells.computeIfAbsent(fd.number(), k -> new Cell(file));
        check(c.file.equals(file), "model: fd " + fd.number() + " of " + t.table + " holds " + c.file + ", not " + file);
        c.live.add(h);
        live.add(h);
        return h;
    }

    private void removeHandle(MHandle h) {
        live.remove(h);
        Cell c = h.task.table.cells.get(h.number());
        check(c != null && c.live.remove(h), "model: " + h + " was tracked in " + h.task.table);
    }

    private void forTask() {
        MHandle h = pickHandle();
        MTask t = pickTask();
        if (t.table == h.task.table) {
            FileDescriptor copy = h.fd().forTask(t.task);
            log("forTask " + h + " -> " + t);
            check(copy.number() == h.number(), "forTask keeps the number");
            addHandle(t, copy, h.file());
        } else {
            expectMismatch(() -> h.fd().forTask(t.task), "forTask " + h + " into " + t);
        }
    }

    private void move() {
        MHandle h = pickHandle();
        MTask t = pickTask();
        if (t.table == h.task.table) {
            FileDescriptor moved = h.fd().move(t.task);
            log("move " + h + " -> " + t);
            check(!h.fd().isValid(), "move invalidates the source");
            check(moved.number() == h.number(), "move keeps the number");
            removeHandle(h);
            addHandle(t, moved, h.file());
            expectInvalid(h.fd());
        } else {
            expectMismatch(() -> h.fd().move(t.task), "move " + h + " into " + t);
            check(h.fd().isValid(), "a refused move leaves the handle valid");
        }
    }

    private void inherit() {
        List<MTask> children = children();
        MTask c = children.get(rnd.nextInt(children.size()));
        MHandle h = null;
        if (rnd.nextInt(10) < 8) {
            // Mostly handles this table may inherit, or could until it closed their copy.
            List<MHandle> candidates = new ArrayList<>();
            for (MHandle x : live) {
                if (c.table.inheritable.containsKey(x.id()) || c.table.copyClosed.contains(x.id())) {
                    candidates.add(x);
                }
            }
            if (!candidates.isEmpty()) {
                h = candidates.get(rnd.nextInt(candidates.size()));
            }
        }
        if (h == null) {
            h = pickHandle();
        }
        MHandle from = h;
        int n = h.number();
        String what = "inherit " + h + " into " + c;
        if (h.task.table == c.table) {
            FileDescriptor got = c.task.inheritFd(h.fd());
            log(what + " (same table)");
            addHandle(c, got, h.file());
            return;
        }
        if (c.table.copyClosed.contains(h.id())) {
            expectMismatch(() -> c.task.inheritFd(from.fd()), what + " (the table closed its copy)");
            outcome("inherit refused, copy closed");
            return;
        }
        if (!c.table.inheritable.containsKey(h.id())) {
            expectMismatch(() -> c.task.inheritFd(from.fd()), what + " (not inheritable)");
            outcome("inherit refused, not inheritable");
            return;
        }
        check(c.table.inheritable.get(h.id()) == n, "model: inheritable number");
        Cell cell = c.table.cells.get(n);
        boolean copyOpen = (cell != null && !cell.live.isEmpty()) || c.table.unclaimed.containsKey(n);
        boolean ambiguous = !copyOpen && cell != null; // only dropped handles own the copy: maybe closed already
        FileDescriptor got;
        try {
            got = c.task.inheritFd(h.fd());
        } catch (FDTableMismatchException e) {
            log(what + " -> refused: " + e.getMessage());
            outcome("inherit refused, copy closed by GC");
            check(!copyOpen, what + " was refused though the copy is open: " + e.getMessage());
            if (ambiguous) {
                closed(c.table, n, false);
            }
            return;
        }
        log(what + (c.table.unclaimed.containsKey(n) ? " (claims the clone's copy)" : " (joins)"));
        outcome(c.table.unclaimed.containsKey(n) ? "inherit claims a copy" : "inherit joins a claimed copy");
        check(copyOpen || ambiguous, what + " succeeded though the table closed its copy of fd " + n);
        if (cell != null) {
            check(cell.file.equals(h.file()), "model: the copy holds " + cell.file);
        }
        c.table.unclaimed.remove(n);
        addHandle(c, got, h.file());
    }

    private void invalidate() throws IOException {
        MHandle h = pickHandle();
        MTable t = h.task.table;
        Cell cell = t.cells.get(h.number());
        removeHandle(h);
        boolean others = !cell.live.isEmpty();
        boolean pending = !cell.pendingOwners.isEmpty();
        boolean last = h.fd().invalidate();
        log("invalidate " + h + " -> " + last);
        check(!h.fd().isValid(), "invalidated");
        if (others) {
            check(!last, "invalidate with other live handles reported the last");
        } else if (!pending) {
            check(last, "invalidate of the only handle did not report the last");
        }
        if (last) {
            closed(t, h.number(), true);
        }
        expectInvalid(h.fd());
    }

    private void close() throws IOException {
        MHandle h = pickHandle();
        MTable t = h.task.table;
        Cell cell = t.cells.get(h.number());
        boolean others = cell.live.size() > 1;
        boolean pending = !cell.pendingOwners.isEmpty();
        try {
            h.fd().close();
        } catch (InvalidHandleException e) {
            throw new AssertionError("close of a valid handle " + h + ": " + e, e);
        } catch (IllegalStateException refused) {
            log("close " + h + " -> refused");
            check(others || pending, "close of the only handle was refused: " + refused);
            check(h.fd().isValid(), "a refused close leaves the handle valid");
            return;
        }
        log("close " + h + " -> closed");
        check(!others, "close succeeded though other handles live");
        removeHandle(h);
        closed(t, h.number(), true);
        expectInvalid(h.fd());
    }

    private void drop() {
        MHandle h = pickHandle();
        removeHandle(h);
        h.task.table.cells.get(h.number()).pendingOwners.add(h.task);
        dropped.add(new PhantomReference<>(h.fd(), null));
        droppedIds.add(h.id());
        log("drop " + h);
    }

    /**
     * Collects every dropped handle and runs each live table's GC through one of its tasks; then
     * every number that only dropped handles owned must be closed.
     */
    private void gc(String why) throws IOException {
        Kernel.gcUntilCleared(dropped);
        dropped.clear();
        Set<MTable> tables = new HashSet<>();
        for (MTask t : tasks) {
            tables.add(t.table);
        }
        for (MTable table : tables) {
            List<MTask> in = table.aliveTasks();
            in.get(rnd.nextInt(in.size())).task.runFdTableGc();
        }
        droppedIds.clear(); // every dropped handle is collected now, its state invalid
        int resolved = 0;
        for (MTable table : tables) {
            for (Integer n : new ArrayList<>(table.cells.keySet())) {
                Cell c = table.cells.get(n);
                if (!c.pendingOwners.isEmpty()) {
                    c.pendingOwners.clear();
                    if (c.live.isEmpty()) {
                        closed(table, n, true);
                        resolved++;
                    }
                }
            }
        }
        log(why + ": " + resolved + " dropped fds closed");
    }

    private void cloneChild() throws IOException {
        MTask p = pickTask();
        boolean files = rnd.nextBoolean();
        if (!files) {
            gc("gc before a clone without FILES");
        }
        ChildTask c = files ? p.task.clone(CloneFlag.FILES) : p.task.clone();
        childPids.add(c.pid());
        MTable table;
        if (files) {
            table = p.table;
            check(c.fdTable() == p.task.fdTable(), "a FILES child joins its parent's table");
        } else {
            check(c.fdTable() != p.task.fdTable(), "a child without FILES gets its own table");
            table = new MTable(c.fdTable(), p.table);
            for (Map.Entry<Integer, Cell> e : p.table.cells.entrySet()) {
                if (!e.getValue().live.isEmpty()) {
                    e.getValue().copied = true;
                    table.unclaimed.put(e.getKey(), e.getValue().file);
                    for (MHandle h : e.getValue().live) {
                        table.inheritable.put(h.id(), e.getKey());
                    }
                }
            }
            table.unclaimed.putAll(p.table.unclaimed);
            table.inheritable.putAll(p.table.inheritable);
        }
        MTask child = new MTask(c, table, p, files);
        p.children.add(child);
        tasks.add(child);
        log("clone " + (files ? "FILES" : "without FILES") + " from " + p + " -> " + child + " pid " + c.pid());
        for (Map.Entry<Integer, String> e : table.unclaimed.entrySet()) {
            check(e.getValue().equals(ChildTestSupport.link(c.pid(), e.getKey())),
                    "the clone's copy of fd " + e.getKey() + " refers to " + e.getValue());
        }
    }

    private void unshare() throws IOException {
        List<MTask> children = children();
        MTask c = children.get(rnd.nextInt(children.size()));
        gc("gc before unshareFiles");
        MTable old = c.table;
        c.task.unshareFiles();
        check(c.task.fdTable() != old.real, "unshareFiles gave " + c + " a new table");
        MTable fresh = new MTable(c.task.fdTable(), old);
        c.table = fresh;
        boolean oldLives = !old.aliveTasks().isEmpty();
        for (MHandle h : new ArrayList<>(live)) {
            if (h.task == c) {
                Cell was = old.cells.get(h.number());
                was.live.remove(h);
                fresh.cells.computeIfAbsent(h.number(), k -> new Cell(h.file())).live.add(h);
                if (was.live.isEmpty() && oldLives) {
                    closed(old, h.number(), true);
                }
            }
        }
        log("unshareFiles " + c.name() + ": " + old + " -> " + fresh + (oldLives ? "" : " (the old table is gone)"));
        // Nothing but what the child's handles own came along: unshareFiles closed the rest.
        Map<Integer, String> want = new TreeMap<>();
        fresh.cells.forEach((n, cell) -> want.put(n, cell.file));
        check(want.equals(Kernel.fdsOf("/proc/" + c.pid() + "/fd", dir, Set.of())),
                "after unshareFiles " + c.name() + " holds exactly its own fds of the fuzz's files");
    }

    private void exit() throws IOException, InterruptedException {
        List<MTask> children = children();
        MTask c = children.get(rnd.nextInt(children.size()));
        gc("gc before exit");
        List<MTask> dying = new ArrayList<>();
        collect(c, dying);
        log("exit " + c + (dying.size() > 1 ? " (its parent-death signal kills " + (dying.size() - 1) + " descendants)" : ""));
        long t0 = System.nanoTime();
        ((ChildTask) c.task).exit(0);
        outcomes.merge("ms in exit()", (int) ((System.nanoTime() - t0) / 1_000_000), Integer::sum);
        die(dying);
        c.parent.children.remove(c);
    }

    /**
     * SIGKILL from outside while {@value #KILL_THREADS} threads open files in the child: an open
     * whose answer came may race the cleanup that moves the dead task out of its table. The
     * handles the threads got are the dead task's; {@link #die} then requires each fd only they
     * owned in a table that lives on to be closed there — also one whose handle was made after
     * the cleanup began.
     */
    private void kill() throws Exception {
        List<MTask> children = children();
        MTask c = children.get(rnd.nextInt(children.size()));
        gc("gc before a kill");
        List<MTask> dying = new ArrayList<>();
        collect(c, dying);
        int killAfter = rnd.nextInt(6);
        int base = nextFile;
        nextFile += 1001;
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch enough = new java.util.concurrent.CountDownLatch(killAfter == 0 ? 0 : 1);
        List<List<Object[]>> got = new ArrayList<>();
        List<String> hungUp = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < KILL_THREADS; t++) {
            List<Object[]> mine = new ArrayList<>();
            got.add(mine);
            int first = base + t * 500;
            Thread th = new Thread(() -> {
                for (int k = first; k < first + 500; k++) {
                    String file = null;
                    try {
                        Path p = dir.resolve("f" + k);
                        Files.writeString(p, p.getFileName().toString());
                        file = p.toRealPath().toString();
                        mine.add(new Object[] {c.task.open(file, O_RDONLY), file});
                        if (opened.incrementAndGet() >= killAfter) {
                            enough.countDown();
                        }
                    } catch (SyscallHangup e) {
                        hungUp.add(file);
                        return;
                    } catch (SyscallSendError | IllegalStateException e) {
                        return; // seen dead before sending, or after the answer: nothing left open
                    } catch (Throwable e) {
                        failures.add(e);
                        return;
                    }
                }
            }, "rsyscall4j-fuzz-opener-" + t);
            threads.add(th);
            th.start();
        }
        // The same race made certain: an openat whose answer came before the death, adopted
        // (by open's own step) only once the cleanup has moved the dead task out of its table.
        MTable madeIn = c.table;
        Path late = dir.resolve("f" + (base + 1000));
        Files.writeString(late, late.getFileName().toString());
        String lateFile = late.toRealPath().toString();
        int lateFd = rawOpen(c.task, lateFile);
        enough.await();
        local.sysif().syscall(Sys.KILL, c.pid(), 9);
        for (Thread th : threads) {
            th.join(CLEANUP_DEADLINE.toMillis());
            check(!th.isAlive(), th.getName() + " still opens in " + c.name() + " long after SIGKILL");
        }
        noticeDeath(c);
        Kernel.await("the cleanup moves dead " + c.name() + " out of " + madeIn, CLEANUP_DEADLINE,
                () -> c.task.fdTable() != madeIn.real);
        try {
            FileDescriptor adopted = c.task.adopt(madeIn.real, "open", lateFile, lateFd)[0];
            throw new AssertionError("an fd made in " + madeIn + " was adopted by " + c.name() + " after it died and left"
                    + " that table: " + adopted);
        } catch (IllegalStateException expected) {
            check(expected.getMessage().contains("child task " + c.pid()), "names the dead child: " + expected.getMessage());
        }
        List<MTask> in = madeIn.aliveTasks();
        in.removeAll(dying);
        if (!in.isEmpty()) {
            int pid = in.get(0).pid();
            Kernel.await("fd " + lateFd + " (" + lateFile + "), made by dead " + c.name() + " in " + madeIn
                    + " after it left, closed there", CLEANUP_DEADLINE, () -> !lateFile.equals(ChildTestSupport.link(pid, lateFd)));
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("an open in " + c.name() + " failed otherwise than by its death");
            failures.forEach(e::addSuppressed);
            throw e;
        }
        int handles = 0;
        for (List<Object[]> mine : got) {
            for (Object[] h : mine) {
                addHandle(c, (FileDescriptor) h[0], (String) h[1]);
                handles++;
            }
        }
        leftByHangups.addAll(hungUp);
        log("kill " + c + " while " + KILL_THREADS + " threads open in it, after " + killAfter + " opens: " + handles
                + " handles got, " + hungUp.size() + " hung up" + (dying.size() > 1 ? "; kills " + (dying.size() - 1)
                + " descendants" : ""));
        outcome("opens racing a kill");
        die(dying);
        c.parent.children.remove(c);
    }

    /** {@code openat} of {@code file} in {@code t}, without adopting the fd (as open's first step). */
    private static int rawOpen(Task t, String file) throws IOException {
        byte[] path = (file + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (io.rsyscall4j.fd.internal.ScratchBuffer b = io.rsyscall4j.fd.internal.FdInternals.scratch(t.addressSpace(), t.sysif())) {
            b.write(0, path, 0, path.length);
            return (int) t.sysif().syscall(Sys.OPENAT, -100, b.address(), O_RDONLY | io.rsyscall4j.fd.OpenFlags.O_CLOEXEC, 0);
        }
    }

    private static void collect(MTask t, List<MTask> out) {
        out.add(t);
        for (MTask c : t.children) {
            collect(c, out);
        }
    }

    /**
     * {@code dying} are gone (the first exited, the rest were killed): the descendants' deaths are
     * noticed by a call that must fail within a second; then each number only they owned in a
     * table that lives on must get closed through another task of that table.
     */
    private void die(List<MTask> dying) throws InterruptedException {
        long t0 = System.nanoTime();
        for (MTask d : dying.subList(1, dying.size())) {
            noticeDeath(d);
        }
        outcomes.merge("ms noticing deaths", (int) ((System.nanoTime() - t0) / 1_000_000), Integer::sum);
        t0 = System.nanoTime();
        tasks.removeAll(dying);
        Map<MTable, Set<Integer>> orphaned = new HashMap<>();
        for (MHandle h : new ArrayList<>(live)) {
            if (dying.contains(h.task)) {
                removeHandle(h);
                deadIds.add(h.id());
                Cell cell = h.task.table.cells.get(h.number());
                if (cell.live.isEmpty()) {
                    orphaned.computeIfAbsent(h.task.table, k -> new HashSet<>()).add(h.number());
                }
            }
        }
        for (Map.Entry<MTable, Set<Integer>> e : orphaned.entrySet()) {
            MTable table = e.getKey();
            List<MTask> in = table.aliveTasks();
            if (in.isEmpty()) {
                continue; // the kernel table died with its processes
            }
            int pid = in.get(0).pid();
            for (int n : e.getValue()) {
                String file = table.cells.get(n).file;
                Kernel.await("fd " + n + " (" + file + ") of " + table + ", owned only by dead tasks, closed through another task",
                        CLEANUP_DEADLINE, () -> !file.equals(ChildTestSupport.link(pid, n)));
                closed(table, n, false);
            }
        }
        outcomes.merge("ms awaiting orphan closes", (int) ((System.nanoTime() - t0) / 1_000_000), Integer::sum);
        t0 = System.nanoTime();
        // The one that exited is reaped by its parent (the JVM, or its parent's server); the
        // descendants the parent-death signal killed were reparented, so init reaps them.
        MTask first = dying.get(0);
        Kernel.await(first.name() + " (pid " + first.pid() + ") is reaped", CLEANUP_DEADLINE,
                () -> ProcessHandle.of(first.pid()).isEmpty());
        for (MTask d : dying) {
            Kernel.await("dead child " + d.name() + " (pid " + d.pid() + ") has ended", CLEANUP_DEADLINE,
                    () -> Kernel.processEnded(d.pid()));
        }
        outcomes.merge("ms awaiting reaps", (int) ((System.nanoTime() - t0) / 1_000_000), Integer::sum);
    }

    /** A call to a dead task must fail (hangup or send error) within {@link #CALL_DEADLINE}. */
    private void noticeDeath(MTask d) throws InterruptedException {
        long end = System.nanoTime() + CLEANUP_DEADLINE.toNanos();
        while (true) {
            CompletableFuture<Long> call = CompletableFuture.supplyAsync(() -> {
                try {
                    return d.task.sysif().syscall(Sys.GETPID);
                } catch (SyscallException e) {
                    throw new CompletionException(e);
                }
            });
            try {
                call.get(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                Throwable why = e.getCause();
                check(why instanceof SyscallHangup || why instanceof SyscallSendError,
                        "a call to dead " + d.name() + " failed with " + why);
                return;
            } catch (TimeoutException e) {
                throw new AssertionError("a call to dead " + d.name() + " did not return within " + CALL_DEADLINE, e);
            }
            // Answered: the parent-death signal has not struck yet.
            check(System.nanoTime() - end < 0, d.name() + " still answers long after its parent exited");
        }
    }

    // ---- the model's closes and the checks ----

    /** Number {@code n} of {@code t} is closed: forget it; with {@code verify}, the kernel must agree. */
    private void closed(MTable t, int n, boolean verify) {
        Cell c = t.cells.remove(n);
        forgetCopy(t, n);
        if (c != null && c.copied) {
            releaseCopies(t, n, c.file);
        }
        if (verify && c != null) {
            List<MTask> in = t.aliveTasks();
            if (!in.isEmpty()) {
                String now = ChildTestSupport.link(in.get(0).pid(), n);
                check(!c.file.equals(now), "fd " + n + " of " + t + " should be closed but still refers to " + c.file);
            }
        }
    }

    /**
     * {@code t} closed {@code n}, whose last handle went: every table copied from it closes its
     * unclaimed copy there too, unless a handle it was copied from is still valid (live, dropped
     * but not collected, or of a dead task).
     */
    private void releaseCopies(MTable t, int n, String file) {
        Set<MTable> tables = new HashSet<>();
        for (MTask x : tasks) {
            tables.add(x.table);
        }
        for (MTable d : tables) {
            if (!d.isCopyOf(t) || !d.unclaimed.containsKey(n) || d.cells.containsKey(n) || copyHeld(d, n)) {
                continue;
            }
            String copy = d.unclaimed.remove(n);
            forgetCopy(d, n);
            outcome("copy closed with its last handle");
            int pid = d.aliveTasks().get(0).pid();
            check(!copy.equals(ChildTestSupport.link(pid, n)), "the unclaimed copy of fd " + n + " (" + copy + ") in " + d
                    + " is closed once " + t + " closed its last handle of " + file);
        }
    }

    /** Whether a handle that {@code d}'s copy at {@code n} was made from is still valid. */
    private boolean copyHeld(MTable d, int n) {
        for (Map.Entry<Integer, Integer> e : d.inheritable.entrySet()) {
            int id = e.getKey();
            if (e.getValue() == n && (droppedIds.contains(id) || deadIds.contains(id) || isLive(id))) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code d}'s copy at {@code n} is held only by dropped handles the GC may have collected. */
    private boolean droppedOnly(MTable d, int n) {
        boolean dropped = false;
        for (Map.Entry<Integer, Integer> e : d.inheritable.entrySet()) {
            int id = e.getKey();
            if (e.getValue() == n) {
                if (deadIds.contains(id) || isLive(id)) {
                    return false;
                }
                dropped |= droppedIds.contains(id);
            }
        }
        return dropped;
    }

    private boolean isLive(int id) {
        for (MHandle h : live) {
            if (h.id() == id) {
                return true;
            }
        }
        return false;
    }

    /** {@code t} closed its copy at {@code n}: the handles it was inherited from are not inheritable any more. */
    private static void forgetCopy(MTable t, int n) {
        t.inheritable.entrySet().removeIf(e -> {
            if (e.getValue() == n) {
                t.copyClosed.add(e.getKey());
                return true;
            }
            return false;
        });
    }

    private void checkLiveHandles(String when) {
        for (MHandle h : live) {
            check(h.fd().isValid(), when + ": live " + h + " is valid");
            String target = ChildTestSupport.link(h.task.pid(), h.number());
            check(h.file().equals(target), when + ": " + h + " of " + h.task + " should refer to " + h.file()
                    + " but /proc/" + h.task.pid() + "/fd/" + h.number() + " says " + target);
        }
        for (MTask t : tasks) {
            check(t.task.fdTable() == t.table.real, when + ": " + t + " is in the table the model says");
        }
    }

    /**
     * Drops every handle and GCs: then no process holds an fd of the fuzz's files but the copies
     * clones made that no handle claimed (the library does not own those; exec and unshareFiles
     * close them). Then every child exits, and the JVM holds nothing of the fuzz: no file, no
     * socket, pipe or pidfd of a child.
     */
    private void finish() throws Exception {
        dropAll();
        gc("final gc");
        for (MTask t : tasks) {
            Map<Integer, String> held = Kernel.fdsOf("/proc/" + t.pid() + "/fd", dir, Set.of());
            held.values().removeAll(leftByHangups);
            check(t.table.unclaimed.equals(held), "with every handle dropped and collected, " + t + " holds " + held
                    + "; only the unclaimed clone copies " + t.table.unclaimed + " may remain");
        }
        for (MTask c : new ArrayList<>(children())) {
            if (c.parent == tasks.get(0) && tasks.contains(c)) {
                List<MTask> dying = new ArrayList<>();
                collect(c, dying);
                log("exit " + c);
                ((ChildTask) c.task).exit(0);
                die(dying);
            }
        }
        Map<Integer, String> left = Kernel.fdsOf("/proc/self/fd", dir, Set.of());
        left.values().removeAll(leftByHangups);
        check(left.isEmpty(), "no fd of the fuzz's files is left in the JVM but what opens that hung up may have"
                + " made (" + leftByHangups.size() + "): " + left);
        try {
            Kernel.await("the JVM's sockets, pipes and pidfds are back to what they were", CLEANUP_DEADLINE,
                    () -> objectsBefore.equals(ChildTestSupport.kernelObjectFds()));
        } catch (AssertionError e) {
            Map<Integer, String> now = ChildTestSupport.kernelObjectFds();
            Map<Integer, String> extra = new TreeMap<>(now);
            extra.entrySet().removeAll(objectsBefore.entrySet());
            Map<Integer, String> missing = new TreeMap<>(objectsBefore);
            missing.entrySet().removeAll(now.entrySet());
            throw new AssertionError(e.getMessage() + ": left open " + extra + ", gone " + missing, e);
        }
        for (int pid : childPids) {
            check(Kernel.processEnded(pid), "child " + pid + " has ended");
        }
    }

    /** In a frame of its own: a finished loop's list in the caller's frame would keep the handles reachable. */
    private void dropAll() {
        for (MHandle h : new ArrayList<>(live)) {
            removeHandle(h);
            h.task.table.cells.get(h.number()).pendingOwners.add(h.task);
            dropped.add(new PhantomReference<>(h.fd(), null));
            droppedIds.add(h.id());
        }
        log("drop every handle");
    }

    /** After a failure: kill every child still running, so nothing outlives the test. */
    private void killAll() throws SyscallException {
        for (MTask t : tasks) {
            if (t.parent != null) {
                local.sysif().syscall(Sys.KILL, t.pid(), 9);
            }
        }
    }

    private String describeState() {
        StringBuilder sb = new StringBuilder();
        for (MTask t : tasks) {
            sb.append("\n  ").append(t).append(" pid ").append(t.pid());
        }
        Set<MTable> tables = new HashSet<>();
        for (MTask t : tasks) {
            tables.add(t.table);
        }
        for (MTable t : tables) {
            sb.append("\n  ").append(t).append(": ");
            t.cells.forEach((n, c) -> sb.append(n).append("=").append(Path.of(c.file).getFileName()).append(c.live)
                    .append(c.pendingOwners.isEmpty() ? "" : "+" + c.pendingOwners.size() + " dropped").append(" "));
            sb.append(" unclaimed ").append(t.unclaimed.keySet()).append(" inheritable ").append(t.inheritable);
        }
        return sb.toString();
    }

    private void expectMismatch(Runnable r, String what) {
        try {
            r.run();
        } catch (FDTableMismatchException expected) {
            log(what + " -> FDTableMismatchException");
            return;
        }
        throw new AssertionError(what + " succeeded across fd tables");
    }

    private static void expectInvalid(FileDescriptor fd) {
        try {
            fd.forTask(fd.task());
        } catch (InvalidHandleException expected) {
            return;
        }
        throw new AssertionError("an invalid handle was usable: " + fd);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
