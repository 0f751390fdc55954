package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static io.rsyscall4j.fd.SeekWhence.SEEK_SET;

import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.InvalidHandleException;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model-based property test of the lifecycle: random sequences of open / forTask / move /
 * invalidate / close / borrow / drop over many handles, two tasks (one per provider) of the JVM's
 * table and several distinct files, checked against a model after every step and against the
 * kernel: every live handle's number refers to its file (readlink of /proc/self/fd/N) and to its
 * own open file description (each open seeks to a unique offset, checked in /proc/self/fdinfo),
 * and once every handle is dropped and collected no fd of those files remains.
 *
 * <p>A seeded generator (not jqwik: 1.10 is built on JUnit Platform 1, this build on 6), run as
 * {@value #GROUPS} dynamic tests of {@value #SEQUENCES_PER_GROUP} sequences; each test's name
 * holds its seed, and a failure prints the sequence's steps. {@code -Drsyscall4j.modelSeed=N}
 * replays from another base seed.
 */
class ModelBasedLifecycleTest {
    static final int GROUPS = 20;
    static final int SEQUENCES_PER_GROUP = 50;
    static final int FILES = 5;

    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicTest> randomLifecycleSequencesKeepEveryLiveHandleOnItsFile() {
        long base = Long.getLong("rsyscall4j.modelSeed", 0x5eedL);
        return IntStream.range(0, GROUPS).mapToObj(g -> {
            long seed = base + g;
            return DynamicTest.dynamicTest(SEQUENCES_PER_GROUP + " sequences, seed " + seed, () -> runGroup(seed));
        });
    }

    /** A handle in the model: which file it refers to and which open (file description) it came from. */
    private record Live(FileDescriptor fd, Path file, int openId) {
    }

    private void runGroup(long seed) throws IOException {
        Random rnd = new Random(seed);
        Path groupDir = Files.createDirectories(dir.resolve("g" + seed));
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            Path f = groupDir.resolve("f" + i);
            Files.writeString(f, "file " + i + " ".repeat(200));
            files.add(f.toRealPath());
        }
        Task[] tasks = {Rsyscall.local("ffm"), Rsyscall.local("jna")};
        List<PhantomReference<FileDescriptor>> dropped = new ArrayList<>();
        for (int s = 0; s < SEQUENCES_PER_GROUP; s++) {
            new Sequence(rnd, tasks, files, dropped, "seed " + seed + " sequence " + s).run();
        }
        Kernel.gcUntilCleared(dropped);
        tasks[rnd.nextInt(2)].runFdTableGc();
        List<Integer> left = Kernel.fdsUnder(groupDir);
        if (!left.isEmpty()) {
            throw new AssertionError("seed " + seed + ": after every handle was dropped and collected, fds "
                    + left + " still refer to the group's files");
        }
    }

    private static final class Sequence {
        private final Random rnd;
        private final Task[] tasks;
        private final List<Path> files;
        private final List<PhantomReference<FileDescriptor>> dropped;
        private final String name;
        private final List<Live> live = new ArrayList<>();
        /** Opens some of whose handles were dropped: the table may still count those until the GC notices. */
        private final Set<Integer> droppedOpens = new HashSet<>();
        private final List<String> trace = new ArrayList<>();
        private int nextOpenId = 1;

        Sequence(Random rnd, Task[] tasks, List<Path> files, List<PhantomReference<FileDescriptor>> dropped, String name) {
            this.rnd = rnd;
            this.tasks = tasks;
            this.files = files;
            this.dropped = dropped;
            this.name = name;
        }

        void run() throws IOException {
            int steps = 5 + rnd.nextInt(30);
            try {
                for (int i = 0; i < steps; i++) {
                    step();
                    checkLiveHandles();
                }
                checkOpenFileDescriptions();
                for (Live l : live) {
                    dropped.add(new PhantomReference<>(l.fd(), null));
                }
                live.clear();
            } catch (AssertionError | RuntimeException | IOException e) {
                throw new AssertionError(name + " failed after steps:\n  " + String.join("\n  ", trace), e);
            }
        }

        private void step() throws IOException {
            int op = live.isEmpty() ? 0 : rnd.nextInt(100);
            if (op < 22) {
                open();
            } else if (op < 40) {
                forTask();
            } else if (op < 52) {
                move();
            } else if (op < 66) {
                invalidate();
            } else if (op < 78) {
                close();
            } else if (op < 86) {
                borrow();
            } else {
                drop();
            }
        }

        private Task task() {
            return tasks[rnd.nextInt(tasks.length)];
        }

        private int pick() {
            return rnd.nextInt(live.size());
        }

        private void open() throws IOException {
            Path f = files.get(rnd.nextInt(files.size()));
            Task t = task();
            FileDescriptor fd = t.open(f.toString(), O_RDONLY);
            int id = nextOpenId++;
            check(fd.lseek(id, SEEK_SET) == id, "lseek to the open's marker");
            live.add(new Live(fd, f, id));
            trace.add("open " + f.getFileName() + " in " + t + " -> fd " + fd.number() + " (open #" + id + ")");
        }

        private void forTask() {
            Live l = live.get(pick());
            Task t = task();
            FileDescriptor copy = l.fd().forTask(t);
            check(copy.number() == l.fd().number(), "forTask keeps the number");
            check(copy.task() == t, "forTask's handle is for the task");
            live.add(new Live(copy, l.file(), l.openId()));
            trace.add("forTask fd " + l.fd().number() + " -> " + t);
        }

        private void move() {
            int i = pick();
            Live l = live.get(i);
            Task t = task();
            FileDescriptor moved = l.fd().move(t);
            check(!l.fd().isValid(), "move invalidates the source");
            check(moved.number() == l.fd().number(), "move keeps the number");
            live.set(i, new Live(moved, l.file(), l.openId()));
            trace.add("move fd " + l.fd().number() + " -> " + t);
            expectInvalid(l.fd());
        }

        private void invalidate() throws IOException {
            int i = pick();
            Live l = live.remove(i);
            boolean others = sharing(l.openId()) > 0;
            boolean last = l.fd().invalidate();
            trace.add("invalidate fd " + l.fd().number() + " -> " + last);
            check(!l.fd().isValid(), "invalidated");
            if (others) {
                check(!last, "invalidate with other live handles must not report the last");
            } else if (!droppedOpens.contains(l.openId())) {
                check(last, "invalidate of the only handle must report the last");
            }
            if (last) {
                checkClosed(l);
            }
            expectInvalid(l.fd());
        }

        private void close() throws IOException {
            int i = pick();
            Live l = live.get(i);
            int others = sharing(l.openId()) - 1;
            try {
                l.fd().close();
            } catch (IllegalStateException refused) {
                trace.add("close fd " + l.fd().number() + " -> refused");
                check(!(refused instanceof InvalidHandleException), "a valid handle: " + refused);
                check(others > 0 || droppedOpens.contains(l.openId()), "close of the only handle was refused: " + refused);
                check(l.fd().isValid(), "a refused close leaves the handle valid");
                return;
            }
            trace.add("close fd " + l.fd().number() + " -> closed");
            check(others == 0, "close succeeded though " + others + " other handles live");
            live.remove(i);
            checkClosed(l);
            expectInvalid(l.fd());
        }

        private void borrow() throws IOException {
            Live l = live.get(pick());
            Task t = task();
            boolean invalidateMeanwhile = rnd.nextBoolean();
            try (Borrowed b = l.fd().borrow(t)) {
                check(b.number() == l.fd().number(), "borrow lends the handle's number");
                if (invalidateMeanwhile) {
                    // Invalidate every live handle of this open: the borrow must keep the fd open.
                    for (int i = live.size() - 1; i >= 0; i--) {
                        if (live.get(i).openId() == l.openId()) {
                            live.remove(i).fd().invalidate();
                        }
                    }
                    check(l.file().toString().equals(Kernel.target(b.number())), "borrowed fd stayed open");
                }
            }
            trace.add("borrow fd " + l.fd().number() + " in " + t + (invalidateMeanwhile ? ", invalidating all its handles" : ""));
            if (invalidateMeanwhile && !droppedOpens.contains(l.openId())) {
                checkClosed(l);
            }
        }

        private void drop() {
            Live l = live.remove(pick());
            droppedOpens.add(l.openId());
            dropped.add(new PhantomReference<>(l.fd(), null));
            trace.add("drop fd " + l.fd().number());
        }

        private int sharing(int openId) {
            int n = 0;
            for (Live l : live) {
                if (l.openId() == openId) {
                    n++;
                }
            }
            return n;
        }

        private void checkLiveHandles() {
            for (Live l : live) {
                check(l.fd().isValid(), "live handle fd " + l.fd().number() + " is valid");
                String target = Kernel.target(l.fd().number());
                check(l.file().toString().equals(target), "live handle fd " + l.fd().number() + " refers to "
                        + l.file().getFileName() + " but the kernel says " + target);
            }
        }

        private void checkOpenFileDescriptions() {
            for (Live l : live) {
                String pos = Kernel.fdinfo(l.fd().number(), "pos");
                check(String.valueOf(l.openId()).equals(pos), "fd " + l.fd().number() + " is open #" + l.openId()
                        + " but its offset is " + pos);
            }
        }

        private void checkClosed(Live l) {
            check(!l.file().toString().equals(Kernel.target(l.fd().number())),
                    "fd " + l.fd().number() + " should be closed but still refers to " + l.file().getFileName());
        }

        private void expectInvalid(FileDescriptor fd) {
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
}
