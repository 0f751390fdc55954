package io.rsyscall4j.itests.probe;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.util.ServiceLoader;

/**
 * Prints, for every {@link SyscallInterface} that {@link ServiceLoader} finds, the provider's
 * name, the module it came from and the pid its {@code getpid} returned, one provider a line.
 *
 * <p>Run as a named module it relies on module resolution alone: its {@code uses} clause is what
 * binds the provider modules (no {@code --add-modules}).
 */
public final class Probe {
    private Probe() {}

    public static void main(String[] args) throws Exception {
        for (SyscallInterface sysif : ServiceLoader.load(SyscallInterface.class)) {
            Module m = sysif.getClass().getModule();
            System.out.println("provider=" + sysif.provider()
                    + " module=" + (m.isNamed() ? m.getName() : "unnamed")
                    + " pid=" + sysif.syscall(Sys.GETPID));
        }
    }
}
