package io.rsyscall4j.osgi;

import io.rsyscall4j.LocalTaskService;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.lang.System.Logger.Level;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Registers the JVM's local task ({@link LocalTaskService}) and keeps it served by the best
 * {@link SyscallInterface} service there is.
 *
 * <p>The reference is dynamic and greedy: SCR binds the highest ranking provider, rebinds when a
 * better one appears, and falls back to the next when the bound one goes away — all without
 * deactivating this component, so the task and its handles outlive any provider. It is optional:
 * with no provider the service stays, and calls fail with {@code SyscallSendError} until one
 * returns. Configuration {@value #PID} with {@code provider.target} (an LDAP filter such as
 * {@code (provider=jna)}) narrows the choice; SCR applies a new target without a restart.
 *
 * <p>The task itself is made by fdcore's {@link Rsyscall#local(SyscallInterface)} over a
 * {@link DelegatingSyscallInterface}: this class is the only framework-aware code in fdcore.
 */
@Component(name = LocalTaskComponent.PID, service = LocalTaskService.class, immediate = true)
public final class LocalTaskComponent implements LocalTaskService {
    /** The component's name and configuration PID (see {@link LocalTaskService#PID}). */
    static final String PID = LocalTaskService.PID;
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.osgi");

    private final DelegatingSyscallInterface sysif = new DelegatingSyscallInterface();
    private Task task;

    @Reference(name = "provider", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindProvider(SyscallInterface provider, Map<String, Object> properties) {
        sysif.use(provider);
        LOG.log(Level.DEBUG, "local task now served by {0} {1}", provider.provider(), properties);
        synchronized (this) {
            if (task == null) {
                task = Rsyscall.local(sysif);
            }
        }
    }

    void unbindProvider(SyscallInterface provider) {
        sysif.release(provider);
        LOG.log(Level.DEBUG, "provider {0} gone; local task now served by {1}", provider.provider(), sysif.provider());
    }

    /**
     * Takes a new configuration (a new {@code provider.target}) in place. Without a modified method
     * SCR would deactivate this component and make a new one — a new task, and every handle of the
     * old one cut off from its provider. With it, SCR just rebinds the dynamic reference.
     */
    @Modified
    void modified(Map<String, Object> configuration) {
        LOG.log(Level.DEBUG, "provider target now {0}", configuration.get(PROVIDER_TARGET));
    }

    @Override
    public synchronized Task task() throws SyscallSendError {
        if (task == null) {
            throw new SyscallSendError("local task: " + DelegatingSyscallInterface.NO_PROVIDER);
        }
        return task;
    }

    @Override
    public String provider() {
        return sysif.provider();
    }
}
