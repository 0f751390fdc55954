package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A launcher (ours or {@code systemd-socket-activate}) running in the background: its stdout and
 * stderr lines as they come, waited for with a deadline.
 */
final class Launched implements AutoCloseable {
    private static final String EOF = "\u0000eof";

    private final Process process;
    private final BlockingQueue<String> out = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> err = new LinkedBlockingQueue<>();
    private final List<String> errSeen = new ArrayList<>();

    private Launched(Process process) {
        this.process = process;
        drain(process.getInputStream(), out);
        drain(process.getErrorStream(), err);
    }

    /** Starts {@code command}, stdin from /dev/null. */
    static Launched start(List<String> command) throws IOException {
        return new Launched(new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start());
    }

    /** {@code java -jar rsyscall4j.jar ARGS}. */
    static Launched ours(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Run.java()));
        command.addAll(Run.quietFelix());
        command.addAll(List.of("-jar", Run.jarPath().toString()));
        command.addAll(List.of(args));
        return start(command);
    }

    long pid() {
        return process.pid();
    }

    /** Waits for a stderr line that {@code matches}; fails if the process ends first or the deadline passes. */
    String awaitErr(Predicate<String> matches, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Run.TIMEOUT_SECONDS);
        while (true) {
            String line = err.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(EOF)) {
                throw new AssertionError("no stderr line " + what + " came; stderr was: " + errSeen);
            }
            errSeen.add(line);
            if (matches.test(line)) {
                return line;
            }
        }
    }

    /** The stdout lines up to (not with) {@code last}, waited for with the deadline. */
    List<String> outUntil(String last) throws InterruptedException {
        List<String> lines = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Run.TIMEOUT_SECONDS);
        while (true) {
            String line = out.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(EOF)) {
                throw new AssertionError("no line \"" + last + "\" on stdout; got " + lines + ", stderr " + errSeen + err);
            }
            if (line.equals(last)) {
                return lines;
            }
            lines.add(line);
        }
    }

    /** Sends {@code signal} (e.g. TERM) with kill(1). */
    void kill(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(process.pid())).start();
        assertTrue(kill.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -s " + signal);
    }

    /** Waits for the process to end; returns its status. */
    int awaitExit() throws InterruptedException {
        assertTrue(process.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS), "the launcher ended; stderr: " + errSeen + err);
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    private static void drain(InputStream in, BlockingQueue<String> to) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    to.add(line);
                }
            } catch (IOException e) {
                to.add("(reading failed: " + e + ")");
            } finally {
                to.add(EOF);
            }
        });
        t.setDaemon(true);
        t.start();
    }
}
