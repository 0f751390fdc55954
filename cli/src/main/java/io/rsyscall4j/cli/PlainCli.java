package io.rsyscall4j.cli;

import io.rsyscall4j.Rsyscall;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.function.ToIntFunction;

/**
 * The command line without a framework, found with {@code ServiceLoader} (as a provider of
 * {@code ToIntFunction}): arguments in, exit status out, exactly as {@link CliComponent} does in
 * OSGi but over a {@link PlainRuntimeView}. The launcher runs every command but {@code info}
 * through it, on the same bundle jars, because it starts without booting Felix.
 */
public final class PlainCli implements ToIntFunction<String[]> {
    private static final String BUNDLE = "io.rsyscall4j.cli";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** The command line over the jars this class's loader sees. */
    public PlainCli() {
        // for ServiceLoader
    }

    @Override
    public int applyAsInt(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, Charset.defaultCharset());
        PrintWriter err = new PrintWriter(System.err, true, Charset.defaultCharset());
        PlainRuntimeView runtime = new PlainRuntimeView(PlainCli.class.getClassLoader());
        try {
            return Cli.run(runtime, () -> version(runtime), out, err, RawText.arguments(args));
        } finally {
            // As fdcore's component does when Felix stops. Here it is for the JVM's exit, which
            // waits up to 300 ms for any thread blocked in a native call (the process watcher's
            // epoll_wait) before it ends the process.
            Rsyscall.stopBackgroundThreads(STOP_TIMEOUT);
        }
    }

    /** This bundle's version, as its manifest gives it (OSGi would report the same). */
    private static String version(PlainRuntimeView runtime) {
        for (BundleInfo b : runtime.bundles()) {
            if (b.symbolicName().equals(BUNDLE)) {
                return b.version();
            }
        }
        return "(unknown version)";
    }
}
