package io.rsyscall4j.osgi;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The local task's syscall interface in OSGi: it forwards each call to whichever provider is bound
 * now, so the provider can change under a task — and under every handle of that task — without
 * the task or its handles noticing. Handles hold the task, the task holds this, and this is the one
 * object that changes.
 *
 * <p>All providers it is given make syscalls in this very process, so any of them may serve any
 * call: an fd opened through FFM is closed through JNA just as well. With no provider at all, a
 * syscall is definitely not sent: {@link SyscallSendError}, and nothing happened. Memory copies go
 * on meanwhile through {@link ProcSelfMem}, so that an operation which copies its arguments before
 * its syscall (a write, say) fails at the syscall, with that same {@code SyscallSendError}.
 */
final class DelegatingSyscallInterface implements SyscallInterface {
    static final String NO_PROVIDER = "no SyscallInterface provider";

    private final AtomicReference<SyscallInterface> current = new AtomicReference<>();

    /** Serves every call from now on through {@code provider}. */
    void use(SyscallInterface provider) {
        current.set(Objects.requireNonNull(provider, "provider"));
    }

    /**
     * Stops using {@code provider}, if it is the one in use; a provider that was already replaced
     * (DS binds the new one before it unbinds the old) changes nothing.
     */
    void release(SyscallInterface provider) {
        current.compareAndSet(provider, null);
    }

    /** The provider in use, or {@code null}. */
    SyscallInterface current() {
        return current.get();
    }

    @Override
    public long syscall(Sys nr, long... args) throws SyscallException {
        SyscallInterface provider = current.get();
        if (provider == null) {
            throw new SyscallSendError(nr.syscallName() + ": " + NO_PROVIDER);
        }
        return provider.syscall(nr, args);
    }

    @Override
    public void writeMemory(long address, byte[] src, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, src.length);
        SyscallInterface provider = current.get();
        if (provider != null) {
            provider.writeMemory(address, src, off, len);
        } else {
            ProcSelfMem.write(address, src, off, len);
        }
    }

    @Override
    public void readMemory(long address, byte[] dst, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, dst.length);
        SyscallInterface provider = current.get();
        if (provider != null) {
            provider.readMemory(address, dst, off, len);
        } else {
            ProcSelfMem.read(address, dst, off, len);
        }
    }

    /** Any provider's answer holds for all: they all run in this process. None: copy (-1). */
    @Override
    public long bufferAddress(java.nio.ByteBuffer buffer) {
        SyscallInterface provider = current.get();
        return provider == null ? -1 : provider.bufferAddress(buffer);
    }

    @Override
    public long callFunction(long address, long... args) {
        return required("callFunction").callFunction(address, args);
    }

    /** The provider now in use ({@code "ffm"}, {@code "jna"}), or {@code "none"}. */
    @Override
    public String provider() {
        SyscallInterface provider = current.get();
        return provider == null ? "none" : provider.provider();
    }

    @Override
    public String toString() {
        return "SyscallInterface[delegating to " + provider() + "]";
    }

    /** Calling native code needs a provider: with none it is a state error (no checked exception to raise). */
    private SyscallInterface required(String operation) {
        SyscallInterface provider = current.get();
        if (provider == null) {
            throw new IllegalStateException(operation + ": " + NO_PROVIDER);
        }
        return provider;
    }
}
