package io.rsyscall4j.fd;

/** A file descriptor table, compared by identity. (Filled in by the fdcore lifecycle issue.) */
public final class FDTable {
}
