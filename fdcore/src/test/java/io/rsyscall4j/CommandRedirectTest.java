package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Command}'s redirects do what {@code ProcessBuilder}'s do: each scenario runs through
 * both and must observe the same (pipes and their EOF, files written, appended and read, DISCARD,
 * redirectErrorStream).
 */
class CommandRedirectTest {
    @TempDir
    Path dir;

    private static String read(InputStream in) throws Exception {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /** The same program set up the same way through each; the scenario's observations compared. */
    private static void same(String provider, String what, Consumer<ProcessBuilder> jdk, Consumer<Command> ours,
            ProcessParity.Scenario scenario, String... argv) throws Exception {
        ProcessParity.same(what, () -> {
            ProcessBuilder pb = new ProcessBuilder(argv);
            jdk.accept(pb);
            return pb.start();
        }, () -> {
            Command c = Command.of(List.of(argv));
            ours.accept(c);
            return c.start(Rsyscall.local(provider));
        }, scenario);
    }

    @BothProviders
    void pipesCarryBothWaysAndEndInEof(String provider) throws Exception {
        same(provider, "pipes", pb -> { }, c -> { }, (p, seen) -> {
            try (OutputStream in = p.getOutputStream()) {
                in.write("to stdin\n".getBytes(StandardCharsets.UTF_8));
            }
            seen.add(read(p.getInputStream()));
            seen.add(read(p.getErrorStream()));
            seen.add(p.getInputStream().read()); // still EOF
            seen.add(p.waitFor());
        }, "sh", "-c", "cat; echo err >&2; exit 5");
    }

    @BothProviders
    void toAppendToAndFromFiles(String provider) throws Exception {
        Path in = dir.resolve("in");
        Files.writeString(in, "from a file\n");
        for (String mode : List.of("to", "appendTo")) {
            Path jdkOut = dir.resolve("jdk-" + mode);
            Path ourOut = dir.resolve("ours-" + mode);
            Files.writeString(jdkOut, "before\n");
            Files.writeString(ourOut, "before\n");
            ProcessParity.same(mode, () -> new ProcessBuilder("cat").redirectInput(Redirect.from(in.toFile()))
                    .redirectOutput(redirect(mode, jdkOut)).start(),
                    () -> Command.of("cat").redirectInput(Redirect.from(in.toFile())).redirectOutput(redirect(mode, ourOut))
                            .start(Rsyscall.local(provider)),
                    (p, seen) -> {
                        seen.add(p.waitFor());
                        seen.add(p.getInputStream().read()); // not a pipe: empty
                    });
            assertEquals(Files.readString(jdkOut), Files.readString(ourOut), mode);
            assertEquals(mode.equals("to") ? "from a file\n" : "before\nfrom a file\n", Files.readString(ourOut));
        }
        Path fresh = dir.resolve("created");
        Command.of("echo", "made").redirectOutput(fresh.toFile()).start(Rsyscall.local(provider)).waitFor();
        assertEquals("made\n", Files.readString(fresh));
    }

    private static Redirect redirect(String mode, Path file) {
        return mode.equals("to") ? Redirect.to(file.toFile()) : Redirect.appendTo(file.toFile());
    }

    @BothProviders
    void discardThrowsTheOutputAway(String provider) throws Exception {
        same(provider, "DISCARD", pb -> pb.redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD),
                c -> c.redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD), (p, seen) -> {
                    seen.add(read(p.getInputStream()));
                    seen.add(read(p.getErrorStream()));
                    seen.add(p.waitFor());
                }, "sh", "-c", "echo out; echo err >&2; exit 3");
    }

    @BothProviders
    void redirectErrorStreamMergesStderrIntoStdout(String provider) throws Exception {
        same(provider, "redirectErrorStream", pb -> pb.redirectErrorStream(true), c -> c.redirectErrorStream(true),
                (p, seen) -> {
                    seen.add(read(p.getInputStream()));
                    seen.add(read(p.getErrorStream()));
                    seen.add(p.waitFor());
                }, "sh", "-c", "echo one; echo two >&2; echo three");
    }

    @BothProviders
    void inheritedStdioIsTheParentsOwn(String provider) throws Exception {
        ChildProcess p = Command.of("sleep", "1000").inheritIO().start(Rsyscall.local(provider));
        try {
            for (int n = 0; n < 3; n++) {
                assertEquals(Kernel.target(n), ChildTestSupport.link(p.pid(), n), "fd " + n);
            }
        } finally {
            p.destroyForcibly().waitFor();
        }
    }
}
