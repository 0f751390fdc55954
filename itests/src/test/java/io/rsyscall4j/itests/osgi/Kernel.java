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
}
