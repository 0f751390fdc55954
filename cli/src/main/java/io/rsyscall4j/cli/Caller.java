package io.rsyscall4j.cli;

import io.rsyscall4j.Task;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;

/**
 * What the {@code rsyscall4j} script recorded of its caller before it started the JVM, as system
 * properties: the caller's umask ({@code rsyscall4j.umask}, octal), which the script replaced with
 * 077 so the JVM and Felix write their cache private.
 */
final class Caller {
    static final String UMASK_PROPERTY = "rsyscall4j.umask";

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
}
