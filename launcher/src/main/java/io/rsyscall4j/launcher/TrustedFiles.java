package io.rsyscall4j.launcher;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The rule for the files the launcher loads code from beside its jar (the bundle jars on its
 * class path): each is a real directory or regular file, not a symbolic link, owned by root or
 * by the user the launcher runs as, and writable by no one else (no group or other write
 * permission); every directory above them is owned by root or that user too, and writable by no
 * one else unless it has the sticky bit (as {@code /tmp} has: there only an entry's owner, the
 * directory's owner or root may rename or remove the entry). Then no other user can create,
 * replace or change what the JVM loads; the launcher may run as root.
 */
final class TrustedFiles {
    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int STICKY = 01000;
    private static final int ROOT = 0;
    /** The effective uid the launcher runs as, once read; -1 before. Read by the launcher's main thread only. */
    private static int user = -1;

    private TrustedFiles() {}

    /**
     * Checks {@code path} against the rule.
     *
     * @throws LaunchFailure it breaks the rule, or its attributes cannot be read; the message names
     *     the path and what is wrong
     */
    static void check(Path path) {
        check(path, NOFOLLOW_LINKS);
    }

    private static void check(Path path, LinkOption... options) {
        Map<String, Object> a = attributes(path, path, options);
        if (!(Boolean) a.get("isDirectory") && !(Boolean) a.get("isRegularFile")) {
            throw refused(path, "it is not a directory or a regular file (a symbolic link?)");
        }
        String owner = wrongOwner(path, a);
        if (owner != null) {
            throw refused(path, "it is " + owner);
        }
        int mode = (Integer) a.get("mode");
        if ((mode & GROUP_OR_OTHER_WRITE) != 0) {
            throw refused(path, "it is writable by group or others (mode " + octal(mode) + ")");
        }
    }

    /**
     * Checks directory {@code dir} against the rule, and every directory above it: those of its
     * path as given (made absolute) and those of its real path, which differ where a symbolic link
     * leads elsewhere. {@code dir} itself may be such a link: who may replace it is the rule's
     * question for the directory above it.
     *
     * @throws LaunchFailure one of them breaks the rule, or cannot be read; the message names
     *     {@code dir} and the directory at fault
     */
    static void checkWithAncestors(Path dir) {
        check(dir, new LinkOption[0]);
        Set<Path> above = new LinkedHashSet<>();
        try {
            for (Path p : new Path[] {dir.toAbsolutePath(), dir.toRealPath()}) {
                for (Path a = p.getParent(); a != null; a = a.getParent()) {
                    above.add(a);
                }
            }
        } catch (IOException e) {
            throw refused(dir, "its real path cannot be read (" + e.getMessage() + ")");
        }
        for (Path a : above) {
            Map<String, Object> attrs = attributes(dir, a);
            String owner = wrongOwner(dir, attrs);
            if (owner != null) {
                throw refused(dir, a + ", a directory above it, is " + owner);
            }
            int mode = (Integer) attrs.get("mode");
            if ((mode & GROUP_OR_OTHER_WRITE) != 0 && (mode & STICKY) == 0) {
                throw refused(dir, a + ", a directory above it, is writable by group or others without the sticky bit"
                        + " (mode " + octal(mode) + ")");
            }
        }
    }

    /** The owner, mode and type of {@code path}; {@code checked} is what a failure names. */
    private static Map<String, Object> attributes(Path checked, Path path, LinkOption... options) {
        try {
            return Files.readAttributes(path, "unix:uid,mode,isDirectory,isRegularFile", options);
        } catch (IOException | UnsupportedOperationException e) {
            String whose = checked.equals(path) ? "its" : path + "'s";
            throw refused(checked, whose + " owner and mode cannot be read (" + e.getMessage() + ")");
        }
    }

    /**
     * "owned by uid N, neither root nor uid U" if the owner in {@code a} is neither root nor the
     * user the launcher runs as (the owner of {@code /proc/self}, read once); else null.
     */
    private static String wrongOwner(Path checked, Map<String, Object> a) {
        int uid = (Integer) a.get("uid");
        if (user < 0) {
            user = (Integer) attributes(checked, Path.of("/proc/self")).get("uid");
        }
        return uid == ROOT || uid == user ? null : "owned by uid " + uid + ", neither root nor uid " + user;
    }

    private static String octal(int mode) {
        return String.format("%04o", mode & 07777);
    }

    private static LaunchFailure refused(Path path, String why) {
        return new LaunchFailure("will not load code from " + path + ": " + why, null);
    }
}
