package io.rsyscall4j.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.util.Map;
import java.util.TreeMap;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * The two provider bundles in Felix with SCR: each registers its {@link SyscallInterface} with the
 * {@code provider} and {@code service.ranking} properties DS consumers select on, each makes real
 * syscalls, and stopping the preferred one leaves the other serving.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class ProvidersInOsgiIT {

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return options(OsgiRuntime.all());
    }

    @Test
    public void eachProviderIsRegisteredWithItsNameAndRanking() throws Exception {
        Services.await(context, SyscallInterface.class, "(provider=ffm)");
        Services.await(context, SyscallInterface.class, "(provider=jna)");
        Map<String, Object> rankings = new TreeMap<>();
        for (ServiceReference<SyscallInterface> ref : context.getServiceReferences(SyscallInterface.class, null)) {
            String name = (String) ref.getProperty("provider");
            SyscallInterface sysif = context.getService(ref);
            try {
                assertEquals("the provider property names the implementation", name, sysif.provider());
            } finally {
                context.ungetService(ref);
            }
            rankings.put(name, ref.getProperty(Constants.SERVICE_RANKING));
        }
        assertEquals(Map.of("ffm", 100, "jna", 50), rankings);
    }

    @Test
    public void theHighestRankedProviderIsFfm() throws Exception {
        Services.await(context, SyscallInterface.class, "(provider=ffm)");
        Services.await(context, SyscallInterface.class, "(provider=jna)");
        ServiceReference<SyscallInterface> best = context.getServiceReference(SyscallInterface.class);
        assertEquals("ffm", best.getProperty("provider"));
    }

    @Test
    public void aSyscallWorksThroughEachProvider() throws Exception {
        for (String provider : new String[] {"ffm", "jna"}) {
            SyscallInterface sysif = Services.await(context, SyscallInterface.class, "(provider=" + provider + ")");
            assertEquals(provider + ": getpid is the JVM's pid", ProcessHandle.current().pid(), sysif.syscall(Sys.GETPID));
            assertEbadfOnClosingMinusOne(provider, sysif);
        }
    }

    @Test
    public void stoppingProviderFfmLeavesJnaServing() throws Exception {
        Services.await(context, SyscallInterface.class, "(provider=ffm)");
        Services.await(context, SyscallInterface.class, "(provider=jna)");
        Bundle ffm = Services.bundle(context, OsgiRuntime.PROVIDER_FFM);
        ffm.stop();

        assertEquals(Bundle.RESOLVED, ffm.getState());
        assertTrue("no ffm service once its bundle stopped",
                context.getServiceReferences(SyscallInterface.class, "(provider=ffm)").isEmpty());
        ServiceReference<SyscallInterface> best = context.getServiceReference(SyscallInterface.class);
        assertNotNull("jna still serves", best);
        assertEquals("jna", best.getProperty("provider"));
        SyscallInterface jna = context.getService(best);
        assertEquals(ProcessHandle.current().pid(), jna.syscall(Sys.GETPID));
        context.ungetService(best);

        ffm.start();
        Services.await(context, SyscallInterface.class, "(provider=ffm)");
        assertEquals("ffm is preferred again once it returns", "ffm",
                context.getServiceReference(SyscallInterface.class).getProperty("provider"));
    }

    @Test
    public void everyBundleIsActive() throws Exception {
        Services.await(context, SyscallInterface.class, "(provider=ffm)");
        for (String name : new String[] {OsgiRuntime.API, OsgiRuntime.PROVIDER_FFM, OsgiRuntime.PROVIDER_JNA,
                "com.sun.jna", "org.apache.felix.scr", "org.apache.felix.configadmin"}) {
            Bundle bundle = Services.bundle(context, name);
            assertTrue(name + " is active, state " + bundle.getState(), bundle.getState() == Bundle.ACTIVE);
        }
    }

    private static void assertEbadfOnClosingMinusOne(String provider, SyscallInterface sysif) throws SyscallException {
        try {
            sysif.syscall(Sys.CLOSE, -1);
            fail(provider + ": close(-1) must fail");
        } catch (ErrnoException e) {
            assertEquals(provider + ": close(-1) fails with EBADF", "EBADF", e.errnoName());
        }
    }
}
