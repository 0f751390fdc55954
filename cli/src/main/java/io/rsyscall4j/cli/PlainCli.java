package io.rsyscall4j.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.function.ToIntFunction;

/**
 * The command line without a framework, found with {@code ServiceLoader} (as a provider of
 * {@code ToIntFunction}): arguments in, exit status out, exactly as {@link CliComponent} does in
 * OSGi but over a {@link PlainRuntimeView}. The launcher runs every command but {@code info}
 * through it, on the same bundle jars, because it starts without booting Felix.
 */
public final class PlainCli implements ToIntFunction<String[]> {
    private static final String BUNDLE = "io.rsyscall4j.cli";

    /** The command line over the jars this class's loader sees. */
    public PlainCli() {
        // for ServiceLoader
    }

    @Override
    public int applyAsInt(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, Charset.defaultCharset());
        PrintWriter err = new PrintWriter(System.err, true, Charset.defaultCharset());
        PlainRuntimeView runtime = new PlainRuntimeView(PlainCli.class.getClassLoader());
        return Cli.run(runtime, () -> version(runtime), out, err, RawText.arguments(args));
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
