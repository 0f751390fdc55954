package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.FileInputStream;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Closed" means closed in every table: a fresh child without {@code FILES} holds only 0, 1, 2,
 * its connection and copies of fds that had handles; once the last handle of such an fd is
 * closed or collected, the copies no handle claimed are closed in every live child (and
 * grandchild) too, and a claimed copy stays.
 */
class ClosedInEveryTableTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private static String fdDir(ChildTask c) {
        return "/proc/" + c.pid() + "/fd";
    }

    private static boolean hasFd(ChildTask c, int n) {
        return Files.exists(Path.of(fdDir(c), Integer.toString(n)), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    @BothProviders
    void aFreshChildHoldsOnlyStdioItsConnectionAndFdsThatHadHandles(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        System.gc();
        local.runFdTableGc(); // what earlier tests dropped is closed, not copied
        Path f = Files.writeString(dir.resolve("f"), "f");
        FileDescriptor handle = local.open(f.toString(), O_RDONLY);
        try (InputStream untracked = new FileInputStream(f.toFile())) { // a JVM fd no handle owns
            TreeSet<Integer> mayHave = new TreeSet<>(List.of(0, 1, 2));
            for (int n : local.fdTable().trackedNumbers()) {
                mayHave.add(n); // fds with handles (this test's, and any an earlier test still holds)
            }
            ChildTask child = local.clone();
            for (FileDescriptor fd : child.serverFds()) {
                mayHave.add(fd.number());
            }
            Map<Integer, String> fds = Kernel.fds(fdDir(child));
            assertTrue(mayHave.containsAll(fds.keySet()), "the child's fds " + fds.keySet() + " are among " + mayHave);
            assertTrue(fds.containsKey(handle.number()), "the copy of the fd with a handle stays");
            int size = fdSize(child.pid());
            int bound = tableSizeFor(mayHave.last());
            assertTrue(size <= bound, "the child's kernel table is sized to what it keeps: FDSize " + size + ", at most "
                    + bound + " for fd " + mayHave.last() + " (the JVM's: " + fdSize(ProcessHandle.current().pid()) + ")");
            child.exit(0);
            untracked.read();
        }
        handle.close();
    }

    /** The kernel's fd table size (alloc_fdtable) for a table whose highest fd is {@code highest}. */
    private static int tableSizeFor(int highest) {
        int open = (highest + 1 + 63) / 64 * 64;
        int slots = 1;
        while (slots < (open - 1) / 128 + 1) {
            slots *= 2;
        }
        return slots * 128;
    }

    private static int fdSize(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("FDSize:")) {
                return Integer.parseInt(line.substring(7).trim());
            }
        }
        throw new AssertionError("no FDSize in /proc/" + pid + "/status");
    }

    @BothProviders
    void aConnectionClosedInTheJvmEndsForThePeerWhileChildrenLive(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (boolean dropInsteadOfClose : new boolean[] {false, true}) {
            FileDescriptor server = local.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    SocketType.STREAM, 4);
            try (Socket client = new Socket()) {
                client.connect(Sockets.localAddress(server));
                FileDescriptor conn = local.accept(server);
                List<ChildTask> children = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    children.add(local.clone());
                }
                for (ChildTask c : children) {
                    assertTrue(hasFd(c, conn.number()), "the child has a copy of the connection");
                }
                if (dropInsteadOfClose) {
                    WeakReference<FileDescriptor> ref = new WeakReference<>(conn);
                    conn = null;
                    Kernel.gcUntilCleared(List.of(ref));
                } else {
                    conn.close();
                }
                client.setSoTimeout((int) DEADLINE.toMillis());
                assertEquals(-1, client.getInputStream().read(), "the client reads EOF (dropped: " + dropInsteadOfClose + ")");
                for (ChildTask c : children) {
                    c.exit(0);
                }
            }
            server.close();
        }
    }

    @BothProviders
    void aClaimedCopyStaysAndAGrandchildsUnclaimedCopyGoes(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Path f = Files.writeString(dir.resolve("g"), "g");
        FileDescriptor handle = local.open(f.toString(), O_RDONLY);
        int n = handle.number();
        ChildTask claimer = local.clone();
        FileDescriptor claimed = claimer.inheritFd(handle);
        ChildTask child = local.clone();
        ChildTask grandchild = child.clone();
        assertTrue(hasFd(grandchild, n), "the grandchild has a copy");
        handle.close();
        assertFalse(hasFd(child, n) || hasFd(grandchild, n), "the unclaimed copies are closed when close returns");
        assertEquals(f.toRealPath().toString(), Files.readSymbolicLink(Path.of(fdDir(claimer), Integer.toString(n))).toString(),
                "the claimed copy stays open");
        assertTrue(claimed.isValid());
        claimed.close();
        assertFalse(hasFd(claimer, n));
        grandchild.exit(0);
        child.exit(0);
        claimer.exit(0);
    }

    /**
     * Eight threads starting programs at once: each start's pipes are copied into the others'
     * children while they live, and closed in them when they go, but a copy is never closed in a
     * child whose table the kernel copied after the fd was closed (where the number may be free,
     * or another file).
     */
    @BothProviders
    void programsStartedFromEightThreadsAtOnceAllRun(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 100; i++) {
                        // The streams are left to the GC: the reaper closes them in batches meanwhile.
                        assertEquals(0, Command.of("/bin/true").start(local).waitFor());
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " starts failed, the first: " + failures.get(0));
    }

    @BothProviders
    void aCopyStaysWhileAnotherHandleOfTheFdLives(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Path f = Files.writeString(dir.resolve("h"), "h");
        FileDescriptor first = local.open(f.toString(), O_RDONLY);
        FileDescriptor second = first.forTask(local);
        int n = first.number();
        ChildTask child = local.clone();
        assertFalse(first.invalidate(), "the fd stays: second owns it");
        assertTrue(hasFd(child, n), "the copy stays while a handle it was copied from is valid");
        assertTrue(second.invalidate(), "the last handle closes the fd");
        assertFalse(hasFd(child, n), "and, before invalidate returns, the child's copy");
        child.exit(0);
    }
}
