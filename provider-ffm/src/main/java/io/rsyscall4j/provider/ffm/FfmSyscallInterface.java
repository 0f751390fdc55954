package io.rsyscall4j.provider.ffm;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Component;

/**
 * Syscalls made with {@code java.lang.foreign}, through a tiny raw-syscall function
 * ({@link RawSyscall}) that hands back the kernel's own result, {@code -errno} included.
 *
 * <p>All six argument registers are always passed, the missing ones as 0, since the kernel ignores
 * those a syscall does not use. A syscall that returns at once whatever happens (getpid, dup, ...)
 * is called (once a thousand were made) as a <em>critical</em> downcall, which skips the Java
 * thread's state transition — about a tenth of getpid's whole cost; every other syscall may block
 * (a read of a pipe, a wait, even a close on a network file system), and a blocked critical call
 * would hold up every garbage collection of the JVM, so they make an ordinary downcall.
 */
@Component(service = SyscallInterface.class, property = {"provider=ffm", "service.ranking:Integer=100"})
// Restricted methods are this provider's job; a user enables them with --enable-native-access.
@SuppressWarnings("restricted")
public final class FfmSyscallInterface implements SyscallInterface {
    /**
     * The native side, made on the first syscall: a provider that is only constructed (found by
     * ServiceLoader while another is chosen) calls no restricted method, so the JVM warns of none.
     */
    private static final class Native {
        static final Linker LINKER = Linker.nativeLinker();
        static final MemorySegment RAW_SYSCALL = RawSyscall.install(LINKER);
        static final MethodHandle SYSCALL = LINKER.downcallHandle(RAW_SYSCALL, RawSyscall.SIGNATURE);
    }

    /**
     * The critical downcall, linked once {@link #CRITICAL_AFTER} never-blocking syscalls were made
     * the ordinary way: its stub of its own costs a JVM that makes a few syscalls and exits (the
     * launcher) more time to make than it ever saves.
     */
    private static final class Critical {
        static final MethodHandle SYSCALL = Native.LINKER.downcallHandle(Native.RAW_SYSCALL, RawSyscall.SIGNATURE,
                Linker.Option.critical(false));
    }

    private static final int CRITICAL_AFTER = 1000;
    /** Never-blocking syscalls made before the critical downcall; racy, as a count for a heuristic may be. */
    private static int neverBlockingCalls;
    /** Set once the critical downcall is to be used; racy too: a thread may see it late. */
    private static boolean critical;

    /** Raw results in -4095..-1 are {@code -errno}; anything else is a result. */
    private static final long MAX_ERRNO = 4095;
    /**
     * The syscalls that only read or copy a little of the task's own state: they never wait for
     * anything and allocate next to nothing, so they may be critical downcalls. Indexed by ordinal.
     */
    private static final boolean[] NEVER_BLOCKS = neverBlocks(EnumSet.of(Sys.GETPID, Sys.GETPPID, Sys.GETTID,
            Sys.GETUID, Sys.GETGID, Sys.UMASK, Sys.DUP, Sys.RT_SIGPROCMASK));

    private final Map<Long, MethodHandle> functions = new ConcurrentHashMap<>();

    @Override
    public long syscall(Sys nr, long... args) throws ErrnoException {
        SyscallInterface.checkArgs(nr, args);
        long result = NEVER_BLOCKS[nr.ordinal()] && critical()
                ? invoke(Critical.SYSCALL, nr.number(), args)
                : invoke(Native.SYSCALL, nr.number(), args);
        if (result < 0 && result >= -MAX_ERRNO) {
            throw ErrnoException.of(nr, (int) -result, args);
        }
        return result;
    }

    private static boolean critical() {
        if (!critical && ++neverBlockingCalls > CRITICAL_AFTER) {
            critical = true;
        }
        return critical;
    }

    /** Calls {@code handle} with the arguments in registers; no array is copied or allocated. */
    private static long invoke(MethodHandle handle, long nr, long[] a) {
        try {
            switch (a.length) {
                case 0: return (long) handle.invokeExact(nr, 0L, 0L, 0L, 0L, 0L, 0L);
                case 1: return (long) handle.invokeExact(nr, a[0], 0L, 0L, 0L, 0L, 0L);
                case 2: return (long) handle.invokeExact(nr, a[0], a[1], 0L, 0L, 0L, 0L);
                case 3: return (long) handle.invokeExact(nr, a[0], a[1], a[2], 0L, 0L, 0L);
                case 4: return (long) handle.invokeExact(nr, a[0], a[1], a[2], a[3], 0L, 0L);
                case 5: return (long) handle.invokeExact(nr, a[0], a[1], a[2], a[3], a[4], 0L);
                default: return (long) handle.invokeExact(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
            }
        } catch (Throwable t) {
            throw new IllegalStateException("downcall to the raw syscall code failed", t);
        }
    }

    private static boolean[] neverBlocks(Set<Sys> set) {
        boolean[] byOrdinal = new boolean[Sys.values().length];
        for (Sys s : set) {
            byOrdinal[s.ordinal()] = true;
        }
        return byOrdinal;
    }

    @Override
    public void writeMemory(long address, byte[] src, int off, int len) {
        MemorySegment.copy(src, off, at(address, len), ValueLayout.JAVA_BYTE, 0, len);
    }

    @Override
    public void readMemory(long address, byte[] dst, int off, int len) {
        MemorySegment.copy(at(address, len), ValueLayout.JAVA_BYTE, 0, dst, off, len);
    }

    /** A direct buffer's memory is the JVM's: {@code MemorySegment.ofBuffer} says where it is. */
    @Override
    public long bufferAddress(ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            return -1;
        }
        // ofBuffer starts at the buffer's position: take it from a duplicate whose position is 0.
        return MemorySegment.ofBuffer(buffer.duplicate().clear()).address();
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
        // The raw syscall's signature, one long more than any function is given: the callee never
        // reads the extra stack slot, and the linker reuses the stub it made for syscalls.
        MethodHandle handle = functions.computeIfAbsent(address,
                addr -> Native.LINKER.downcallHandle(MemorySegment.ofAddress(addr), RawSyscall.SIGNATURE));
        try {
            return (long) handle.invokeExact(a[0], a[1], a[2], a[3], a[4], a[5], 0L);
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
