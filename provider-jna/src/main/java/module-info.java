/** A {@link io.rsyscall4j.api.SyscallInterface} over JNA direct mapping (JDK 17+). */
module io.rsyscall4j.provider.jna {
    requires io.rsyscall4j.api;
    requires com.sun.jna;
    requires static org.osgi.service.component.annotations;

    provides io.rsyscall4j.api.SyscallInterface with io.rsyscall4j.provider.jna.JnaSyscallInterface;
}
