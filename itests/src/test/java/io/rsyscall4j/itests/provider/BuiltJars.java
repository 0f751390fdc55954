package io.rsyscall4j.itests.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The api and provider jars exactly as this build made them, plus JNA (copied by the itests pom). */
final class BuiltJars {
    static final Path DIR = Path.of(System.getProperty("rsyscall4j.itests.modulepath"));

    private BuiltJars() {}

    /** The jar of {@code artifact}, e.g. {@code rsyscall4j-provider-jna} or {@code jna}. */
    static Path jar(String artifact) throws IOException {
        try (Stream<Path> jars = Files.list(DIR)) {
            List<Path> found = jars.filter(j -> j.getFileName().toString().startsWith(artifact + "-"))
                    .collect(Collectors.toList());
            assertEquals(1, found.size(), artifact + " jars in " + DIR + ": " + found);
            return found.get(0);
        }
    }
}
