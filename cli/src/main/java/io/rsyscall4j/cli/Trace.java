package io.rsyscall4j.cli;

import java.io.PrintWriter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * {@code --trace}: every fd lifecycle event on stderr, one line each, prefixed
 * {@code rsyscall4j: trace:}. Two sources: this command's own steps (what it opened, inherited,
 * dup'd, exec'd) and fdcore's own record of handles made, dup'd, invalidated and closed, which it
 * logs at DEBUG on {@code System.Logger} "io.rsyscall4j.fd" — switched on here for the JDK's
 * default logging backend.
 */
final class Trace implements AutoCloseable {
    private static final String PREFIX = "rsyscall4j: trace: ";
    private static final String FDCORE_LOGGER = "io.rsyscall4j.fd";

    private final PrintWriter err;
    private final boolean enabled;
    private Logger logger;
    private Handler handler;
    private Level previousLevel;
    private boolean previousUseParent;

    Trace(PrintWriter err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
        if (enabled) {
            logger = Logger.getLogger(FDCORE_LOGGER);
            previousLevel = logger.getLevel();
            previousUseParent = logger.getUseParentHandlers();
            handler = new ConsoleHandler();
            handler.setLevel(Level.ALL);
            handler.setFormatter(new Formatter() {
                @Override
                public String format(LogRecord record) {
                    return PREFIX + "fdcore: " + formatMessage(record) + System.lineSeparator();
                }
            });
            logger.setLevel(Level.FINE);
            logger.setUseParentHandlers(false);
            logger.addHandler(handler);
        }
    }

    /** One event of this command, formatted with {@link String#format}. */
    void event(String format, Object... args) {
        if (enabled) {
            err.println(PREFIX + String.format(format, args));
            err.flush();
        }
    }

    @Override
    public void close() {
        if (enabled) {
            handler.flush();
            logger.removeHandler(handler);
            logger.setLevel(previousLevel);
            logger.setUseParentHandlers(previousUseParent);
        }
    }
}
