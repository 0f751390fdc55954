/** A {@link io.rsyscall4j.api.SyscallInterface} over {@code java.lang.foreign} (JDK 22+). */
module io.rsyscall4j.provider.ffm {
    requires io.rsyscall4j.api;
    requires static org.osgi.service.component.annotations;

    provides io.rsyscall4j.api.SyscallInterface with io.rsyscall4j.provider.ffm.FfmSyscallInterface;
}
