package io.rsyscall4j.cli;

import io.rsyscall4j.api.SyscallInterface;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;

/**
 * The runtime as the OSGi framework shows it: providers are the registered {@code SyscallInterface}
 * services (ordered as the framework ranks them), bundles are the installed bundles. Services it
 * hands out are released by {@link #close()}, when the command is done.
 */
final class OsgiRuntimeView implements RuntimeView, AutoCloseable {
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
    public SyscallInterface provider(String name) {
        List<ServiceReference<SyscallInterface>> refs = references(name == null ? null : "(provider=" + name + ")");
        if (refs.isEmpty()) {
            throw new CommandFailure(name == null
                    ? "no SyscallInterface provider is registered" + bundleHint()
                    : "provider " + name + " is not available (registered: " + names() + ")" + bundleHint(),
                    CommandFailure.BAD_INPUT);
        }
        ServiceReference<SyscallInterface> best = refs.get(0);
        SyscallInterface service = context.getService(best);
        if (service == null) {
            throw new CommandFailure("provider " + name + " went away", 1);
        }
        used.add(best);
        return service;
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
