package io.rsyscall4j.cli;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** One {@code --fd N=SPEC}: put what SPEC describes at fd N of the program. */
record FdRequest(int number, FdSpec spec, String text) {

    /**
     * Parses {@code N=SPEC}.
     *
     * @throws IllegalArgumentException malformed; the message quotes the argument
     */
    static FdRequest parse(String text) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("--fd " + text + ": expected N=SPEC");
        }
        try {
            return new FdRequest(FdSpec.parseFdNumber(text.substring(0, eq), "N=SPEC"),
                    FdSpec.parse(text.substring(eq + 1)), text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--fd " + text + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks a whole set of requests: each fd number once; with {@code listenFds}, the numbers
     * from 3 on are 3, 4, 5 ... without a gap, as socket activation passes them; each
     * {@code inherit:M} names an fd of {@code callerFds}, those the launcher's caller gave it
     * (null: unknown, so no {@code inherit:M} is allowed).
     *
     * @throws IllegalArgumentException the first clash found
     */
    static void checkAll(List<FdRequest> requests, boolean listenFds, Set<Integer> callerFds) {
        Set<Integer> seen = new HashSet<>();
        for (FdRequest r : requests) {
            if (!seen.add(r.number())) {
                throw new IllegalArgumentException("fd " + r.number() + " is given twice (--fd " + r.text() + ")");
            }
            if (r.spec() instanceof FdSpec.Inherit i) {
                try {
                    Caller.checkInherit(i.fd(), callerFds);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--fd " + r.text() + ": " + e.getMessage(), e);
                }
            }
        }
        if (listenFds) {
            long passed = requests.stream().filter(r -> r.number() >= 3).count();
            for (int fd = 3; fd < 3 + passed; fd++) {
                if (!seen.contains(fd)) {
                    throw new IllegalArgumentException("--listen-fds passes fds 3, 4, ... without gaps, but fd " + fd
                            + " is not given");
                }
            }
        }
    }
}
