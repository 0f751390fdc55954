package io.rsyscall4j.launcher;

import java.util.function.ToIntFunction;

/**
 * {@code java -jar rsyscall4j.jar ...}: runs the command line bundle's command on the arguments
 * and exits with the status it returns — {@code info} inside the embedded Felix with every bundle
 * started ({@link EmbeddedFelix}: it reports the bundles' states and the providers' service
 * rankings), every other command on the same bundle jars without a framework
 * ({@link BundleClassPath}), which starts several times faster. {@code -Drsyscall4j.osgi=true}
 * runs every command in Felix.
 *
 * <p>Only the framework's classes are on this class path; the commands are reached through a JDK
 * type ({@code ToIntFunction<String[]>}), so no rsyscall4j class is ever loaded twice.
 */
public final class Main {
    /** The system property that runs every command in the embedded Felix. */
    static final String OSGI_PROPERTY = "rsyscall4j.osgi";

    private Main() {}

    public static void main(String[] args) {
        int status;
        try {
            status = inFelix(args) ? runInFelix(args) : runOnClassPath(args);
        } catch (LaunchFailure e) {
            System.err.println("rsyscall4j: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    private static boolean inFelix(String[] args) {
        return Boolean.getBoolean(OSGI_PROPERTY) || (args.length > 0 && args[0].equals("info"));
    }

    private static int runInFelix(String[] args) {
        try (EmbeddedFelix felix = EmbeddedFelix.start()) {
            ToIntFunction<String[]> cli = felix.commandLine();
            return cli.applyAsInt(args);
        }
    }

    private static int runOnClassPath(String[] args) {
        try (BundleClassPath bundles = BundleClassPath.open()) {
            return bundles.commandLine().applyAsInt(args);
        }
    }
}
