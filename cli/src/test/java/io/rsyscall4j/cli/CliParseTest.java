package io.rsyscall4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** How the command line reads exec's arguments (parsed only: nothing runs). */
class CliParseTest {
    @TempDir
    Path dir;

    @Test
    void anAtFileArgumentIsTakenAsItIsNeverReadAsArguments() throws IOException {
        Path file = Files.writeString(dir.resolve("args"), "--trace\nsecret\n");
        String at = "@" + file;
        ExecCommand exec = parse("exec", "--fd", "3=null", "--", "echo", at);
        assertEquals(List.of("echo", at), exec.command);
        assertEquals(List.of("3=null"), exec.fds);
        assertEquals(List.of(at, "x"), parse("exec", at, "x").command, "as the program, too");
    }

    @Test
    void theLinesReadWithoutPicocliAreReadAsPicocliReadsThem() {
        List<List<String>> lines = List.of(
                List.of("exec", "--", "true"),
                List.of("exec", "true"),
                List.of("exec", "--listen-fds", "--fd", "3=tcp-listen:127.0.0.1:0", "--", "true"),
                List.of("exec", "--fd=3=null", "--provider=jna", "-a", "--inetd", "--trace", "--fdname", "a:b",
                        "-E", "FOO=1", "--setenv", "BAR", "--", "prog", "-x", "--trace", "--"),
                List.of("exec", "--fd", "3=null", "prog", "--fd", "4=null"),
                List.of("exec", "-E", "X=1", "--fdname=web", "--fdname", "x", "--accept", "--fd", "3=null",
                        "--fd", "4=null", "sh", "-c", "echo"),
                List.of("exec", "--fd", "", "--setenv=", "--", "--"),
                List.of("exec", "--provider", "ffm", "--fd", "0=file:/x\u00ff", "@x", "@y"));
        for (List<String> line : lines) {
            String[] args = line.toArray(String[]::new);
            ExecCommand quick = ExecArguments.parse(null, null, args);
            if (quick == null) {
                throw new AssertionError("left to picocli: " + line);
            }
            assertEquals(fields(parse(args)), fields(quick), String.join(" ", line));
        }
    }

    @Test
    void helpMistakesAndTheRareOptionsAreLeftToPicocli() {
        List<List<String>> lines = List.of(
                List.of(), List.of("info"), List.of("--help"), List.of("exec"), List.of("exec", "--"),
                List.of("exec", "--fd", "3=null"), List.of("exec", "--fd"), List.of("exec", "--fd", "3=null", "--"),
                List.of("exec", "-h"), List.of("exec", "--help", "true"), List.of("exec", "-V", "true"),
                List.of("exec", "--trace", "--trace", "true"), List.of("exec", "-a", "--accept", "true"),
                List.of("exec", "--provider", "ffm", "--provider=jna", "true"),
                List.of("exec", "--unshare", "net", "true"), List.of("exec", "--cwd", "/", "true"),
                List.of("exec", "--fd", "--trace", "true"), List.of("exec", "-E", "-x", "true"),
                List.of("exec", "--listen-fds=true", "true"), List.of("exec", "-aE", "X", "true"),
                List.of("exec", "-EX=1", "true"), List.of("exec", "-", "true"), List.of("exec", "--no-such", "true"));
        for (List<String> line : lines) {
            assertNull(ExecArguments.parse(null, null, line.toArray(String[]::new)), String.join(" ", line));
        }
    }

    /** What a parse sets in exec, as text. */
    private static String fields(ExecCommand e) {
        ActivationOptions a = e.activation;
        return "provider=" + e.provider + " fds=" + e.fds + " listenFds=" + a.listenFds + " accept=" + a.accept
                + " inetd=" + a.inetd + " fdname=" + a.fdnameOptions + " setenv=" + a.setenvOptions + " trace="
                + e.trace + " command=" + e.command;
    }

    /** exec as picocli parses {@code args} in the command line Cli runs. */
    static ExecCommand parse(String... args) {
        PrintWriter quiet = new PrintWriter(new StringWriter());
        CommandLine commandLine = Cli.commandLine(null, () -> "test", quiet, quiet);
        commandLine.parseArgs(args);
        return commandLine.getSubcommands().get("exec").getCommand();
    }
}
