package io.rsyscall4j.provider.ffm;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Component;

/**
 * Syscalls through libc's {@code syscall(3)}, called with {@code java.lang.foreign}.
 *
 * <p>{@code syscall} is variadic, so the downcall says where the variadic part starts; all six
 * argument registers are always passed, since the kernel ignores the ones a syscall does not use.
 * errno is captured by the linker right after the call, before the JVM can touch it.
 */
@Component(service = SyscallInterface.class, property = {"provider=ffm", "service.ranking:Integer=100"})
public final class FfmSyscallInterface implements SyscallInterface {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"))
            .withInvokeExactBehavior();
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(
            LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    /** One errno slot per thread: allocating one per call would cost more than the syscall. */
    private static final ThreadLocal<MemorySegment> CALL_STATE_SLOT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private final Map<Long, MethodHandle> functions = new ConcurrentHashMap<>();

    @Override
    public long syscall(Sys nr, long... args) throws ErrnoException {
        SyscallInterface.checkArgs(nr, args);
        long[] a = args.length == MAX_ARGS ? args : Arrays.copyOf(args, MAX_ARGS);
        MemorySegment state = CALL_STATE_SLOT.get();
        long result;
        try {
            result = (long) SYSCALL.invokeExact(state, (long) nr.number(), a[0], a[1], a[2], a[3], a[4], a[5]);
        } catch (Throwable t) {
            throw new IllegalStateException("downcall to syscall(3) failed", t);
        }
        if (result == -1) {
            throw ErrnoException.of(nr, (int) ERRNO.get(state, 0L), args);
        }
        return result;
    }

    @Override
    public void writeMemory(long address, byte[] src, int off, int len) {
        MemorySegment.copy(src, off, at(address, len), ValueLayout.JAVA_BYTE, 0, len);
    }

    @Override
    public void readMemory(long address, byte[] dst, int off, int len) {
        MemorySegment.copy(at(address, len), ValueLayout.JAVA_BYTE, 0, dst, off, len);
    }

    @Override
    public long callFunction(long address, long... args) {
        if (args.length > MAX_ARGS) {
            throw new IllegalArgumentException("a native call takes at most " + MAX_ARGS + " arguments, got " + args.length);
        }
        if (address == 0) {
            throw new IllegalArgumentException("native call to address 0");
        }
        long[] a = Arrays.copyOf(args, MAX_ARGS);
        MethodHandle handle = functions.computeIfAbsent(address, addr -> LINKER.downcallHandle(
                MemorySegment.ofAddress(addr),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG)));
        try {
            return (long) handle.invokeExact(a[0], a[1], a[2], a[3], a[4], a[5]);
        } catch (Throwable t) {
            throw new IllegalStateException("native call to 0x" + Long.toHexString(address) + " failed", t);
        }
    }

    @Override
    public String provider() {
        return "ffm";
    }

    @Override
    public String toString() {
        return "SyscallInterface[ffm]";
    }

    private static MemorySegment at(long address, int len) {
        if (address == 0) {
            throw new IllegalArgumentException("memory access at address 0");
        }
        return MemorySegment.ofAddress(address).reinterpret(len);
    }
}
