package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeAll;

/**
 * Blocking calls made from virtual threads park them, never their carriers: with two carriers,
 * thousands of virtual threads blocked in reads, remote calls into child tasks, accepts and
 * clones all finish. Runs in a JVM of its own with {@code -Djdk.virtualThreadScheduler.parallelism=2}
 * and {@code maxPoolSize=2} (fdcore's pom), so no carrier is added to make up for a blocked one;
 * a carrier held in a syscall shows as a deadline missed, not a hang.
 */
class VirtualThreadsTest {
    private static final Duration DEADLINE = Duration.ofMinutes(2);
    private static final int READERS = 1_000;
    private static final int SPAWNERS = 2_000;

    @BeforeAll
    static void twoCarriers() {
        assertEquals("2", System.getProperty("jdk.virtualThreadScheduler.parallelism"),
                "run in the vthreads execution of fdcore's pom, with two carrier threads");
        assertEquals("2", System.getProperty("jdk.virtualThreadScheduler.maxPoolSize"));
    }

    @BothProviders
    void aThousandReadersBlockedOnTheirOwnPipesAllGetWhatOneWriterSends(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        List<Pipe> pipes = new ArrayList<>();
        for (int i = 0; i < READERS; i++) {
            pipes.add(local.pipe());
        }
        try (Started threads = new Started()) {
            List<Thread> readers = new ArrayList<>();
            List<CompletableFuture<byte[]>> got = new ArrayList<>();
            for (Pipe p : pipes) {
                CompletableFuture<byte[]> f = new CompletableFuture<>();
                got.add(f);
                readers.add(threads.start(f, () -> p.read().read(16)));
            }
            CompletableFuture<Void> writer = threads.submit(() -> {
                awaitParked(readers); // every reader waits in its read before anything is written
                for (int i = 0; i < READERS; i++) {
                    pipes.get(i).write().writeAll(message(i));
                }
                return null;
            });
            assertTimeoutPreemptively(DEADLINE, () -> {
                writer.get();
                for (int i = 0; i < READERS; i++) {
                    assertArrayEquals(message(i), got.get(i).get(), "reader " + i);
                }
            }, "with two carriers, " + READERS + " virtual threads blocked in read must not hold them");
        }
        for (Pipe p : pipes) {
            p.read().close();
            p.write().close();
        }
    }

    @BothProviders
    void twoThousandThreadsEachCloneExecEchoAndReadItToTheEnd(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        long start = System.nanoTime();
        try (Started threads = new Started()) {
            List<CompletableFuture<String>> outputs = new ArrayList<>();
            for (int i = 0; i < SPAWNERS; i++) {
                String word = "w" + i;
                outputs.add(threads.submit(() -> echo(local, word)));
            }
            assertTimeoutPreemptively(DEADLINE, () -> {
                for (int i = 0; i < SPAWNERS; i++) {
                    assertEquals("w" + i + "\n", outputs.get(i).get());
                }
            }, SPAWNERS + " virtual threads cloning, exec'ing echo and reading it to EOF on two carriers");
        }
        System.out.printf("VirtualThreadsTest[%s]: %d clone/exec/read in virtual threads on 2 carriers: %d ms%n",
                provider, SPAWNERS, (System.nanoTime() - start) / 1_000_000);
    }

    /** The scenario: a pipe, a child that execs echo into it, and a read to EOF. */
    private static String echo(Task local, String word) throws Exception {
        Pipe out = local.pipe();
        ChildTask child = local.clone();
        FileDescriptor stdout = child.inheritFd(out.write()).dup2(child.stdout());
        ChildProcess echo = child.exec("/bin/echo", List.of("echo", word));
        java.lang.ref.Reference.reachabilityFence(stdout);
        out.write().close();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (byte[] b = out.read().read(64); b.length > 0; b = out.read().read(64)) {
            got.write(b);
        }
        out.read().close();
        assertEquals(0, echo.waitFor());
        return got.toString(StandardCharsets.UTF_8);
    }

    @BothProviders
    void anInterruptedReadThrowsAndLosesNothing(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Pipe p = local.pipe();
        try (Started threads = new Started()) {
            CompletableFuture<byte[]> read = new CompletableFuture<>();
            Thread reader = threads.start(read, () -> p.read().read(16));
            assertTimeoutPreemptively(DEADLINE, () -> {
                awaitParked(List.of(reader));
                reader.interrupt();
                Throwable t = assertThrows(ExecutionException.class, read::get).getCause();
                assertTrue(t instanceof InterruptedIOException, "the read threw " + t);
            });
        }
        assertTrue(p.read().isValid());
        p.write().writeAll(new byte[] {42});
        try (Started threads = new Started()) {
            CompletableFuture<byte[]> later = threads.submit(() -> p.read().read(16));
            assertTimeoutPreemptively(DEADLINE, () -> assertArrayEquals(new byte[] {42}, later.get()));
        }
        p.read().close();
        p.write().close();
    }

    @BothProviders
    void aThreadInterruptedBeforeItsReadWouldBlockThrowsAtOnce(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Pipe p = local.pipe();
        try (Started threads = new Started()) {
            CompletableFuture<byte[]> read = threads.submit(() -> {
                Thread.currentThread().interrupt();
                return p.read().read(16);
            });
            assertTimeoutPreemptively(DEADLINE, () -> {
                Throwable t = assertThrows(ExecutionException.class, read::get).getCause();
                assertTrue(t instanceof InterruptedIOException, "the read threw " + t);
            });
        }
        p.read().close();
        p.write().close();
    }

    @BothProviders
    void readsThroughChildTasksParkWhileTheChildrenBlock(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        int n = 16;
        List<Pipe> pipes = new ArrayList<>();
        List<ChildTask> children = new ArrayList<>();
        List<FileDescriptor> ends = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Pipe p = local.pipe();
            ChildTask c = local.clone();
            pipes.add(p);
            children.add(c);
            ends.add(c.inheritFd(p.read()));
        }
        try (Started threads = new Started()) {
            List<CompletableFuture<byte[]>> got = new ArrayList<>();
            List<Thread> readers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                FileDescriptor end = ends.get(i);
                CompletableFuture<byte[]> f = new CompletableFuture<>();
                got.add(f);
                readers.add(threads.start(f, () -> end.read(16)));
            }
            CompletableFuture<Void> writer = threads.submit(() -> {
                awaitParked(readers);
                for (int i = 0; i < n; i++) {
                    pipes.get(i).write().writeAll(message(i));
                }
                return null;
            });
            assertTimeoutPreemptively(DEADLINE, () -> {
                writer.get();
                for (int i = 0; i < n; i++) {
                    assertArrayEquals(message(i), got.get(i).get(), "reader " + i);
                }
            }, "virtual threads waiting for child tasks blocked in read must not hold the carriers");
        }
        for (int i = 0; i < n; i++) {
            children.get(i).exit(0);
            pipes.get(i).read().close();
            pipes.get(i).write().close();
        }
    }

    @BothProviders
    void acceptsParkUntilAConnectionComes(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        int n = 8;
        List<FileDescriptor> listeners = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            listeners.add(local.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), SocketType.STREAM, 4));
        }
        try (Started threads = new Started()) {
            List<Thread> acceptors = new ArrayList<>();
            List<CompletableFuture<byte[]>> got = new ArrayList<>();
            for (FileDescriptor l : listeners) {
                CompletableFuture<byte[]> f = new CompletableFuture<>();
                got.add(f);
                acceptors.add(threads.start(f, () -> {
                    try (FileDescriptor c = local.accept(l)) {
                        return c.read(16);
                    }
                }));
            }
            CompletableFuture<Void> client = threads.submit(() -> {
                awaitParked(acceptors);
                for (int i = 0; i < n; i++) {
                    try (FileDescriptor c = local.connect(Sockets.localAddress(listeners.get(i)), SocketType.STREAM)) {
                        c.writeAll(message(i));
                    }
                }
                return null;
            });
            assertTimeoutPreemptively(DEADLINE, () -> {
                client.get();
                for (int i = 0; i < n; i++) {
                    assertArrayEquals(message(i), got.get(i).get(), "acceptor " + i);
                }
            }, "virtual threads blocked in accept must not hold the carriers");
        }
        for (FileDescriptor l : listeners) {
            l.close();
        }
    }

    /**
     * Returns once every thread of {@code threads} is parked (or done): blocked in a syscall, a
     * thread would show as running. Ends with an interrupt, when a deadline gives up.
     */
    private static void awaitParked(List<Thread> threads) throws InterruptedException {
        while (threads.stream().map(Thread::getState).anyMatch(s -> s != Thread.State.WAITING
                && s != Thread.State.TIMED_WAITING && s != Thread.State.TERMINATED)) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            Thread.yield();
        }
    }

    /**
     * Virtual threads a test started, interrupted when it ends and never waited for: a thread
     * stuck in a syscall (what these tests catch) would keep a waiting close from returning.
     */
    private static final class Started implements AutoCloseable {
        private final List<Thread> threads = new ArrayList<>();

        <T> Thread start(CompletableFuture<T> result, Callable<T> call) {
            Thread t = Thread.ofVirtual().unstarted(() -> complete(result, call));
            synchronized (threads) {
                threads.add(t);
            }
            t.start();
            return t;
        }

        <T> CompletableFuture<T> submit(Callable<T> call) {
            CompletableFuture<T> result = new CompletableFuture<>();
            start(result, call);
            return result;
        }

        @Override
        public void close() {
            synchronized (threads) {
                threads.forEach(Thread::interrupt);
            }
        }
    }

    private static byte[] message(int i) {
        return ("m" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static <T> void complete(CompletableFuture<T> f, Callable<T> call) {
        try {
            f.complete(call.call());
        } catch (Throwable t) {
            f.completeExceptionally(t);
        }
    }
}
