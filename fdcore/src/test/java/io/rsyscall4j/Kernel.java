package io.rsyscall4j;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** The kernel's view of this process's fds, read from /proc, for checking handles against. */
public final class Kernel {
    private Kernel() {}

    /** What fd {@code n} of this process refers to (readlink of /proc/self/fd/n), or null if it is not open. */
    public static String target(int n) {
        return readlink(Path.of("/proc/self/fd/" + n));
    }

    /** What fd {@code n} in thread {@code tid}'s fd table refers to, or null. */
    public static String target(int tid, int n) {
        return readlink(Path.of("/proc/self/task/" + tid + "/fd/" + n));
    }

    private static String readlink(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new AssertionError("readlink " + p, e);
        }
    }

    /** The (dev, inode) of the file fd {@code n} refers to (fstat through /proc), or null if not open. */
    public static String identity(int n) {
        try {
            Map<String, Object> a = Files.readAttributes(Path.of("/proc/self/fd/" + n), "unix:dev,ino");
            return a.get("dev") + ":" + a.get("ino");
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new AssertionError("stat /proc/self/fd/" + n, e);
        }
    }

    /** A line of /proc/self/fdinfo/n ("pos", "flags"), or null if the fd is not open. Opens an fd briefly. */
    public static String fdinfo(int n, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + n))) {
                if (line.startsWith(key + ":")) {
                    return line.substring(key.length() + 1).trim();
                }
            }
            return null;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new AssertionError("read /proc/self/fdinfo/" + n, e);
        }
    }

    /** Whether fd {@code n} has close-on-exec set (the kernel reports it as O_CLOEXEC in fdinfo flags). */
    public static boolean cloexec(int n) {
        String flags = fdinfo(n, "flags");
        if (flags == null) {
            throw new AssertionError("fd " + n + " is not open");
        }
        return (Integer.parseInt(flags, 8) & 02000000) != 0;
    }

    /** The numbers of this process's fds that refer to files under {@code dir}. */
    public static List<Integer> fdsUnder(Path dir) {
        List<Integer> found = new ArrayList<>();
        String prefix = dir.toAbsolutePath().toString();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) fds::iterator) {
                String t = readlink(p);
                if (t != null && t.startsWith(prefix)) {
                    found.add(Integer.parseInt(p.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new AssertionError("list /proc/self/fd", e);
        }
        return found;
    }

    /**
     * Fd number -> link target of every fd in the table that {@code procFdDir} shows
     * ({@code /proc/self/fd}, {@code /proc/self/task/TID/fd}, {@code /proc/PID/fd}); an fd closed
     * while listing is left out. Opens one fd (the directory) while listing.
     */
    public static Map<Integer, String> fds(String procFdDir) {
        Map<Integer, String> out = new java.util.TreeMap<>();
        try (Stream<Path> entries = Files.list(Path.of(procFdDir))) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String t = readlink(p);
                if (t != null) {
                    out.put(Integer.parseInt(p.getFileName().toString()), t);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("list " + procFdDir, e);
        }
        return out;
    }

    /**
     * The fds in the table {@code procFdDir} shows that refer to a file under {@code dir} or to one
     * of {@code objects} (link targets such as {@code pipe:[123]}): what a test made and must not leak.
     */
    public static Map<Integer, String> fdsOf(String procFdDir, Path dir, java.util.Collection<String> objects) {
        String prefix = dir.toAbsolutePath().toString() + "/";
        Map<Integer, String> all = fds(procFdDir);
        all.values().removeIf(t -> !(t.startsWith(prefix) || objects.contains(t)));
        return all;
    }

    /**
     * Whether process {@code pid} has ended: it is gone, or a zombie (dead, waiting for its parent
     * — for a grandchild whose parent died, init — to reap it).
     */
    public static boolean processEnded(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            if ("No such process".equals(e.getMessage())) {
                return true; // reaped between the open and the read (ESRCH)
            }
            throw new AssertionError("read /proc/" + pid + "/stat", e);
        }
    }

    /**
     * Whether thread {@code t} waits for a process: parked (a virtual thread, or a wait that is
     * not its own), or in its own {@code poll} of the process's pidfd ({@link PidfdWait}).
     */
    public static boolean waitingForAProcess(Thread t) {
        return t.getState() == Thread.State.WAITING || inPidfdPoll(t);
    }

    /** Whether platform thread {@code t} is in its own {@code poll} of a pidfd ({@link PidfdWait}). */
    public static boolean inPidfdPoll(Thread t) {
        for (StackTraceElement f : t.getStackTrace()) {
            if (f.getClassName().equals(PidfdWait.class.getName()) && f.getMethodName().equals("poll")) {
                return true;
            }
        }
        return false;
    }

    /** Waits, polling, until {@code condition} holds; fails naming {@code what} after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            LockSupport.parkNanos(2_000_000);
        }
    }

    /** Runs the GC until every referent of {@code refs} has been cleared (found unreachable). */
    public static void gcUntilCleared(List<? extends Reference<?>> refs) {
        await("the GC to clear " + refs.size() + " references", Duration.ofSeconds(30), () -> {
            System.gc();
            return refs.stream().allMatch(r -> r.refersTo(null));
        });
    }
}
