package io.rsyscall4j.cli;

import io.rsyscall4j.Task;
import io.rsyscall4j.api.SyscallInterface;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rsyscall4j info}: what this JVM and kernel offer, and which provider would serve. The
 * first thing to run when something does not work: it shows an unresolved provider bundle and the
 * Java version it wants, and which syscalls the kernel lacks.
 */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the JDK, the providers (in use and available), bundle states and kernel features.")
final class InfoCommand implements Callable<Integer> {
    private final RuntimeView runtime;

    @Spec
    CommandSpec spec;

    @Option(names = "--provider", paramLabel = "P", description = "Use provider P (ffm or jna) rather than the best available.")
    String provider;

    InfoCommand(RuntimeView runtime) {
        this.runtime = runtime;
    }

    @Override
    public Integer call() {
        // Choose first: a provider that is not there is an error, and then nothing else is printed.
        Task task = runtime.localTask(provider);
        SyscallInterface sysif = task.sysif();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("JDK: %s (%s) at %s%n", System.getProperty("java.version"),
                System.getProperty("java.vendor"), System.getProperty("java.home"));
        out.printf("OS: %s %s %s%n", System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("os.arch"));
        out.printf("container: %s%n", runtime.container());
        out.printf("provider in use: %s%n", sysif.provider());
        out.println("providers available:");
        for (ProviderInfo p : runtime.providers()) {
            out.printf("  %s%n", p);
        }
        out.println("bundles:");
        for (BundleInfo b : runtime.bundles()) {
            out.printf("  %-36s %-22s %s%s%n", b.symbolicName(), b.version(), b.state(),
                    b.note().isEmpty() ? "" : " (" + b.note() + ")");
        }
        out.println("kernel features:");
        for (KernelFeature f : KernelFeature.probe(sysif)) {
            out.printf("  %s%n", f);
        }
        out.flush();
        return 0;
    }
}
