package io.rsyscall4j.itests.osgi;

import static org.ops4j.pax.exam.CoreOptions.options;

import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/** The local task's lifecycle scenarios in Felix with provider-jna as the only provider. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LocalTaskOverJnaIT {

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return options(OsgiRuntime.withBundles("api", "provider-jna", "fdcore"));
    }

    private LocalTaskScenarios scenarios() {
        return new LocalTaskScenarios(context, "jna");
    }

    @Test
    public void theLocalTaskIsTheJvmServedByTheInstalledProvider() throws Exception {
        scenarios().theLocalTaskIsTheJvmServedByTheInstalledProvider();
    }

    @Test
    public void aFileOpenedThroughTheServiceIsWrittenReadAndClosedOnce() throws Exception {
        scenarios().aFileOpenedThroughTheServiceIsWrittenReadAndClosedOnce();
    }

    @Test
    public void aPipeIsClosedWhenItsLastHandleIsInvalidated() throws Exception {
        scenarios().aPipeIsClosedWhenItsLastHandleIsInvalidated();
    }

    @Test
    public void eachGetOfTheServiceGivesTheSameTask() throws Exception {
        scenarios().eachGetOfTheServiceGivesTheSameTask();
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
