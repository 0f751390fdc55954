package io.rsyscall4j.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** What the launcher reads from its own jar: the bundle jars and the lists that name them. */
final class LauncherJar {
    private LauncherJar() {}

    /** The entry {@code name} (relative to this package, or absolute with a leading slash). */
    static InputStream open(String name) throws IOException {
        InputStream in = LauncherJar.class.getResourceAsStream(name);
        if (in == null) {
            throw new IOException(name + " is missing from the launcher jar");
        }
        return in;
    }

    /** The names the list {@code name} holds, one a line; blank lines and {@code #} comments left out. */
    static List<String> listed(String name) throws IOException {
        List<String> names = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(open(name), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String entry = line.strip();
                if (!entry.isEmpty() && !entry.startsWith("#")) {
                    names.add(entry);
                }
            }
        }
        return names;
    }
}
