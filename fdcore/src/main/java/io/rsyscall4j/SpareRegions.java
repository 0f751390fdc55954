package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.MAP_ANONYMOUS;
import static io.rsyscall4j.api.Linux.MAP_PRIVATE;
import static io.rsyscall4j.api.Linux.PROT_READ;
import static io.rsyscall4j.api.Linux.PROT_WRITE;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The JVM's anonymous read-write mappings for children ({@link ChildStack}, {@link ExecImage}),
 * kept once their user is done with them for the next one of the same size, so that a spawn in
 * steady state neither maps nor unmaps: an {@code munmap} of pages a child touched on another
 * CPU costs that CPU a TLB shoot-down, and a fresh mapping costs a page fault per page touched.
 *
 * <p>At most {@link #MAX_BYTES} are kept, in regions of at most {@link #MAX_REGION} bytes; any
 * other region is unmapped at once, as are regions of memory not the JVM's (a task on another
 * host). A region comes back holding what its last user wrote: users write every byte they read.
 * {@link #release} unmaps what is kept (fdcore stopping its background threads).
 */
final class SpareRegions {
    /** The largest region kept. */
    static final long MAX_REGION = 64 * 1024;
    /** How many bytes of regions are kept at most. */
    static final long MAX_BYTES = 1024 * 1024;

    private static final Object LOCK = new Object();
    /** Kept regions by size: the provider that mapped each, and its address. Guarded by {@link #LOCK}. */
    private static final Map<Long, ArrayDeque<Region>> KEPT = new HashMap<>();
    /** The bytes of {@link #KEPT}. Guarded by {@link #LOCK}. */
    private static long keptBytes;

    private record Region(SyscallInterface local, long base) {}

    private SpareRegions() {}

    /**
     * A region of {@code size} bytes of {@code local}'s memory: a kept one, else a new
     * {@code mmap} with {@code flags} ({@code MAP_PRIVATE | MAP_ANONYMOUS} and any others, e.g.
     * {@code MAP_STACK}, which a kept region may lack or have: they are hints).
     */
    static long map(SyscallInterface local, long size, int flags) throws SyscallException {
        if (ChildTransport.inJvm(local)) {
            synchronized (LOCK) {
                ArrayDeque<Region> same = KEPT.get(size);
                if (same != null && !same.isEmpty()) {
                    keptBytes -= size;
                    return same.pop().base();
                }
            }
        }
        return local.syscall(Sys.MMAP, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    }

    /** Gives back a region {@link #map} returned, which nothing uses any more: kept, or unmapped. */
    static void unmap(SyscallInterface local, long base, long size) throws SyscallException {
        if (ChildTransport.inJvm(local) && size <= MAX_REGION) {
            synchronized (LOCK) {
                if (keptBytes + size <= MAX_BYTES) {
                    KEPT.computeIfAbsent(size, s -> new ArrayDeque<>()).push(new Region(local, base));
                    keptBytes += size;
                    return;
                }
            }
        }
        local.syscall(Sys.MUNMAP, base, size);
    }

    /** Unmaps every kept region; returns how many bytes that was. Failures are thrown after all were tried. */
    static long release() throws SyscallException {
        List<Map.Entry<Long, Region>> all = new ArrayList<>();
        synchronized (LOCK) {
            for (Map.Entry<Long, ArrayDeque<Region>> e : KEPT.entrySet()) {
                for (Region r : e.getValue()) {
                    all.add(Map.entry(e.getKey(), r));
                }
            }
            KEPT.clear();
            keptBytes = 0;
        }
        SyscallException first = null;
        long bytes = 0;
        for (Map.Entry<Long, Region> e : all) {
            try {
                e.getValue().local().syscall(Sys.MUNMAP, e.getValue().base(), e.getKey());
                bytes += e.getKey();
            } catch (SyscallException x) {
                if (first == null) {
                    first = x;
                } else {
                    first.addSuppressed(x);
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return bytes;
    }
}
