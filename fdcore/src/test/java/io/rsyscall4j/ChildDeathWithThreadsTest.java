package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FileDescriptor;
import java.lang.ref.PhantomReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code FILES} child killed while several threads open files in it, as {@link ChildDeathTest}
 * does with one thread. An open whose answer arrived races the cleanup that moves the dead task
 * out of the JVM's table: whichever wins, the fd the kernel made is the JVM table's, so it must
 * end up owned by a handle that closes it there, or closed there at once — never left open.
 * Every handle the threads got is then closed or dropped, and the JVM's fd table must be as
 * before, but for what an open that hung up (sent, and the child died before answering) may have
 * left: the one thing no code can know the number of.
 *
 * <p>Only what the test made counts: no fd may be added (an eventfd told apart by its id, so a
 * reused number shows), while fds of the snapshot may go, as earlier tests' dropped
 * handles and children are released whenever a GC finds them. The JVM-wide threads the test's
 * calls start on first use (the process watcher, with its epoll set and eventfd) are started
 * before the first snapshot, by one kill not counted.
 */
class ChildDeathWithThreadsTest {
    static final int KILLS = 60;
    static final int THREADS = 3;
    static final Duration CLEANUP = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @BothProviders
    void aFilesChildKilledWhileThreadsOpenInItLeavesNoFdInTheJvm(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Random rnd = new Random(provider.hashCode());
        int got = 0;
        int refused = 0;
        int hungUp = 0;
        ChildTask first = local.clone(CloneFlag.FILES);
        local.sysif().syscall(Sys.KILL, first.pid(), 9);
        ChildDeathTest.awaitReleased(first);
        for (int i = 0; i < KILLS; i++) {
            Path iterDir = Files.createDirectories(dir.resolve("k" + i));
            Map<Integer, String> before = FdSnapshot.take();
            ChildDeathTest.MayLeak mayLeak = new ChildDeathTest.MayLeak(before);
            ChildTask child = local.clone(CloneFlag.FILES);
            int pid = child.pid();
            int killAfter = rnd.nextInt(THREADS * 8);
            AtomicInteger opened = new AtomicInteger();
            CountDownLatch enough = new CountDownLatch(1);
            List<List<FileDescriptor>> handles = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            List<String> hangups = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger refusals = new AtomicInteger();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < THREADS; t++) {
                List<FileDescriptor> mine = new ArrayList<>();
                handles.add(mine);
                int tn = t;
                Thread th = new Thread(() -> {
                    for (int k = 0; ; k++) {
                        String name = "t" + tn + "-" + k;
                        String what = "open " + name + " in " + pid;
                        try {
                            Path p = Files.writeString(iterDir.resolve(name), name);
                            mine.add(child.open(p.toString(), O_RDONLY));
                            if (opened.incrementAndGet() >= killAfter) {
                                enough.countDown();
                            }
                        } catch (SyscallHangup e) {
                            hangups.add(what + "\n" + e.getMessage());
                            return;
                        } catch (SyscallSendError e) {
                            refusals.incrementAndGet();
                            return;
                        } catch (IllegalStateException e) {
                            if (!e.getMessage().contains("child task " + pid)) {
                                failures.add(e);
                            }
                            refusals.incrementAndGet();
                            return;
                        } catch (Throwable e) {
                            failures.add(e);
                            return;
                        }
                    }
                }, "rsyscall4j-test-opener-" + t);
                threads.add(th);
                th.start();
            }
            enough.await();
            local.sysif().syscall(Sys.KILL, pid, 9);
            for (Thread th : threads) {
                th.join(CLEANUP.toMillis());
                if (th.isAlive()) {
                    throw new AssertionError(th.getName() + " still opens in child " + pid + " long after SIGKILL");
                }
            }
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError("kill " + i + ": an open failed otherwise than by the death");
                failures.forEach(e::addSuppressed);
                throw e;
            }
            for (String h : hangups) {
                int nl = h.indexOf('\n');
                mayLeak.hungUp(h.substring(0, nl), h.substring(nl + 1), iterDir);
            }
            hungUp += hangups.size();
            refused += refusals.get();
            got += release(handles, rnd);
            ChildDeathTest.awaitReleased(child);
            ChildDeathTest.awaitUnchanged(local, before, mayLeak, "kill " + i + " of child " + pid + " after " + killAfter
                    + " opens (" + hangups.size() + " hung up)");
        }
        System.out.println("child death with " + THREADS + " threads opening (" + provider + "): " + KILLS + " kills, "
                + got + " handles got, " + refused + " opens refused after the death, " + hungUp + " hung up");
    }

    /**
     * Closes about half the handles (each must close without an error: its fd is closed in the
     * JVM's table, or was when the dead task left it) and drops the rest; in a frame of its own,
     * so the dropped ones are unreachable once it returns. Returns how many there were.
     */
    private static int release(List<List<FileDescriptor>> handles, Random rnd) throws Exception {
        int n = 0;
        List<PhantomReference<FileDescriptor>> dropped = new ArrayList<>();
        for (List<FileDescriptor> mine : handles) {
            for (FileDescriptor fd : mine) {
                n++;
                if (rnd.nextBoolean()) {
                    fd.close();
                } else {
                    dropped.add(new PhantomReference<>(fd, null));
                }
            }
            mine.clear();
        }
        Kernel.gcUntilCleared(dropped);
        return n;
    }
}
