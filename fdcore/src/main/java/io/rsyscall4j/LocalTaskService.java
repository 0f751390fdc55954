package io.rsyscall4j;

import io.rsyscall4j.api.SyscallSendError;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The JVM's own task, as an OSGi service (registered by the fdcore bundle).
 *
 * <p>The task makes its syscalls through whichever {@code SyscallInterface} service is best now:
 * the highest ranking one, or the one the configuration {@code io.rsyscall4j.local} selects with
 * {@code provider.target}, e.g. {@code (provider=jna)}. When that provider goes away, the task —
 * and every handle of it — goes on through the next one: no handle is invalidated and no fd is
 * closed, since all providers make syscalls in this same process. With no provider at all, calls
 * fail with {@link SyscallSendError} ("no SyscallInterface provider") and work again once one
 * returns.
 *
 * <p>A provider type in OSGi's terms: only fdcore implements it; bundles use it, so a method added
 * here is a minor change for them.
 */
@ProviderType
public interface LocalTaskService {

    /** The configuration PID (and component name) of the fdcore component that registers this service. */
    String PID = "io.rsyscall4j.local";

    /** The configuration property that selects the provider: an LDAP filter, e.g. {@code (provider=jna)}. */
    String PROVIDER_TARGET = "provider.target";

    /**
     * The local task; the same one for as long as this service is registered.
     *
     * @throws SyscallSendError no provider has been available yet, so the task could not be made
     */
    Task task() throws SyscallSendError;

    /** The provider serving the task now ({@code "ffm"}, {@code "jna"}), or {@code "none"}. */
    String provider();
}
