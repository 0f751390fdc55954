package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resource exhaustion: with {@code RLIMIT_NOFILE} lowered to just above what the JVM has open,
 * {@code open}, {@code pipe}, {@code clone} and GC run into {@code EMFILE}; each failure is named,
 * leaves the tables and the kernel's fd table exactly as they were, and everything works again
 * once fds are freed. Garbage does not count: a call that runs short collects dropped handles and
 * tries once more, so only fds that live handles own fill the table.
 *
 * <p>The limit is the whole JVM's, so this class runs in a surefire fork of its own (see
 * fdcore's pom), lowers the limit only inside each test, only while it fills the table with its
 * own fds, and raises it back in {@code finally}. Checks made while the table is full open no fd
 * (readlink of known numbers only); "no side effect" is checked by counting the free numbers —
 * exactly as many opens as before succeed, and the next fails with EMFILE.
 */
@SuppressWarnings("try") // a LoweredLimit is held for its scope, never referenced
class ExhaustionTest {
    private static final int RLIMIT_NOFILE = 7;
    /** Free numbers left below the lowered limit; the test fills them itself. */
    private static final int HEADROOM = 16;

    @TempDir
    Path dir;

    /**
     * Runs every path the tests take once at the normal limit: at the lowered one the JVM could
     * not open a class file to load a class first used there.
     */
    @BeforeAll
    static void warmUp(@TempDir Path warm) throws IOException {
        for (String provider : new String[] {"ffm", "jna"}) {
            Task task = Rsyscall.local(provider);
            String f = Files.writeString(warm.resolve("warm-" + provider), "warm").toString();
            FileDescriptor fd = task.open(f, O_RDONLY);
            fd.forTask(task).invalidate();
            fd.close();
            assertThrows(ErrnoException.class, () -> task.open(f + ".missing", O_RDONLY)).getMessage();
            Pipe p = task.pipe();
            p.write().writeAll(new byte[] {1});
            p.read().read(1);
            p.read().close();
            p.write().close();
            List<PhantomReference<FileDescriptor>> dropped = new ArrayList<>();
            dropOne(task, f, dropped);
            for (boolean files : new boolean[] {false, true}) {
                ChildTask child = files ? task.clone(CloneFlag.FILES) : task.clone();
                child.sysif().syscall(Sys.GETPID);
                child.open(f, O_RDONLY).invalidate();
                child.runFdTableGc();
                child.exit(0);
            }
            Kernel.gcUntilCleared(dropped);
            task.runFdTableGc();
            try (LoweredLimit limit = new LoweredLimit(task)) {
                List<FileDescriptor> fillers = fillStatic(task, f);
                assertFreeNumbers(task, f, 0, "warm-up");
                fillers.remove(fillers.size() - 1).close();
                assertFreeNumbers(task, f, 1, "warm-up");
                closeAll(fillers);
            }
        }
    }

    private static void dropOne(Task task, String f, List<PhantomReference<FileDescriptor>> dropped) throws IOException {
        dropped.add(new PhantomReference<>(task.open(f, O_RDONLY), null));
    }

    /** The JVM's fd limit, lowered to {@link #HEADROOM} free numbers; {@link #close} raises it back. */
    private static final class LoweredLimit implements AutoCloseable {
        private final Task task;
        private final long soft;
        private final long hard;

        LoweredLimit(Task task) throws IOException {
            this(task, HEADROOM);
        }

        /** With {@code headroom} free numbers below the limit. */
        LoweredLimit(Task task, int headroom) throws IOException {
            this.task = task;
            // Garbage of earlier tests would be freed by the first open that ran short, and
            // leave more room than asked for.
            System.gc();
            task.runFdTableGc();
            long[] old = prlimit(task, -1, -1);
            soft = old[0];
            hard = old[1];
            // The lowest limit under which HEADROOM numbers are free (fds above it, such as a child's
            // connection moved up high, stay open: a limit only stops new ones).
            Map<Integer, String> open = FdSnapshot.read();
            int limit = 0;
            for (int free = 0; free < headroom; limit++) {
                if (!open.containsKey(limit)) {
                    free++;
                }
            }
            prlimit(task, limit, hard);
        }

        @Override
        public void close() throws IOException {
            prlimit(task, soft, hard);
        }
    }

    /** prlimit64(0, RLIMIT_NOFILE, new, old): sets the limits unless negative; returns the old {soft, hard}. */
    private static long[] prlimit(Task task, long soft, long hard) throws IOException {
        try (ScratchBuffer b = FdInternals.scratch(task.addressSpace(), task.sysif())) {
            boolean set = soft >= 0;
            if (set) {
                byte[] lim = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(soft).putLong(hard).array();
                b.write(0, lim, 0, 16);
            }
            task.sysif().syscall(Sys.PRLIMIT64, 0, RLIMIT_NOFILE, set ? b.address() : 0, b.address() + 16);
            byte[] old = new byte[16];
            b.read(16, old, 0, 16);
            ByteBuffer bb = ByteBuffer.wrap(old).order(ByteOrder.LITTLE_ENDIAN);
            return new long[] {bb.getLong(), bb.getLong()};
        }
    }

    private String file(String name) throws IOException {
        return Files.writeString(dir.resolve(name), name).toRealPath().toString();
    }

    /** Opens fillers through {@code task} until EMFILE; returns them (the table is then full). */
    private List<FileDescriptor> fill(Task task, String filler) throws IOException {
        return fillStatic(task, filler);
    }

    private static List<FileDescriptor> fillStatic(Task task, String filler) throws IOException {
        List<FileDescriptor> fillers = new ArrayList<>();
        for (int i = 0; i < HEADROOM * 4; i++) {
            try {
                fillers.add(task.open(filler, O_RDONLY));
            } catch (ErrnoException e) {
                assertEquals("EMFILE", e.errnoName(), e.toString());
                return fillers;
            }
        }
        throw new AssertionError("the lowered limit was never reached");
    }

    /** Exactly {@code k} numbers are free: k opens succeed, the next fails with EMFILE. Leaves them free. */
    private static void assertFreeNumbers(Task task, String filler, int k, String when) throws IOException {
        List<FileDescriptor> probe = new ArrayList<>();
        try {
            for (int i = 0; i < k; i++) {
                probe.add(task.open(filler, O_RDONLY));
            }
        } catch (ErrnoException e) {
            throw new AssertionError(when + ": only " + probe.size() + " of " + k + " numbers are free: something kept one", e);
        }
        ErrnoException e = assertThrows(ErrnoException.class, () -> task.open(filler, O_RDONLY),
                when + ": more than " + k + " numbers free");
        assertEquals("EMFILE", e.errnoName());
        closeAll(probe);
    }

    private static void closeAll(List<FileDescriptor> fds) throws IOException {
        for (FileDescriptor fd : fds) {
            fd.close();
        }
        fds.clear();
    }

    @BothProviders
    void openAtTheLimitFailsNamedWithNoSideEffectAndRecovers(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        String filler = file("filler");
        String wanted = file("wanted");
        List<FileDescriptor> fillers;
        try (LoweredLimit limit = new LoweredLimit(task)) {
            fillers = fill(task, filler);
            int tracked = task.fdTable().trackedNumbers().length;
            ErrnoException e = assertThrows(ErrnoException.class, () -> task.open(wanted, O_RDONLY));
            assertEquals("EMFILE", e.errnoName());
            assertEquals(Sys.OPENAT, e.syscall());
            assertTrue(e.getMessage().contains(wanted), e.getMessage());
            assertEquals(tracked, task.fdTable().trackedNumbers().length, "no handle made");
            FileDescriptor freed = fillers.remove(fillers.size() - 1);
            int n = freed.number();
            freed.close();
            FileDescriptor got = task.open(wanted, O_RDONLY);
            assertEquals(n, got.number(), "the freed number serves the next open");
            assertEquals(wanted, Kernel.target(got.number()));
            got.close();
            closeAll(fillers);
        }
    }

    @BothProviders
    void pipeWithOneFreeSlotFailsWithoutLeakingAndRecovers(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        String filler = file("filler");
        try (LoweredLimit limit = new LoweredLimit(task)) {
            List<FileDescriptor> fillers = fill(task, filler);
            fillers.remove(fillers.size() - 1).close(); // one number free: pipe2 needs two
            int tracked = task.fdTable().trackedNumbers().length;
            ErrnoException e = assertThrows(ErrnoException.class, task::pipe);
            assertEquals("EMFILE", e.errnoName());
            assertEquals(Sys.PIPE2, e.syscall());
            assertEquals(tracked, task.fdTable().trackedNumbers().length, "no handle made");
            assertFreeNumbers(task, filler, 1, "after the failed pipe");
            fillers.remove(fillers.size() - 1).close();
            Pipe p = task.pipe();
            p.write().writeAll(new byte[] {42});
            assertEquals(42, p.read().read(1)[0]);
            p.read().close();
            p.write().close();
            closeAll(fillers);
        }
    }

    @BothProviders
    void cloneAtTheLimitFailsNamedWithNoSideEffectAndRecovers(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        String filler = file("filler");
        try (LoweredLimit limit = new LoweredLimit(task)) {
            List<FileDescriptor> fillers = fill(task, filler);
            // With 0, 1, 2 ... free numbers: the clone needs an eventfd (the server's number), then a pidfd.
            for (int free = 0; free <= 5; free++) {
                int tracked = task.fdTable().trackedNumbers().length;
                ChildTask child;
                try {
                    child = task.clone();
                } catch (ErrnoException e) {
                    assertEquals("EMFILE", e.errnoName(), e.toString());
                    assertTrue(e.getMessage().startsWith(e.syscall().syscallName() + "("), e.getMessage());
                    assertEquals(tracked, task.fdTable().trackedNumbers().length, "no handle made");
                    assertFreeNumbers(task, filler, free, "after a clone that failed with " + free + " numbers free");
                    fillers.remove(fillers.size() - 1).close();
                    continue;
                }
                assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "a clone that succeeds works");
                child.exit(0);
                assertTrue(free > 0, "no clone without a free number");
                break;
            }
            closeAll(fillers);
            ChildTask child = task.clone(CloneFlag.FILES);
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "clone works again");
            child.exit(0);
        }
    }

    @BothProviders
    void gcAtTheLimitClosesGarbageAndOpensWorkAgain(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        String filler = file("filler");
        String wanted = file("wanted");
        ChildTask child = task.clone(CloneFlag.FILES); // made before the limit: GC through it too
        try (LoweredLimit limit = new LoweredLimit(task)) {
            List<FileDescriptor> fillers = fill(task, filler);
            // Drop half of them (garbage), keep the others.
            List<PhantomReference<FileDescriptor>> dropped = new ArrayList<>();
            List<Integer> droppedNumbers = new ArrayList<>();
            for (int i = fillers.size() - 1; i >= 0; i -= 2) {
                FileDescriptor fd = fillers.remove(i);
                droppedNumbers.add(fd.number());
                dropped.add(new PhantomReference<>(fd, null));
            }
            gcAtTheLimit(child, dropped);
            for (int n : droppedNumbers) {
                assertTrue(!filler.equals(Kernel.target(n)), "garbage fd " + n + " closed at the limit");
            }
            for (FileDescriptor kept : fillers) {
                assertEquals(filler, Kernel.target(kept.number()), "kept fd " + kept.number() + " untouched");
            }
            List<FileDescriptor> again = new ArrayList<>();
            for (int i = 0; i < droppedNumbers.size(); i++) {
                again.add(task.open(wanted, O_RDONLY));
            }
            assertThrows(ErrnoException.class, () -> task.open(wanted, O_RDONLY), "full again: exactly the garbage was freed");
            closeAll(again);
            closeAll(fillers);
        } finally {
            child.exit(0);
        }
    }

    /**
     * The exhaustion rule: at a limit the garbage alone would exceed many times over, opening
     * and dropping handles (and pipes) never fails with EMFILE, through the JVM's task, a
     * {@code FILES} child and a child with a table of its own — nobody runs a GC by hand. Every
     * call that ran short collected and retried once.
     */
    @BothProviders
    void droppingHandlesAloneNeverRunsOutOfFds(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        String filler = file("filler");
        try (LoweredLimit limit = new LoweredLimit(task, 64)) {
            // Made under the limit: a child's limit is its own copy, taken at the clone.
            ChildTask shared = task.clone(CloneFlag.FILES);
            ChildTask own = task.clone();
            try {
                for (Task t : new Task[] {task, shared, own}) {
                    for (int i = 0; i < 1000; i++) {
                        openAndDrop(t, filler);
                    }
                }
                for (int i = 0; i < 1000; i++) {
                    pipeAndDrop(task);
                }
            } finally {
                shared.exit(0);
                own.exit(0);
            }
        }
    }

    /** In a frame of its own, so the handle is unreachable once it returns. */
    private static void openAndDrop(Task t, String path) throws IOException {
        if (t.open(path, O_RDONLY).number() < 0) {
            throw new AssertionError("negative fd");
        }
    }

    private static void pipeAndDrop(Task t) throws IOException {
        Pipe p = t.pipe();
        if (p.read().number() == p.write().number()) {
            throw new AssertionError("one number for both ends");
        }
    }

    /** In a frame of its own, so nothing here keeps the dropped handles reachable. */
    private static void gcAtTheLimit(ChildTask child, List<PhantomReference<FileDescriptor>> dropped) throws IOException {
        Kernel.gcUntilCleared(dropped);
        child.runFdTableGc(); // through the FILES child: closing needs no new fd, at the limit or not
    }
}
