package io.rsyscall4j;

/** Entry point: the JVM's own task. (Filled in by the fdcore lifecycle issue.) */
public final class Rsyscall {
    private Rsyscall() {}
}
