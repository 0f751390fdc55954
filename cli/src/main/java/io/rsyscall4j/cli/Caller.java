package io.rsyscall4j.cli;

import io.rsyscall4j.Task;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the {@code rsyscall4j} script recorded of its caller before it started the JVM, as system
 * properties: the caller's umask ({@code rsyscall4j.umask}, octal), which the script replaced with
 * 077 so the JVM and Felix write their cache private; and the fds the caller gave the launcher
 * ({@code rsyscall4j.caller.fds}, e.g. {@code 0,1,2,9}), which the JVM cannot tell from its own
 * afterwards (it opens its files at the lowest free numbers, 0 and 2 among them if the caller had
 * closed those).
 */
final class Caller {
    static final String UMASK_PROPERTY = "rsyscall4j.umask";
    static final String FDS_PROPERTY = "rsyscall4j.caller.fds";

    private Caller() {}

    /**
     * Gives the JVM the caller's umask back, if the script recorded one, so that what the launcher
     * creates for the program (files, socket files) and the program itself get the caller's umask.
     *
     * @throws CommandFailure the property is not an octal umask
     */
    static void restoreUmask(Task local) throws SyscallException {
        String text = System.getProperty(UMASK_PROPERTY);
        if (text == null) {
            return;
        }
        if (!text.matches("[0-7]{1,4}")) {
            throw new CommandFailure("-D" + UMASK_PROPERTY + " must be an octal umask, got \"" + Text.show(text) + "\"",
                    CommandFailure.BAD_INPUT);
        }
        local.sysif().syscall(Sys.UMASK, Integer.parseInt(text, 8) & 0777);
    }

    /**
     * The fds the caller had open when it started the launcher, or null if the launcher was started
     * without the script (then nobody recorded them).
     *
     * @throws CommandFailure the property is not a comma-separated list of fd numbers
     */
    static Set<Integer> openFds() {
        String text = System.getProperty(FDS_PROPERTY);
        if (text == null) {
            return null;
        }
        Set<Integer> fds = new TreeSet<>();
        if (!text.isEmpty()) {
            for (String n : text.split(",", -1)) {
                if (!n.matches("[0-9]{1,9}")) {
                    throw new CommandFailure("-D" + FDS_PROPERTY + " must list fd numbers like 0,1,2, got \""
                            + Text.show(text) + "\"", CommandFailure.BAD_INPUT);
                }
                fds.add(Integer.parseInt(n));
            }
        }
        return Collections.unmodifiableSet(fds);
    }

    /**
     * Checks that {@code inherit:M} names an fd the caller gave the launcher.
     *
     * @throws IllegalArgumentException it did not, or nobody recorded what the caller gave
     */
    static void checkInherit(int fd, Set<Integer> open) {
        if (open == null) {
            throw new IllegalArgumentException("inherit:M needs to know which fds the caller gave the launcher:"
                    + " start it with the rsyscall4j script, or give java -D" + FDS_PROPERTY + "=0,1,2,...");
        }
        if (!open.contains(fd)) {
            throw new IllegalArgumentException("fd " + fd + " was not open in the launcher's caller (open: "
                    + new TreeSet<>(open).toString().replaceAll("[\\[\\]]", "") + ")");
        }
    }
}
