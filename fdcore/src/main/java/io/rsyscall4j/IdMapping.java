package io.rsyscall4j;

import java.util.List;

/**
 * One line of a user namespace's uid or gid map ({@code user_namespaces(7)}): {@code count} ids
 * from {@code inside} in the namespace are the ids from {@code outside} in its parent.
 */
public record IdMapping(long inside, long outside, long count) {
    /** Refuses negative ids and an empty range. */
    public IdMapping {
        if (inside < 0 || outside < 0 || count < 1) {
            throw new IllegalArgumentException("bad id mapping: " + inside + " " + outside + " " + count);
        }
    }

    /** The map file's text for {@code mappings}, one line each. */
    static String lines(List<IdMapping> mappings) {
        if (mappings.isEmpty()) {
            throw new IllegalArgumentException("an id map needs at least one line");
        }
        StringBuilder b = new StringBuilder();
        for (IdMapping m : mappings) {
            b.append(m.inside).append(' ').append(m.outside).append(' ').append(m.count).append('\n');
        }
        return b.toString();
    }
}
