package io.rsyscall4j.launcher;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The bundle jars the launcher jar's manifest puts on the JVM's class path ({@code Class-Path:
 * bundles/...}, files in {@code bundles/} beside the jar, which the build puts there), where the
 * AOT cache keeps their classes linked. The JVM opens them only when a class is not found in the
 * launcher jar, so {@link #check()} runs before any other code of the launcher.
 */
final class BesideJar {
    static final String DIR = "bundles";

    private BesideJar() {}

    /**
     * Checks the launcher jar, its directory and, if there is a {@code bundles/} beside it, that
     * directory and the jars the manifest names in it ({@link TrustedFiles}: the jar's directory
     * even without {@code bundles/}, which no one else may then create); returns the names of
     * those jars ({@code rsyscall4j-cli.jar}, ...), empty if there is no {@code bundles/}.
     *
     * @throws LaunchFailure a file breaks the rule, or {@code bundles/} lacks a jar the manifest names
     */
    static List<String> check() {
        Path jar = launcherJar();
        if (jar == null) {
            return List.of(); // classes from a directory: no manifest, no Class-Path
        }
        Path dir = jar.getParent();
        TrustedFiles.checkWithAncestors(dir);
        TrustedFiles.check(jar);
        Path bundles = dir.resolve(DIR);
        if (!Files.exists(bundles, NOFOLLOW_LINKS)) {
            return List.of();
        }
        TrustedFiles.check(bundles);
        List<String> names = new ArrayList<>();
        for (String entry : classPath(jar)) {
            Path file = dir.resolve(entry).normalize();
            if (!bundles.equals(file.getParent())) {
                throw new LaunchFailure("the launcher jar's Class-Path names " + entry + ", not a jar in " + bundles, null);
            }
            if (!Files.exists(file, NOFOLLOW_LINKS)) {
                throw new LaunchFailure(file + " is missing (the launcher jar's Class-Path names it): build the launcher again", null);
            }
            TrustedFiles.check(file);
            names.add(file.getFileName().toString());
        }
        return names;
    }

    /**
     * The jar this class was loaded from, or null if it came from a directory: by its path as
     * given to {@code java -jar} (made absolute) when that names the same file, since the JVM
     * reports the code source by its real path, and the directories above the path as given
     * matter too.
     */
    private static Path launcherJar() {
        CodeSource source = BesideJar.class.getProtectionDomain().getCodeSource();
        if (source == null) {
            return null;
        }
        Path path;
        try {
            path = Path.of(source.getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new LaunchFailure("cannot tell where the launcher jar is: " + source.getLocation(), e);
        }
        if (!Files.isRegularFile(path)) {
            return null;
        }
        try {
            Path given = Path.of(System.getProperty("java.class.path", "")).toAbsolutePath();
            return Files.isSameFile(given, path) ? given : path;
        } catch (IOException | IllegalArgumentException e) {
            return path; // a class path of several entries, or one that names nothing
        }
    }

    /** The entries of the {@code Class-Path} of {@code jar}'s manifest, as written. */
    private static List<String> classPath(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String value = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            return value == null || value.isBlank() ? List.of() : List.of(value.strip().split(" +"));
        } catch (IOException e) {
            throw new LaunchFailure("cannot read the manifest of " + jar, e);
        }
    }
}
