package io.rsyscall4j.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.function.ToIntFunction;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The command line as a service the launcher calls: arguments in, exit status out. The commands
 * get the arguments as the bytes the process got ({@link RawText#arguments}), not as the JVM
 * decoded them. Its type is a
 * JDK one ({@code ToIntFunction<String[]>}) so that the launcher, which lives outside the
 * framework, shares no class with the bundles.
 */
@Component(service = ToIntFunction.class, property = "rsyscall4j.cli=main")
public final class CliComponent implements ToIntFunction<String[]> {
    private final BundleContext context;

    @Activate
    public CliComponent(BundleContext context) {
        this.context = context;
    }

    @Override
    public int applyAsInt(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, Charset.defaultCharset());
        PrintWriter err = new PrintWriter(System.err, true, Charset.defaultCharset());
        try (OsgiRuntimeView runtime = new OsgiRuntimeView(context)) {
            return Cli.run(runtime, () -> context.getBundle().getVersion().toString(), out, err, RawText.arguments(args));
        }
    }
}
