package io.rsyscall4j.launcher;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The rule for the files the launcher loads code from beside its jar (the bundle jars on its
 * class path): each is a real directory or regular file, not a symbolic link, owned by root or
 * by the user the launcher runs as, and writable by no one else (no group or other write
 * permission). Then no other user can create, replace or change what the JVM loads; the launcher
 * may run as root.
 */
final class TrustedFiles {
    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int ROOT = 0;

    private TrustedFiles() {}

    /**
     * Checks {@code path} against the rule.
     *
     * @throws LaunchFailure it breaks the rule, or its attributes cannot be read; the message names
     *     the path and what is wrong
     */
    static void check(Path path) {
        Map<String, Object> a;
        int user;
        try {
            a = Files.readAttributes(path, "unix:uid,mode,isDirectory,isRegularFile", NOFOLLOW_LINKS);
            // /proc/self belongs to the process's effective user.
            user = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            throw refused(path, "its owner and mode cannot be read (" + e.getMessage() + ")");
        }
        int uid = (Integer) a.get("uid");
        int mode = (Integer) a.get("mode");
        if (!(Boolean) a.get("isDirectory") && !(Boolean) a.get("isRegularFile")) {
            throw refused(path, "it is not a directory or a regular file (a symbolic link?)");
        }
        if (uid != ROOT && uid != user) {
            throw refused(path, "it is owned by uid " + uid + ", neither root nor uid " + user);
        }
        if ((mode & GROUP_OR_OTHER_WRITE) != 0) {
            throw refused(path, "it is writable by group or others (mode " + String.format("%04o", mode & 07777) + ")");
        }
    }

    private static LaunchFailure refused(Path path, String why) {
        return new LaunchFailure("will not load code from " + path + ": " + why, null);
    }
}
