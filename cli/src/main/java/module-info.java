/**
 * The rsyscall4j command line: {@code info} and {@code exec}. It runs as a bundle in the launcher's
 * embedded Felix, where it finds the providers (and the local task) as services.
 */
module io.rsyscall4j.cli {
    requires io.rsyscall4j.fdcore;
    requires info.picocli;
    requires java.logging;
    requires static osgi.core;
    requires static org.osgi.service.component.annotations;
    requires static org.osgi.service.cm;

    opens io.rsyscall4j.cli to info.picocli;
}
