/** A one-class program that lists the syscall providers module resolution binds. */
module io.rsyscall4j.itests.probe {
    requires io.rsyscall4j.api;

    uses io.rsyscall4j.api.SyscallInterface;
}
