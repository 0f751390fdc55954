/**
 * The contract between rsyscall4j's fd core and its syscall providers: a provider turns a syscall
 * number and up to six longs into a real syscall, and moves bytes to and from addresses.
 */
module io.rsyscall4j.api {
    exports io.rsyscall4j.api;
}
