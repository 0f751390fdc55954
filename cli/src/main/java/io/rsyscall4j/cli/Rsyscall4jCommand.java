package io.rsyscall4j.cli;

import picocli.CommandLine.Command;

/** The top command: {@code rsyscall4j <subcommand>}; alone, it prints the usage. */
@Command(name = "rsyscall4j", mixinStandardHelpOptions = true,
        description = "Run programs with exactly the file descriptors you give them, through rsyscall4j.")
final class Rsyscall4jCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a command is required (info or exec)");
    }
}
