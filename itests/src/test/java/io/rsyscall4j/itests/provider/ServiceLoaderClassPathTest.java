package io.rsyscall4j.itests.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * On the plain class path (as this test JVM runs), {@link ServiceLoader} finds both providers
 * through their {@code META-INF/services} files, and each makes a real syscall.
 */
final class ServiceLoaderClassPathTest {

    @Test
    void serviceLoaderFindsBothProvidersOnTheClassPathAndEachMakesAGetpid() throws SyscallException {
        Set<String> names = new TreeSet<>();
        for (SyscallInterface sysif : ServiceLoader.load(SyscallInterface.class)) {
            assertFalse(sysif.getClass().getModule().isNamed(), sysif + " came from the class path");
            assertEquals(ProcessHandle.current().pid(), sysif.syscall(Sys.GETPID), sysif.provider());
            names.add(sysif.provider());
        }
        assertEquals(Set.of("ffm", "jna"), names);
    }
}
