package io.rsyscall4j.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the launcher as a user would, in its own process, and keeps what it printed. */
final class Run {
    static final long TIMEOUT_SECONDS = 120;

    /** The jar the build made. */
    static Path jarPath() {
        String jar = System.getProperty("rsyscall4j.launcher.jar");
        if (jar == null) {
            throw new IllegalStateException("system property rsyscall4j.launcher.jar is not set (run through Maven)");
        }
        return Path.of(jar);
    }

    /** The java of the JDK running the tests, for {@code java -jar}. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * {@code java -jar rsyscall4j.jar ARGS}, as the {@code rsyscall4j} script runs it: on Java 23+
     * with {@code --sun-misc-unsafe-memory-access=allow}, since Felix's framework touches
     * {@code sun.misc.Unsafe} and the JDK would warn on stderr.
     */
    static Result launch(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(quietFelix());
        command.addAll(List.of("-jar", jarPath().toString()));
        command.addAll(List.of(args));
        return command(command, Map.of());
    }

    static List<String> quietFelix() {
        return Runtime.version().feature() >= 23 ? List.of("--sun-misc-unsafe-memory-access=allow") : List.of();
    }

    static Result command(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        File out = File.createTempFile("rsyscall4j-test-out", ".txt");
        File err = File.createTempFile("rsyscall4j-test-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out).redirectError(err)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                    Files.readString(err.toPath(), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out.toPath());
            Files.deleteIfExists(err.toPath());
        }
    }

    /** What a run printed and its exit status. */
    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "status " + status + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }
}
