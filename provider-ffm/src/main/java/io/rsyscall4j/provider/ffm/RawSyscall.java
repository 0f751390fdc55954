package io.rsyscall4j.provider.ffm;

import static io.rsyscall4j.api.Linux.MAP_ANONYMOUS;
import static io.rsyscall4j.api.Linux.MAP_PRIVATE;
import static io.rsyscall4j.api.Linux.PAGE_SIZE;
import static io.rsyscall4j.api.Linux.PROT_EXEC;
import static io.rsyscall4j.api.Linux.PROT_READ;
import static io.rsyscall4j.api.Linux.PROT_WRITE;

import io.rsyscall4j.api.Sys;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A raw x86_64 syscall function, {@code long raw_syscall(long nr, long a1, ..., long a6)}, that
 * returns what the kernel returned: a result, or {@code -errno}.
 *
 * <p>Why not libc's {@code syscall(3)}: it turns an error into {@code -1} and a write to
 * {@code errno}, and reading errno back from Java needs {@code Linker.Option.captureCallState}
 * and a per-thread slot for it, which costs more than the rest of the call's Java side. Raw
 * results also never confuse a legitimate {@code -1} with an error. The code is the same register
 * shuffle glibc's {@code syscall} does, without the errno part; it is mapped once per class
 * loader, read-only and executable:
 *
 * <pre>
 *   48 89 f8        mov  %rdi,%rax      nr
 *   48 89 f7        mov  %rsi,%rdi      a1
 *   48 89 d6        mov  %rdx,%rsi      a2
 *   48 89 ca        mov  %rcx,%rdx      a3
 *   4d 89 c2        mov  %r8,%r10       a4 (the kernel takes it in r10, not rcx)
 *   4d 89 c8        mov  %r9,%r8        a5
 *   4c 8b 4c 24 08  mov  0x8(%rsp),%r9  a6, the seventh C argument, on the stack
 *   0f 05           syscall
 *   c3              ret
 * </pre>
 */
@SuppressWarnings("restricted") // mapping and calling native code is this provider's job
final class RawSyscall {
    private static final byte[] CODE = {
        0x48, (byte) 0x89, (byte) 0xf8,
        0x48, (byte) 0x89, (byte) 0xf7,
        0x48, (byte) 0x89, (byte) 0xd6,
        0x48, (byte) 0x89, (byte) 0xca,
        0x4d, (byte) 0x89, (byte) 0xc2,
        0x4d, (byte) 0x89, (byte) 0xc8,
        0x4c, (byte) 0x8b, 0x4c, 0x24, 0x08,
        0x0f, 0x05,
        (byte) 0xc3,
    };

    /** {@code long (long nr, long a1, ..., long a6)}. */
    static final FunctionDescriptor SIGNATURE = FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);

    private RawSyscall() {}

    /**
     * Maps the code and returns its address. Uses libc's {@code syscall(3)} for the {@code mmap}
     * and {@code mprotect}, linked with {@link #SIGNATURE}, so that the linker's one stub for that
     * signature serves them and every raw syscall after; the page is writable only until the code
     * is in it, and stays mapped for the life of the process (one page per load of this class).
     */
    static MemorySegment install(Linker linker) {
        String arch = System.getProperty("os.arch");
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            throw new UnsupportedOperationException("provider-ffm makes syscalls with x86_64 machine code;"
                    + " this JVM runs on " + arch);
        }
        MethodHandle syscall = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(), SIGNATURE);
        try {
            long page = (long) syscall.invokeExact((long) Sys.MMAP.number(), 0L, (long) PAGE_SIZE,
                    (long) (PROT_READ | PROT_WRITE), (long) (MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
            if (page == -1L) {
                throw new IllegalStateException("mmap of one page for the raw syscall code failed");
            }
            MemorySegment code = MemorySegment.ofAddress(page).reinterpret(PAGE_SIZE);
            MemorySegment.copy(CODE, 0, code, ValueLayout.JAVA_BYTE, 0, CODE.length);
            long rc = (long) syscall.invokeExact((long) Sys.MPROTECT.number(), page, (long) PAGE_SIZE,
                    (long) (PROT_READ | PROT_EXEC), 0L, 0L, 0L);
            if (rc != 0) {
                throw new IllegalStateException("mprotect(PROT_READ|PROT_EXEC) of the raw syscall code failed");
            }
            return code;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("installing the raw syscall code failed", t);
        }
    }
}
