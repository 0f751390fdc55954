package io.rsyscall4j.cli;

import java.io.IOException;
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
        ExecCommand exec = ExecArguments.parse(runtime, err, args);
        int status;
        if (exec != null) {
            try {
                status = exec.call();
            } catch (Exception e) {
                status = failed(e, err);
            }
        } else {
            status = commandLine(runtime, version, out, err).execute(args);
        }
        out.flush();
        err.flush();
        return status;
    }

    /** The command line of every command, its output to {@code out} and {@code err}. */
    static CommandLine commandLine(RuntimeView runtime, Supplier<String> version, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new Rsyscall4jCommand())
                .addSubcommand(new InfoCommand(runtime))
                .addSubcommand(new ExecCommand(runtime, err));
        // exec's program and its arguments are never options of ours, even without "--".
        commandLine.getSubcommands().get("exec").setStopAtPositional(true);
        // An argument @FILE is an argument, never FILE's contents (the launcher may run as root).
        commandLine.setExpandAtFiles(false);
        commandLine.getCommandSpec().versionProvider(() -> new String[] {"rsyscall4j " + version.get()});
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((e, a) -> {
            err.println("rsyscall4j: " + RawText.show(e.getMessage()) + " (see rsyscall4j --help)");
            err.flush();
            return CommandFailure.BAD_INPUT;
        });
        commandLine.setExecutionExceptionHandler((e, c, parsed) -> failed(e, err));
        return commandLine;
    }

    /** Reports a command's failure on {@code err}; returns the exit status. */
    static int failed(Exception e, PrintWriter err) {
        if (e instanceof CommandFailure f) {
            err.println("rsyscall4j: " + Text.show(f.getMessage()));
            err.flush();
            return f.status();
        }
        // An I/O failure's message names the syscall and the errno; anything else is a bug to name by its class.
        err.println("rsyscall4j: " + Text.show(e instanceof IOException ? e.getMessage() : e.toString()));
        err.flush();
        return 1;
    }
}
