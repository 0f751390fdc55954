package io.rsyscall4j.itests.provider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The kernel's own view of this process, read from {@code /proc/self}: what the tests compare
 * provider results against, so that a provider cannot pass by agreeing with itself.
 */
final class Kernel {
    static final int AT_FDCWD = -100;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0x40;
    static final int O_EXCL = 0x80;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x1;
    static final int MAP_PRIVATE = 0x2;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MFD_CLOEXEC = 0x1;
    static final int F_GETFD = 1;
    static final int FD_CLOEXEC = 1;
    static final int PAGE = 4096;

    private Kernel() {}

    /** What fd {@code fd} of this process refers to ({@code pipe:[123]}, a path), if it is open. */
    static Optional<String> fdTarget(int fd) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The fd numbers of this process that refer to {@code target}. */
    static List<Integer> fdsReferringTo(String target) {
        List<Integer> found = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) fds::iterator) {
                int fd = Integer.parseInt(p.getFileName().toString());
                if (fdTarget(fd).filter(target::equals).isPresent()) {
                    found.add(fd);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** The {@code /proc/self/maps} line of the mapping that starts at {@code address}, if any. */
    static Optional<String> mappingAt(long address) {
        String prefix = Long.toHexString(address) + "-";
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.startsWith(prefix)).findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
