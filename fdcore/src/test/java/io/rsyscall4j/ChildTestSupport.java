package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.fail;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Shared by the child-task tests: the real providers, /proc readers, and waiting with a deadline. */
final class ChildTestSupport {
    private ChildTestSupport() {}

    /** Both real providers, found the way applications find them. */
    static Stream<SyscallInterface> providers() {
        List<SyscallInterface> all = ServiceLoader.load(SyscallInterface.class).stream()
                .map(ServiceLoader.Provider::get)
                .sorted((x, y) -> x.provider().compareTo(y.provider()))
                .toList();
        if (all.stream().map(SyscallInterface::provider).toList().equals(List.of("ffm", "jna"))) {
            return all.stream();
        }
        throw new AssertionError("expected the ffm and jna providers on the test path, found " + all);
    }

    /** The full path of {@code program} as the JVM's {@code PATH} finds it. */
    static String onPath(String program) {
        for (String dir : System.getenv("PATH").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath().toString();
            }
        }
        throw new AssertionError(program + " is not on PATH");
    }

    /**
     * Fd number -> link target, as /proc/{pid}/fd shows the table of that process, less the
     * listing's own directory fds (the JDK opens the directory and dups it, at whatever numbers
     * are free at that moment, so they would differ from one snapshot to the next).
     */
    static Map<Integer, String> fds(long pid) {
        Map<Integer, String> out = new TreeMap<>();
        Path dir = Path.of("/proc/" + pid + "/fd");
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (!target.equals(dir.toString())) {
                        out.put(Integer.parseInt(p.getFileName().toString()), target);
                    }
                } catch (IOException closedMeanwhile) {
                    // the fd went away while listing (e.g. the listing's own directory fd)
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The link target of fd {@code n} of process {@code pid}, or null if it has no such fd. */
    static String link(long pid, int n) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + n)).toString();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The fds of this JVM that the child machinery makes (eventfds, pidfds), and any socket or
     * pipe: fd number -> the object ({@link #identified}: an eventfd with its id), so that a
     * number closed and reused for another eventfd shows as a change.
     */
    static Map<Integer, String> kernelObjectFds() {
        Map<Integer, String> all = fds(ProcessHandle.current().pid());
        all.values().removeIf(v -> !(v.startsWith("socket:") || v.startsWith("pipe:") || v.contains("pidfd")
                || v.contains("eventfd")));
        all.replaceAll(ChildTestSupport::identified);
        return all;
    }

    /**
     * {@code target}, the link target of this JVM's fd {@code n}, with an eventfd's id, which
     * tells apart eventfds that all have the same target. (A pidfd's {@code Pid:} would not do:
     * it turns to -1 when its process ends, so the same pidfd would read as another.)
     */
    static String identified(int n, String target) {
        return target.equals("anon_inode:[eventfd]") ? target + " id " + fdinfo(n, "eventfd-id:") : target;
    }

    /**
     * Fails unless every kernel object the JVM holds now ({@link #kernelObjectFds}) it held at
     * {@code before}: the test left nothing of what it made. Objects of {@code before} may be
     * gone: earlier tests' dropped child tasks and handles, which the janitor and the reaper
     * release whenever a GC finds them unreachable, at any point of a later test.
     */
    static void assertNothingAdded(Map<Integer, String> before, String what) {
        Map<Integer, String> added = new TreeMap<>(kernelObjectFds());
        added.entrySet().removeAll(before.entrySet());
        if (!added.isEmpty()) {
            fail(what + ": left " + added);
        }
    }

    /** The value of the {@code key} line of this JVM's fd {@code n}'s fdinfo, or "closed" if it is gone. */
    private static String fdinfo(int n, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + n))) {
                if (line.startsWith(key)) {
                    return line.substring(key.length()).trim();
                }
            }
            return "no " + key;
        } catch (IOException e) {
            return "closed";
        }
    }

    /** A field of /proc/{pid}/status, e.g. "SigBlk". */
    static String status(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith(field + ":")) {
                    return line.substring(field.length() + 1).trim();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no " + field + " in /proc/" + pid + "/status");
    }

    /** Starts a platform thread, "waiter", in {@code p.waitFor()}; {@code status} completes with what it returns or throws. */
    static Thread startWaiter(ChildProcess p, CompletableFuture<Integer> status) {
        Thread waiter = new Thread(() -> {
            try {
                status.complete(p.waitFor());
            } catch (Exception | Error e) {
                status.completeExceptionally(e);
            }
        }, "waiter");
        waiter.start();
        return waiter;
    }

    /** Waits (parking, no sleep) until {@code condition} holds; fails with {@code what} at the deadline. */
    static void await(String what, Duration deadline, BooleanSupplier condition) {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                fail("not within " + deadline + ": " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** A page of JVM memory for syscall arguments; a child sees it too (CLONE_VM). */
    static long page(SyscallInterface local) throws SyscallException {
        return local.syscall(Sys.MMAP, 0, 4096, 3, 0x22, -1, 0);
    }

    static void unmap(SyscallInterface local, long page) throws SyscallException {
        local.syscall(Sys.MUNMAP, page, 4096);
    }

    /** A C string at {@code address}. */
    static void putString(SyscallInterface sysif, long address, String s) {
        byte[] b = (s + "\0").getBytes(StandardCharsets.UTF_8);
        sysif.writeMemory(address, b, 0, b.length);
    }

    static int getInt(SyscallInterface sysif, long address) {
        byte[] b = new byte[4];
        sysif.readMemory(address, b, 0, 4);
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    /**
     * The id of the eventfd at {@code fd} in process {@code pid}'s table (its fdinfo's), or null
     * if that is no eventfd.
     */
    static String eventFdId(long pid, int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/fdinfo/" + fd))) {
                if (line.startsWith("eventfd-id:")) {
                    return line.substring("eventfd-id:".length()).trim();
                }
            }
        } catch (IOException e) {
            // closed meanwhile: no eventfd
        }
        return null;
    }

    /** The numbers at which process {@code pid} holds the eventfd {@code id}. */
    static Set<Integer> eventFdNumbers(long pid, String id) {
        Set<Integer> numbers = new TreeSet<>();
        for (int fd : fds(pid).keySet()) {
            if (id.equals(eventFdId(pid, fd))) {
                numbers.add(fd);
            }
        }
        return numbers;
    }

    /** {@code sysif.syscall(nr, args)} run on a virtual thread of its own; its failure rethrown. */
    static long onVirtualThread(SyscallInterface sysif, Sys nr, long... args) throws Exception {
        CompletableFuture<Long> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                result.complete(sysif.syscall(nr, args));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : e;
        }
    }
}
