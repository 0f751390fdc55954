package io.rsyscall4j.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.util.List;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/**
 * provider-jna in Felix beside the oldest JNA its import range admits ({@code jna.floor.version}
 * in the parent pom): it resolves, wires to that JNA, and serves the local task, child tasks and
 * exec (every JNA call the provider makes: {@code Native.register}, {@code Function.invokeLong},
 * {@code Pointer} reads and writes, {@code LastErrorException}).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class JnaFloorIT {

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return options(OsgiRuntime.withJna("jna-floor", "api", "provider-jna", "fdcore"));
    }

    private LocalTaskScenarios scenarios() {
        return new LocalTaskScenarios(context, "jna");
    }

    @Test
    public void providerJnaIsWiredToTheFloorJna() throws Exception {
        Bundle provider = Services.bundle(context, OsgiRuntime.PROVIDER_JNA);
        Services.await(context, io.rsyscall4j.api.SyscallInterface.class, "(provider=jna)");
        BundleWiring wiring = provider.adapt(BundleWiring.class);
        assertNotNull("provider-jna is not resolved", wiring);
        List<BundleWire> wires = wiring.getRequiredWires("osgi.wiring.package");
        BundleWire jna = wires.stream()
                .filter(w -> "com.sun.jna".equals(w.getCapability().getAttributes().get("osgi.wiring.package")))
                .findFirst().orElseThrow(() -> new AssertionError("provider-jna imports no com.sun.jna: " + wires));
        assertEquals(Version.parseVersion(System.getProperty("rsyscall4j.itests.jna.floor")),
                jna.getProvider().getBundle().getVersion());
    }

    @Test
    public void theLocalTaskIsTheJvmServedByTheInstalledProvider() throws Exception {
        scenarios().theLocalTaskIsTheJvmServedByTheInstalledProvider();
    }

    @Test
    public void aChildTaskRunsSyscallsInItsOwnProcess() throws Exception {
        scenarios().aChildTaskRunsSyscallsInItsOwnProcess();
    }

    @Test
    public void aProgramExecdByAChildHasExactlyTheFdsItWasGiven() throws Exception {
        scenarios().aProgramExecdByAChildHasExactlyTheFdsItWasGiven();
    }
}
