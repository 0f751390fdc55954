package io.rsyscall4j.cli;

import java.io.PrintWriter;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * Builds the command line and runs one command. Every failure ends as one line on stderr, starting
 * with {@code rsyscall4j:} (control characters written as {@code \xNN}), and a non-zero status: a usage error 2, a program that could not be run
 * 126 or 127 (as shells do), anything else 1.
 */
final class Cli {
    private Cli() {}

    /** Runs the command {@code args} name; {@code version} is asked only by {@code --version}. */
    static int run(RuntimeView runtime, Supplier<String> version, PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new Rsyscall4jCommand())
                .addSubcommand(new InfoCommand(runtime))
                .addSubcommand(new ExecCommand(runtime));
        // exec's program and its arguments are never options of ours, even without "--".
        commandLine.getSubcommands().get("exec").setStopAtPositional(true);
        commandLine.getCommandSpec().versionProvider(() -> new String[] {"rsyscall4j " + version.get()});
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((e, a) -> {
            err.println("rsyscall4j: " + RawText.show(e.getMessage()) + " (see rsyscall4j --help)");
            err.flush();
            return CommandFailure.BAD_INPUT;
        });
        commandLine.setExecutionExceptionHandler((e, c, parsed) -> {
            if (e instanceof CommandFailure f) {
                err.println("rsyscall4j: " + Text.show(f.getMessage()));
                err.flush();
                return f.status();
            }
            err.println("rsyscall4j: " + Text.show(e.toString()));
            err.flush();
            return 1;
        });
        int status = commandLine.execute(args);
        out.flush();
        err.flush();
        return status;
    }
}
