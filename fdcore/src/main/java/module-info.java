/**
 * rsyscall4j's fd core: owned file descriptor handles bound to tasks and fd tables, the local task,
 * and child tasks. All semantics live here; providers only make syscalls.
 */
module io.rsyscall4j.fdcore {
    requires transitive io.rsyscall4j.api;
    requires static org.osgi.service.component.annotations;

    exports io.rsyscall4j;
    exports io.rsyscall4j.fd;

    uses io.rsyscall4j.api.SyscallInterface;
}
