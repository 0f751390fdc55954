package io.rsyscall4j;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.text.MessageFormat;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The test JVM's System.Logger backend (registered as a service in test resources): writes
 * WARNING and above, with their stack traces, to {@link #WARNINGS} (the fault tests' expected
 * failures would fill the build's console), and while {@link #capture} is on records rsyscall4j's
 * DEBUG lines so a test can check what the lifecycle logs.
 */
public final class CapturingLoggerFinder extends System.LoggerFinder {
    /** Where warnings go: one file per module's test runs, appended to. */
    static final Path WARNINGS = Path.of("target", "test-warnings.log");

    private static volatile boolean capturing;
    static final List<String> LINES = new CopyOnWriteArrayList<>();

    /** Starts recording rsyscall4j's log lines (clearing earlier ones). */
    static void capture(boolean on) {
        LINES.clear();
        capturing = on;
    }

    public CapturingLoggerFinder() {}

    private static synchronized void append(String text) {
        try {
            Files.createDirectories(WARNINGS.getParent());
            Files.writeString(WARNINGS, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.print(text); // nowhere else to put it
        }
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new System.Logger() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public boolean isLoggable(Level level) {
                return level.getSeverity() >= Level.WARNING.getSeverity()
                        || (capturing && name.startsWith("io.rsyscall4j") && level.getSeverity() >= Level.DEBUG.getSeverity());
            }

            @Override
            public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
                emit(level, msg, thrown);
            }

            @Override
            public void log(Level level, ResourceBundle bundle, String format, Object... params) {
                if (!isLoggable(level)) {
                    return;
                }
                emit(level, params == null || params.length == 0 ? format : MessageFormat.format(format, params), null);
            }

            private void emit(Level level, String line, Throwable thrown) {
                if (!isLoggable(level)) {
                    return;
                }
                if (capturing && name.startsWith("io.rsyscall4j")) {
                    LINES.add(line);
                }
                if (level.getSeverity() >= Level.WARNING.getSeverity()) {
                    StringWriter text = new StringWriter();
                    PrintWriter w = new PrintWriter(text);
                    w.println(level + " " + name + ": " + line);
                    if (thrown != null) {
                        thrown.printStackTrace(w);
                    }
                    w.flush();
                    append(text.toString());
                }
            }

            @Override
            public void log(Level level, Supplier<String> msg) {
                if (isLoggable(level)) {
                    emit(level, msg.get(), null);
                }
            }
        };
    }
}
