package io.rsyscall4j.cli;

import io.rsyscall4j.Task;
import java.util.List;

/**
 * What the commands may know of the runtime they run in: which providers are registered, which
 * bundles are there and in what state. The OSGi view is the one the launcher uses; keeping the
 * commands behind this interface keeps framework code out of them.
 */
interface RuntimeView {

    /** The name of the framework or module system the commands run in, e.g. "Apache Felix 7.0.5". */
    String container();

    /** The registered providers, best first (highest ranking, then oldest). */
    List<ProviderInfo> providers();

    /**
     * The JVM's local task, served by the provider called {@code name}, or by the best one for
     * {@code null}. Its {@code sysif().provider()} names the provider in use.
     *
     * @throws CommandFailure no such provider is registered (the message names the ones that are)
     */
    Task localTask(String name);

    /** The installed bundles (or modules), with their states. */
    List<BundleInfo> bundles();
}
