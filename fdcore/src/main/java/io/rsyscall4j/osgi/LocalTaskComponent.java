package io.rsyscall4j.osgi;

import io.rsyscall4j.LocalTaskService;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
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
 *
 * <p>Deactivated — as fdcore's bundle stops, before a refresh or uninstall — it stops fdcore's
 * background threads ({@link Rsyscall#stopBackgroundThreads}): the fd reaper's always, the
 * child spawner's if no child task is alive. A thread that never ends would pin fdcore's class
 * loader for good. If fdcore is used again (the bundle restarted, or a bundle still holding its
 * classes makes a handle or a child), they start again by themselves.
 */
@Component(name = LocalTaskComponent.PID, service = LocalTaskService.class, immediate = true)
public final class LocalTaskComponent implements LocalTaskService {
    /** The component's name and configuration PID (see {@link LocalTaskService#PID}). */
    static final String PID = LocalTaskService.PID;
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.osgi");
    /** How long deactivation waits for each thread (the reaper's last pass closes what was already collected). */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

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

    /**
     * Stops fdcore's background threads (see the class comment). The task is left as it is: its
     * handles may still be in use, and the JVM's table keeps track of them whatever happens to
     * this component.
     */
    @Deactivate
    void deactivate() {
        // Not a warning when children are alive: a program that stops the framework while its
        // exec'd programs run (a launcher) is doing nothing wrong; only a refresh would want to know.
        boolean stopped = Rsyscall.stopBackgroundThreads(STOP_TIMEOUT);
        LOG.log(Level.DEBUG, stopped ? "rsyscall4j background threads stopped with the component"
                : "rsyscall4j-spawner stays after the component's deactivation (child tasks it made are alive);"
                + " it keeps this bundle's class loader");
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
