package io.rsyscall4j.launcher;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The launcher's private directory in {@code java.io.tmpdir}: made mode 0700 by the {@code mkdir}
 * that creates it, never removed or recreated while the launcher runs, and the parent of
 * everything the launcher writes (Felix's bundle cache, JNA's native library), so no other user can
 * create, replace or write anything the launcher loads, whatever the umask.
 *
 * <p>Its name, {@code rsyscall4j-PID-START-RANDOM}, tells which process made it ({@code START} is
 * the process's start time in clock ticks, field 22 of {@code /proc/PID/stat}), so a later launcher
 * can remove the directories of launchers that were killed before they could: those owned by the
 * same user, real directories (not symbolic links) of mode 0700, whose process is gone and whose
 * Felix cache lock is free. Removal goes through directory fds ({@link SecureDirectoryStream}),
 * never following a link.
 */
final class PrivateCache {
    static final String PREFIX = "rsyscall4j-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d{1,10})-(\\d{1,20})-\\d+");
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    /** Felix's lock file in its storage directory, held while a framework uses it. */
    private static final String FELIX_LOCK = "cache.lock";
    static final String FELIX_DIR = "felix";
    static final String JNA_DIR = "jna";

    private PrivateCache() {}

    /** Where the private directories are made: {@code java.io.tmpdir}. */
    static Path tmpdir() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Makes this launcher's directory (mode 0700 from its creation) in {@code tmpdir}. */
    static Path create(Path tmpdir) throws IOException {
        Path dir = Files.createTempDirectory(tmpdir, PREFIX + ProcessHandle.current().pid() + "-" + startTime("self") + "-");
        PosixFileAttributes attributes = Files.readAttributes(dir, PosixFileAttributes.class, NOFOLLOW_LINKS);
        if (!attributes.isDirectory() || !attributes.permissions().equals(OWNER_ONLY)) {
            throw new IOException(dir + " was not created private (mode 0700)");
        }
        return dir;
    }

    /**
     * Removes the directories in {@code tmpdir} that launchers of this user left behind when they
     * were killed (see the class comment); {@code own} is this launcher's, whose owner is the user.
     * Anything that does not look exactly like such a directory is left alone.
     */
    static void removeStale(Path tmpdir, Path own) throws IOException {
        UserPrincipal me = Files.getOwner(own, NOFOLLOW_LINKS);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmpdir, PREFIX + "*")) {
            if (!(entries instanceof SecureDirectoryStream)) {
                return;
            }
            SecureDirectoryStream<Path> parent = (SecureDirectoryStream<Path>) entries;
            for (Path entry : entries) {
                Path name = entry.getFileName();
                Matcher m = NAME.matcher(name.toString());
                if (!m.matches() || entry.equals(own) || alive(m.group(1), m.group(2))) {
                    continue;
                }
                try {
                    removeIfStale(parent, name, me);
                } catch (NoSuchFileException gone) {
                    // another launcher removed it meanwhile
                } catch (IOException e) {
                    System.err.println("rsyscall4j: could not remove the stale cache " + entry + ": " + e.getMessage());
                }
            }
        }
    }

    private static void removeIfStale(SecureDirectoryStream<Path> parent, Path name, UserPrincipal me) throws IOException {
        if (!parent.getFileAttributeView(name, PosixFileAttributeView.class, NOFOLLOW_LINKS).readAttributes().isDirectory()) {
            return;
        }
        // Opened without following a link, then checked through the fd: what is checked is what is deleted.
        try (SecureDirectoryStream<Path> dir = parent.newDirectoryStream(name, NOFOLLOW_LINKS)) {
            PosixFileAttributes attributes = dir.getFileAttributeView(PosixFileAttributeView.class).readAttributes();
            if (!attributes.owner().equals(me) || !attributes.permissions().equals(OWNER_ONLY) || felixLockHeld(dir)) {
                return;
            }
            deleteContents(dir);
        }
        parent.deleteDirectory(name);
    }

    /** Deletes the launcher's own directory {@code dir} and everything in it, following no link. */
    static void delete(Path dir) throws IOException {
        Path parentPath = dir.toAbsolutePath().getParent();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parentPath, dir.getFileName().toString())) {
            if (!(entries instanceof SecureDirectoryStream)) {
                throw new IOException("this platform cannot remove " + dir + " through directory fds");
            }
            SecureDirectoryStream<Path> parent = (SecureDirectoryStream<Path>) entries;
            try (SecureDirectoryStream<Path> own = parent.newDirectoryStream(dir.getFileName(), NOFOLLOW_LINKS)) {
                deleteContents(own);
            }
            parent.deleteDirectory(dir.getFileName());
        }
    }

    private static void deleteContents(SecureDirectoryStream<Path> dir) throws IOException {
        for (Path entry : dir) {
            Path name = entry.getFileName();
            PosixFileAttributes attributes = dir.getFileAttributeView(name, PosixFileAttributeView.class, NOFOLLOW_LINKS)
                    .readAttributes();
            if (attributes.isDirectory()) {
                try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(name, NOFOLLOW_LINKS)) {
                    deleteContents(sub);
                }
                dir.deleteDirectory(name);
            } else {
                dir.deleteFile(name);
            }
        }
    }

    /** Whether a framework holds the lock of the Felix cache in {@code dir}. */
    private static boolean felixLockHeld(SecureDirectoryStream<Path> dir) throws IOException {
        SecureDirectoryStream<Path> felix;
        try {
            felix = dir.newDirectoryStream(Path.of(FELIX_DIR), NOFOLLOW_LINKS);
        } catch (NoSuchFileException none) {
            return false;
        }
        try (felix; FileChannel lock = (FileChannel) felix.newByteChannel(Path.of(FELIX_LOCK),
                Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, NOFOLLOW_LINKS))) {
            try (FileLock held = lock.tryLock()) {
                return held == null;
            } catch (OverlappingFileLockException ours) {
                return true;
            }
        } catch (NoSuchFileException none) {
            return false;
        }
    }

    /** Whether process {@code pid} runs and started at {@code start} (so it is the one that made the directory). */
    private static boolean alive(String pid, String start) {
        try {
            return startTime(pid).equals(start);
        } catch (IOException gone) {
            return false;
        }
    }

    /** Field 22 of {@code /proc/PID/stat}: the process's start time in clock ticks after boot. */
    static String startTime(String pid) throws IOException {
        String stat = new String(Files.readAllBytes(Path.of("/proc", pid, "stat")), StandardCharsets.ISO_8859_1);
        // The command name (field 2) is in parentheses and may hold anything: count from after it.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return fields[22 - 3];
    }
}
