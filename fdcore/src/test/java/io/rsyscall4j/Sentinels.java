package io.rsyscall4j;

import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.OpenFlags;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fds opened by a test <em>outside</em> rsyscall4j (raw {@code openat} through the provider, never
 * adopted): rsyscall4j must never close them. If it ever closed a number twice, or closed a number
 * it no longer owned, the kernel would hand the number out again and one of these would vanish or
 * read another file's bytes; {@link #check} catches both (readlink, fstat identity, and a
 * {@code pread} of the file's unique content).
 */
final class Sentinels implements AutoCloseable {
    private static final long AT_FDCWD = -100;

    private final Task task;
    private final List<Integer> fds = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final List<String> identities = new ArrayList<>();
    private final List<byte[]> contents = new ArrayList<>();

    /** Opens {@code count} sentinel files in {@code dir} through {@code task}'s provider, bypassing its table. */
    Sentinels(Task task, Path dir, int count) throws IOException {
        this.task = task;
        for (int i = 0; i < count; i++) {
            Path f = dir.resolve("sentinel-" + i + "-" + System.nanoTime());
            byte[] content = ("sentinel " + i + " " + f.getFileName()).getBytes(StandardCharsets.UTF_8);
            Files.write(f, content);
            f = f.toRealPath();
            int fd = rawOpen(f);
            fds.add(fd);
            files.add(f);
            identities.add(Kernel.identity(fd));
            contents.add(content);
        }
    }

    private int rawOpen(Path f) throws IOException {
        byte[] c = (f + "\0").getBytes(StandardCharsets.UTF_8);
        try (ScratchBuffer b = FdInternals.scratch(task.addressSpace(), task.sysif())) {
            b.write(0, c, 0, c.length);
            return (int) task.sysif().syscall(Sys.OPENAT, AT_FDCWD, b.address(), OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
        }
    }

    /** The sentinels' fd numbers. */
    List<Integer> numbers() {
        return List.copyOf(fds);
    }

    /** Fails unless every sentinel fd is open, on its own file, with its own content. */
    void check(String when) {
        for (int i = 0; i < fds.size(); i++) {
            int fd = fds.get(i);
            String target = Kernel.target(fd);
            if (!files.get(i).toString().equals(target)) {
                throw new AssertionError(when + ": sentinel fd " + fd + " should refer to " + files.get(i)
                        + " but the kernel says " + target + " (something closed a number it did not own)");
            }
            String id = Kernel.identity(fd);
            if (!identities.get(i).equals(id)) {
                throw new AssertionError(when + ": sentinel fd " + fd + " changed identity " + identities.get(i) + " -> " + id);
            }
            byte[] want = contents.get(i);
            byte[] got = new byte[want.length];
            try (ScratchBuffer b = FdInternals.scratch(task.addressSpace(), task.sysif())) {
                int n = (int) task.sysif().syscall(Sys.PREAD64, fd, b.address(), want.length, 0);
                b.read(0, got, 0, n);
            } catch (SyscallException e) {
                throw new AssertionError(when + ": sentinel fd " + fd + " can't be read: " + e.getMessage(), e);
            }
            if (!Arrays.equals(want, got)) {
                throw new AssertionError(when + ": sentinel fd " + fd + " reads \"" + new String(got, StandardCharsets.UTF_8)
                        + "\", not its own file's content");
            }
        }
    }

    @Override
    public void close() throws SyscallException {
        for (int fd : fds) {
            task.sysif().syscall(Sys.CLOSE, fd);
        }
        fds.clear();
    }
}
