package io.rsyscall4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    /** exec as picocli parses {@code args} in the command line Cli runs. */
    static ExecCommand parse(String... args) {
        PrintWriter quiet = new PrintWriter(new StringWriter());
        CommandLine commandLine = Cli.commandLine(null, () -> "test", quiet, quiet);
        commandLine.parseArgs(args);
        return commandLine.getSubcommands().get("exec").getCommand();
    }
}
