package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.PAGE_SIZE;

import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Everything an {@code execve} run in a child task reads, laid out in one JVM mapping (the child
 * shares the JVM's memory, so the kernel reads it from there): the program paths to try, the
 * {@code argv} and {@code envp} arrays and their strings, the signal structures the exec
 * preparation passes, and room for the JVM to read the child's {@code /proc} status into
 * ({@link ChildSignals}).
 *
 * <pre>
 *     0  struct sigaction with SIG_DFL (32 zero bytes)
 *    32  empty sigset_t;  40  full sigset_t
 *    48  char **argv (argc + 1 pointers), then char **envp (envc + 1), then the strings
 *        then, page-aligned, {@link #SCRATCH_SIZE} bytes of scratch
 * </pre>
 * The mapping's size is rounded up to a multiple of {@link #SIZE_STEP}, so that the images of
 * most programs (and the {@link ChildStack}s) are of one size that {@link SpareRegions} reuses.
 */
final class ExecImage {
    private static final int ARRAYS = 48;
    /** The scratch space at the end of the image. */
    static final int SCRATCH_SIZE = 8192;
    /** What the mapping's size is a multiple of. */
    static final long SIZE_STEP = ChildStack.SIZE;

    private final SyscallInterface local;
    private final long base;
    private final long size;
    private final long[] candidates;
    private final long argv;
    private final long envp;

    private final long scratch;

    private ExecImage(SyscallInterface local, long base, long size, long[] candidates, long argv, long envp,
            long scratch) {
        this.local = local;
        this.scratch = scratch;
        this.base = base;
        this.size = size;
        this.candidates = candidates;
        this.argv = argv;
        this.envp = envp;
    }

    /**
     * Maps ({@link SpareRegions}) and fills the image; strings are already NUL-terminated. Every
     * byte before the scratch is written: a reused region holds the last image's.
     */
    static ExecImage build(SyscallInterface local, List<byte[]> paths, List<byte[]> args, List<byte[]> env)
            throws SyscallException {
        long strings = ARRAYS + 8L * (args.size() + 1) + 8L * (env.size() + 1);
        long total = strings;
        for (List<byte[]> l : List.of(paths, args, env)) {
            for (byte[] b : l) {
                total += b.length;
            }
        }
        if (total > Integer.MAX_VALUE - PAGE_SIZE) {
            throw new IllegalArgumentException("exec arguments and environment too large: " + total + " bytes");
        }
        long scratchAt = (total + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
        long size = (scratchAt + SCRATCH_SIZE + SIZE_STEP - 1) / SIZE_STEP * SIZE_STEP;
        long base = SpareRegions.map(local, size, 0);
        ByteBuffer image = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        image.putLong(40, -1L); // the full signal set; the rest of the header stays zero
        long at = strings;
        long[] pathAddrs = new long[paths.size()];
        for (int i = 0; i < paths.size(); i++) {
            pathAddrs[i] = base + at;
            image.put((int) at, paths.get(i));
            at += paths.get(i).length;
        }
        int slot = ARRAYS;
        for (List<byte[]> l : List.of(args, env)) {
            for (byte[] b : l) {
                image.putLong(slot, base + at);
                slot += 8;
                image.put((int) at, b);
                at += b.length;
            }
            slot += 8; // the NULL that ends the array
        }
        local.writeMemory(base, image.array(), 0, (int) total);
        return new ExecImage(local, base, size, pathAddrs, base + ARRAYS, base + ARRAYS + 8L * (args.size() + 1),
                base + scratchAt);
    }

    int candidates() {
        return candidates.length;
    }

    long candidate(int i) {
        return candidates[i];
    }

    long argv() {
        return argv;
    }

    long envp() {
        return envp;
    }

    long defaultAction() {
        return base;
    }

    long emptySigset() {
        return base + 32;
    }

    long fullSigset() {
        return base + 40;
    }

    /** {@link #SCRATCH_SIZE} bytes the exec preparation may use as it likes. */
    long scratch() {
        return scratch;
    }

    /** Gives the region back ({@link SpareRegions#unmap}): only once no exec reads it any more. */
    void free() throws SyscallException {
        SpareRegions.unmap(local, base, size);
    }
}
