package io.rsyscall4j.launcher;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * {@code java -jar rsyscall4j.jar ...}: runs the command line bundle's command on the arguments
 * and exits with the status it returns — {@code info} inside the embedded Felix with every bundle
 * started ({@link EmbeddedFelix}: it reports the bundles' states and the providers' service
 * rankings), every other command on the same bundle jars without a framework
 * ({@link BundleClassPath}), which starts several times faster. {@code -Drsyscall4j.osgi=true}
 * runs every command in Felix.
 *
 * <p>The jar's manifest puts the rsyscall4j bundles and picocli, as files in {@code bundles/}
 * beside the jar, on the JVM's class path, where JDK 25's AOT cache keeps their classes linked:
 * so before anything else, the jar's directory and that one are checked to be the user's or
 * root's and writable by no one else ({@link BesideJar}). Felix never sees those classes; the
 * commands are reached through a JDK type ({@code ToIntFunction<String[]>}).
 */
public final class Main {
    /** The system property that runs every command in the embedded Felix. */
    static final String OSGI_PROPERTY = "rsyscall4j.osgi";

    private Main() {}

    public static void main(String[] args) {
        int status;
        try {
            List<String> onClassPath = BesideJar.check();
            status = inFelix(args) ? runInFelix(args) : runOnClassPath(args, onClassPath);
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

    private static int runOnClassPath(String[] args, List<String> onClassPath) {
        try (BundleClassPath bundles = BundleClassPath.open(onClassPath)) {
            return bundles.commandLine().applyAsInt(args);
        }
    }
}
