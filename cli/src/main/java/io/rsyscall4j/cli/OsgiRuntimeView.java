package io.rsyscall4j.cli;

import io.rsyscall4j.LocalTaskService;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The runtime as the OSGi framework shows it: providers are the registered {@code SyscallInterface}
 * services (ordered as the framework ranks them), bundles are the installed bundles, and the local
 * task is fdcore's {@link LocalTaskService}. A provider asked for by name is selected as any OSGi
 * user would: through ConfigAdmin, with {@code provider.target} on the service's PID. Services it
 * gets are released by {@link #close()}, when the command is done.
 */
final class OsgiRuntimeView implements RuntimeView, AutoCloseable {
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final Pattern PROVIDER_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private final BundleContext context;
    private final List<ServiceReference<?>> used = new ArrayList<>();

    OsgiRuntimeView(BundleContext context) {
        this.context = context;
    }

    @Override
    public String container() {
        Bundle system = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
        return system.getSymbolicName() + " " + system.getVersion();
    }

    @Override
    public List<ProviderInfo> providers() {
        List<ProviderInfo> result = new ArrayList<>();
        for (ServiceReference<SyscallInterface> ref : references(null)) {
            result.add(new ProviderInfo(String.valueOf(ref.getProperty("provider")), ranking(ref),
                    ref.getBundle().getSymbolicName()));
        }
        return result;
    }

    @Override
    public Task localTask(String name) {
        if (name != null && !PROVIDER_NAME.matcher(name).matches()) {
            throw new CommandFailure("bad provider name \"" + name + "\"", CommandFailure.BAD_INPUT);
        }
        List<ServiceReference<SyscallInterface>> refs = references(name == null ? null : "(provider=" + name + ")");
        if (refs.isEmpty()) {
            throw new CommandFailure(name == null
                    ? "no SyscallInterface provider is registered" + bundleHint()
                    : "provider " + name + " is not available (registered: " + names() + ")" + bundleHint(),
                    CommandFailure.BAD_INPUT);
        }
        LocalTaskService service = service(LocalTaskService.class);
        String wanted = name != null ? name : String.valueOf(refs.get(0).getProperty("provider"));
        if (name != null) {
            select(name);
        }
        if (!await(() -> wanted.equals(service.provider()))) {
            throw new CommandFailure("the local task did not move to provider " + wanted + " within "
                    + TimeUnit.NANOSECONDS.toSeconds(WAIT_NANOS) + " s (it uses " + service.provider() + ")", 1);
        }
        try {
            return service.task();
        } catch (SyscallSendError e) {
            throw new CommandFailure("the local task has no provider: " + e.getMessage(), 1, e);
        }
    }

    /** Sets {@code provider.target} on the local task's configuration: SCR rebinds, the task stays. */
    private void select(String name) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(LocalTaskService.PROVIDER_TARGET, "(provider=" + name + ")");
        try {
            Configuration configuration = service(ConfigurationAdmin.class).getConfiguration(LocalTaskService.PID, null);
            configuration.update(properties);
        } catch (IOException e) {
            throw new CommandFailure("cannot configure " + LocalTaskService.PID + ": " + e.getMessage(), 1, e);
        }
    }

    /** The service of {@code type}, waiting for it as bundles start (SCR may still be activating it). */
    private <T> T service(Class<T> type) {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, type, null);
        tracker.open();
        try {
            if (tracker.waitForService(TimeUnit.NANOSECONDS.toMillis(WAIT_NANOS)) == null) {
                throw new CommandFailure("no " + type.getSimpleName() + " service within "
                        + TimeUnit.NANOSECONDS.toSeconds(WAIT_NANOS) + " s" + bundleHint(), 1);
            }
            ServiceReference<T> ref = tracker.getServiceReference();
            T service = context.getService(ref);
            if (service == null) {
                throw new CommandFailure(type.getSimpleName() + " went away", 1);
            }
            used.add(ref);
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while waiting for " + type.getSimpleName(), 1, e);
        } finally {
            tracker.close();
        }
    }

    private static boolean await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        return true;
    }

    @Override
    public List<BundleInfo> bundles() {
        List<BundleInfo> result = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() == 0) {
                continue;
            }
            result.add(new BundleInfo(b.getSymbolicName(), b.getVersion().toString(), state(b.getState()), note(b)));
        }
        return result;
    }

    @Override
    public void close() {
        for (ServiceReference<?> ref : used) {
            context.ungetService(ref);
        }
        used.clear();
    }

    private List<ServiceReference<SyscallInterface>> references(String filter) {
        Collection<ServiceReference<SyscallInterface>> refs;
        try {
            refs = context.getServiceReferences(SyscallInterface.class, filter);
        } catch (InvalidSyntaxException e) {
            throw new CommandFailure("bad provider name in filter " + filter, CommandFailure.BAD_INPUT, e);
        }
        List<ServiceReference<SyscallInterface>> sorted = new ArrayList<>(refs);
        sorted.sort(Comparator.reverseOrder());
        return sorted;
    }

    private String names() {
        String names = providers().stream().map(ProviderInfo::name).collect(Collectors.joining(", "));
        return names.isEmpty() ? "none" : names;
    }

    /** Names unresolved provider bundles, whose requirement usually says why (a newer Java). */
    private String bundleHint() {
        String unresolved = bundles().stream()
                .filter(b -> b.symbolicName().startsWith("io.rsyscall4j.provider.") && !b.note().isEmpty())
                .map(b -> b.symbolicName() + " is " + b.state() + ": " + b.note())
                .collect(Collectors.joining("; "));
        return unresolved.isEmpty() ? "" : "; " + unresolved;
    }

    private static int ranking(ServiceReference<?> ref) {
        return ref.getProperty(Constants.SERVICE_RANKING) instanceof Integer i ? i : 0;
    }

    private static String note(Bundle b) {
        if (b.getState() != Bundle.INSTALLED) {
            return "";
        }
        BundleRevision revision = b.adapt(BundleRevision.class);
        if (revision != null) {
            for (BundleRequirement r : revision.getDeclaredRequirements("osgi.ee")) {
                return "unresolved; requires " + r.getDirectives().get("filter")
                        + ", this is Java " + System.getProperty("java.specification.version");
            }
        }
        return "unresolved";
    }

    private static String state(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "state " + state;
        };
    }
}
