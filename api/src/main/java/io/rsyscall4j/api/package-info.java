/**
 * The contract between rsyscall4j's fd core and its syscall providers: {@link
 * io.rsyscall4j.api.SyscallInterface}, the syscall numbers ({@link io.rsyscall4j.api.Sys}), errno
 * names ({@link io.rsyscall4j.api.Errno}), Linux's constants ({@link io.rsyscall4j.api.Linux}) and the
 * exceptions a syscall raises.
 *
 * <p>Versioned on its own (OSGi semantic versioning): a change that breaks the providers that
 * implement {@code SyscallInterface}, or the code that calls it, is a major version.
 */
@Version("1.1.0")
package io.rsyscall4j.api;

import org.osgi.annotation.versioning.Version;
