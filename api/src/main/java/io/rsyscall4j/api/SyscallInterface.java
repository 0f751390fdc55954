package io.rsyscall4j.api;

import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Makes syscalls in one task, and moves bytes to and from that task's address space: the provider
 * SPI, which providers implement and fdcore calls; not API for applications.
 *
 * <p>This is the whole of what a provider does, and all it should do: semantics (fd ownership,
 * errors with subjects, retries) live above it, in fdcore. Providers are found as OSGi services
 * (property {@code provider}), through {@link java.util.ServiceLoader}, or by name.
 *
 * <p>An application that reaches an instance through {@code Task.sysif()} holds the escape hatch to
 * raw syscalls on near fd numbers, and gives up fdcore's guarantees (exactly-once close, no leak,
 * fds only where asked for) for whatever it does through it. {@link #syscall} is the part meant for
 * that; {@link #readMemory}, {@link #writeMemory} and {@link #callFunction} work on raw addresses,
 * exist for rsyscall4j itself, and may change with the providers.
 *
 * <p>Implementations are thread-safe: any number of Java threads may call at once.
 *
 * <p>A consumer type in OSGi's terms: the provider bundles implement it, so adding a method is a
 * major change of this package.
 */
@ConsumerType
public interface SyscallInterface {

    /** Most arguments a Linux syscall takes. */
    int MAX_ARGS = 6;

    /**
     * Runs syscall {@code nr} with up to six arguments (missing ones are 0).
     *
     * @return the non-negative result
     * @throws ErrnoException the kernel returned an error (see {@link ErrnoException#of})
     * @throws SyscallHangup the request was sent but its task died before answering
     * @throws SyscallSendError the request could not be sent at all
     * @throws IllegalArgumentException more than six arguments
     */
    long syscall(Sys nr, long... args) throws SyscallException;

    /**
     * Copies {@code len} bytes of {@code src} from {@code off} to {@code address} in the task's
     * memory. Provider SPI: an address that is not mapped writable may crash the JVM.
     */
    void writeMemory(long address, byte[] src, int off, int len);

    /**
     * Copies {@code len} bytes at {@code address} in the task's memory into {@code dst} at
     * {@code off}. Provider SPI: an address that is not mapped readable may crash the JVM.
     */
    void readMemory(long address, byte[] dst, int off, int len);

    /**
     * The address, in the task's memory, of element 0 of the direct buffer {@code buffer}, or -1 if
     * the task cannot reach it (a heap buffer, or memory the task does not share). Provider SPI: it
     * lets fdcore pass a direct buffer's memory to {@code read(2)} and {@code write(2)} without a
     * copy; the caller keeps the buffer reachable until the syscall returns.
     *
     * <p>The default is -1, so a provider that cannot tell makes fdcore copy through scratch memory.
     */
    default long bufferAddress(ByteBuffer buffer) {
        return -1;
    }

    /**
     * Calls the native function at {@code address} with up to six {@code long} arguments (SysV
     * x86_64 integer registers) and returns its {@code long} result. Provider SPI, for fdcore only.
     *
     * <p>fdcore needs this to enter the machine code that spawns child tasks; a provider that runs
     * syscalls elsewhere (in a child task) cannot call functions and throws
     * {@link UnsupportedOperationException}.
     */
    default long callFunction(long address, long... args) {
        throw new UnsupportedOperationException(provider() + " cannot call native functions");
    }

    /** The provider's name: {@code "ffm"}, {@code "jna"}, or e.g. {@code "child(ffm)"}. */
    String provider();

    /** Rejects argument lists a syscall cannot take, naming the syscall. For providers. */
    static void checkArgs(Sys nr, long[] args) {
        if (args.length > MAX_ARGS) {
            throw new IllegalArgumentException(nr.syscallName() + ": a syscall takes at most "
                    + MAX_ARGS + " arguments, got " + args.length);
        }
    }
}
