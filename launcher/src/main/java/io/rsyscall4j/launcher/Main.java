package io.rsyscall4j.launcher;

import java.util.function.ToIntFunction;

/**
 * {@code java -jar rsyscall4j.jar ...}: boots the embedded Felix with every bundle, hands the
 * arguments to the command line bundle, and exits with the status it returns.
 *
 * <p>Only the framework's classes are on this class path; the commands run inside the framework
 * and are reached through a service of a JDK type, so no rsyscall4j class is ever loaded twice.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int status;
        try (EmbeddedFelix felix = EmbeddedFelix.start()) {
            ToIntFunction<String[]> cli = felix.commandLine();
            status = cli.applyAsInt(args);
        } catch (LaunchFailure e) {
            System.err.println("rsyscall4j: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }
}
