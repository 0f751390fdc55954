package io.rsyscall4j.itests.osgi;

import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;

/** Waits on services and finds bundles, with deadlines rather than sleeps. */
final class Services {
    static final long TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(20);

    private Services() {}

    /**
     * Waits until a service of {@code type} matching {@code filter} is registered and returns it,
     * gotten through the test's own bundle context (so a service factory such as ConfigAdmin's
     * stays valid for the rest of the test).
     */
    static <T> T await(BundleContext context, Class<T> type, String filter) throws InterruptedException {
        String full = "(&(objectClass=" + type.getName() + ")" + filter + ")";
        ServiceTracker<T, T> tracker;
        try {
            tracker = new ServiceTracker<>(context, FrameworkUtil.createFilter(full), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad filter " + full, e);
        }
        tracker.open();
        try {
            if (tracker.waitForService(TIMEOUT_MILLIS) == null) {
                throw new AssertionError("no service " + full + " within " + TIMEOUT_MILLIS + " ms");
            }
            T service = context.getService(tracker.getServiceReference());
            if (service == null) {
                throw new AssertionError("service " + full + " went away while being got");
            }
            return service;
        } finally {
            tracker.close();
        }
    }

    /** The installed bundle with this symbolic name, or an assertion error naming it. */
    static Bundle bundle(BundleContext context, String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("bundle " + symbolicName + " is not installed");
    }
}
