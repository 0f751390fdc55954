package io.rsyscall4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * exec's usual command lines read without picocli, whose reading of the commands' annotations
 * costs a short-lived launcher tens of milliseconds: {@code exec}, then only {@code --provider},
 * {@code --fd}, {@code --listen-fds}, {@code -a/--accept}, {@code --inetd}, {@code --fdname},
 * {@code -E/--setenv} and {@code --trace}, then the program (after {@code --} or not).
 *
 * <p>Anything else (help, the sandbox options, an option given twice, a missing value, a value
 * that starts with {@code -}) is left to picocli, so that its usage and its messages stay the only
 * ones; {@code CliParseTest} checks that both read every line this one takes alike.
 */
final class ExecArguments {
    private ExecArguments() {}

    /**
     * exec as {@code args} give it, or {@code null} if picocli must read them.
     *
     * @param args the whole command line, {@code exec} first
     */
    static ExecCommand parse(RuntimeView runtime, PrintWriter err, String... args) {
        if (args.length == 0 || !args[0].equals("exec")) {
            return null;
        }
        ExecCommand exec = new ExecCommand(runtime, err);
        Set<String> given = new HashSet<>();
        int i = 1;
        for (; i < args.length && args[i].startsWith("-"); i++) {
            String arg = args[i];
            if (arg.equals("--")) {
                i++;
                break;
            }
            int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
            String name = eq < 0 ? arg : arg.substring(0, eq);
            switch (name) {
                case "--listen-fds", "-a", "--accept", "--inetd", "--trace" -> {
                    if (eq >= 0 || !given.add(name.equals("-a") ? "--accept" : name)) {
                        return null;
                    }
                }
                case "--provider", "--fd", "--fdname", "-E", "--setenv" -> {
                    String value;
                    if (eq >= 0) {
                        value = arg.substring(eq + 1);
                    } else if (i + 1 < args.length) {
                        value = args[++i];
                    } else {
                        return null;
                    }
                    if (value.startsWith("-") || !add(exec, name, value)) {
                        return null;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
        if (i == args.length) {
            return null;
        }
        exec.activation.listenFds = given.contains("--listen-fds");
        exec.activation.accept = given.contains("--accept");
        exec.activation.inetd = given.contains("--inetd");
        exec.trace = given.contains("--trace");
        exec.command = new ArrayList<>(List.of(args).subList(i, args.length));
        return exec;
    }

    /** Adds the value of option {@code name} to {@code exec}; false if it was given already and may not be twice. */
    private static boolean add(ExecCommand exec, String name, String value) {
        switch (name) {
            case "--provider" -> {
                if (exec.provider != null) {
                    return false;
                }
                exec.provider = value;
            }
            case "--fd" -> exec.fds.add(value);
            case "--fdname" -> exec.activation.fdnameOptions.add(value);
            default -> exec.activation.setenvOptions.add(value);
        }
        return true;
    }
}
