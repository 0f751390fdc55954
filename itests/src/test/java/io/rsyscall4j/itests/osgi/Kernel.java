package io.rsyscall4j.itests.osgi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** What the kernel says about this process's fds: the check that does not trust our own objects. */
final class Kernel {
    private Kernel() {}

    /** Where fd {@code n} points ({@code /proc/self/fd/n}), or {@code null} if it is not open. */
    static String fdTarget(int n) {
        Path link = Path.of("/proc/self/fd/" + n);
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            if (Files.notExists(link, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            throw new AssertionError("cannot read " + link, e);
        }
    }

    /** Every fd of process {@code pid} and where it points, or the failure to read them as a string. */
    static java.util.Map<Integer, String> fds(int pid) {
        java.util.Map<Integer, String> fds = new java.util.TreeMap<>();
        try (java.util.stream.Stream<Path> list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : list.collect(java.util.stream.Collectors.toList())) {
                try {
                    fds.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
                } catch (IOException closedMeanwhile) {
                    // listed, then closed before readlink: not an fd the program keeps
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc/" + pid + "/fd", e);
        }
        return fds;
    }
}
