package io.rsyscall4j;

import io.rsyscall4j.api.Linux;
import java.util.Set;

/** Per-mount flags of {@link ChildTask#mount} and {@link ChildTask#remount} ({@code MS_*}). */
public enum MountFlag {
    RDONLY(Linux.MS_RDONLY),
    NOSUID(Linux.MS_NOSUID),
    NODEV(Linux.MS_NODEV),
    NOEXEC(Linux.MS_NOEXEC),
    NOATIME(Linux.MS_NOATIME),
    NODIRATIME(Linux.MS_NODIRATIME),
    RELATIME(Linux.MS_RELATIME),
    STRICTATIME(Linux.MS_STRICTATIME);

    private final long bit;

    MountFlag(long bit) {
        this.bit = bit;
    }

    static long bits(Set<MountFlag> flags) {
        long b = 0;
        for (MountFlag f : flags) {
            b |= f.bit;
        }
        return b;
    }
}
