package io.rsyscall4j.provider.jna;

import com.sun.jna.Function;
import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.nio.ByteBuffer;
import org.osgi.service.component.annotations.Component;

/**
 * Syscalls through libc's {@code syscall(3)}, called with JNA direct mapping (the fastest way JNA
 * has: no reflection or boxing per call).
 *
 * <p>Direct mapping cannot declare a variadic function, so {@code syscall} is bound with fixed
 * {@code long}s, one binding per argument count. That is sound on x86_64: integer arguments travel
 * in the same registers either way, and glibc's {@code syscall} is plain assembly that reads no
 * va_list. Each call passes as many arguments as the syscall takes ({@link SyscallArity}), the
 * ones the caller left out as 0: JNA charges for every argument.
 */
@Component(service = SyscallInterface.class, property = {"provider=jna", "service.ranking:Integer=50"})
public final class JnaSyscallInterface implements SyscallInterface {

    @Override
    public long syscall(Sys nr, long... args) throws ErrnoException {
        SyscallInterface.checkArgs(nr, args);
        long n = nr.number();
        try {
            switch (Math.max(args.length, SyscallArity.of(nr))) {
                case 0: return LibC.syscall(n);
                case 1: return LibC.syscall(n, arg(args, 0));
                case 2: return LibC.syscall(n, arg(args, 0), arg(args, 1));
                case 3: return LibC.syscall(n, arg(args, 0), arg(args, 1), arg(args, 2));
                case 4: return LibC.syscall(n, arg(args, 0), arg(args, 1), arg(args, 2), arg(args, 3));
                case 5: return LibC.syscall(n, arg(args, 0), arg(args, 1), arg(args, 2), arg(args, 3), arg(args, 4));
                default:
                    return LibC.syscall(n, arg(args, 0), arg(args, 1), arg(args, 2), arg(args, 3), arg(args, 4),
                            arg(args, 5));
            }
        } catch (LastErrorException e) {
            throw ErrnoException.of(nr, e.getErrorCode(), args);
        }
    }

    /** Argument {@code i}, or 0 where the caller left it out. */
    private static long arg(long[] args, int i) {
        return i < args.length ? args[i] : 0L;
    }

    @Override
    public void writeMemory(long address, byte[] src, int off, int len) {
        pointer(address).write(0, src, off, len);
    }

    @Override
    public void readMemory(long address, byte[] dst, int off, int len) {
        pointer(address).read(0, dst, off, len);
    }

    /** A direct buffer's memory is the JVM's: JNI's {@code GetDirectBufferAddress} says where it is. */
    @Override
    public long bufferAddress(ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            return -1;
        }
        Pointer p = Native.getDirectBufferPointer(buffer);
        return p == null ? -1 : Pointer.nativeValue(p);
    }

    @Override
    public long callFunction(long address, long... args) {
        if (args.length > MAX_ARGS) {
            throw new IllegalArgumentException("a native call takes at most " + MAX_ARGS + " arguments, got " + args.length);
        }
        Object[] boxed = new Object[MAX_ARGS];
        for (int i = 0; i < MAX_ARGS; i++) {
            boxed[i] = i < args.length ? args[i] : 0L;
        }
        return Function.getFunction(pointer(address)).invokeLong(boxed);
    }

    @Override
    public String provider() {
        return "jna";
    }

    @Override
    public String toString() {
        return "SyscallInterface[jna]";
    }

    private static Pointer pointer(long address) {
        if (address == 0) {
            throw new IllegalArgumentException("memory access at address 0");
        }
        return new Pointer(address);
    }
}
