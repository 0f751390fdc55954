/**
 * The rsyscall4j command line: {@code info} and {@code exec}. It runs as a bundle in the launcher's
 * embedded Felix, where it finds the providers (and the local task) as services, or without a
 * framework, on a class path, as the {@code ServiceLoader} provider of {@code ToIntFunction}
 * ({@code PlainCli}), where fdcore finds the providers with {@code ServiceLoader}.
 */
module io.rsyscall4j.cli {
    requires io.rsyscall4j.fdcore;
    requires info.picocli;
    requires java.logging;
    requires static osgi.core;
    requires static org.osgi.service.component.annotations;
    requires static org.osgi.service.cm;

    opens io.rsyscall4j.cli to info.picocli;

    provides java.util.function.ToIntFunction with io.rsyscall4j.cli.PlainCli;
}
