package io.rsyscall4j.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The socket activation options of {@code exec}, as {@code systemd-socket-activate} has them:
 * the {@code LISTEN_*} variables, accept mode, the inetd protocol, fd names and extra variables.
 * Checked against the {@code --fd}s before anything is opened.
 *
 * <p>The variables follow sd_listen_fds(3): {@code LISTEN_FDS} counts the fds from 3 on,
 * {@code LISTEN_PID} is the program's own pid (as its {@code getpid} says, also in a pid namespace
 * of its own), {@code LISTEN_FDNAMES} holds their names, colon-separated: those of
 * {@code --fdname}, else one made from each SPEC (e.g. {@code tcp-8080}), {@code connection} for
 * accept mode's connection. {@code -E} is applied last, so it can override any of them.
 */
final class ActivationOptions {
    /** The first fd socket activation passes (SD_LISTEN_FDS_START). */
    static final int LISTEN_FDS_START = 3;
    static final List<String> LISTEN_VARIABLES = List.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES");
    /** The longest name LISTEN_FDNAMES may hold (systemd's FDNAME_MAX). */
    private static final int FDNAME_MAX = 255;
    /** accept mode's default name for the connection, as systemd names it. */
    static final String CONNECTION_NAME = "connection";

    @Option(names = "--listen-fds", description = "Set LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (systemd socket activation) for fds 3 and up.")
    boolean listenFds;

    @Option(names = {"-a", "--accept"}, description = "Accept mode: keep the listening sockets of --fd 3 and up,"
            + " and run PROGRAM once per connection, the connection as fd 3 with LISTEN_FDS=1. SIGTERM, SIGINT,"
            + " SIGHUP or SIGQUIT end it, and go to every program still running.")
    boolean accept;

    @Option(names = "--inetd", description = "The socket (or accept mode's connection) as fds 0 and 1 instead,"
            + " without LISTEN_* variables.")
    boolean inetd;

    @Option(names = "--fdname", paramLabel = "NAME[:NAME...]", description = "Names for LISTEN_FDNAMES, one per"
            + " fd from 3 on (one name: for all). Repeatable.")
    List<String> fdnameOptions = new ArrayList<>();

    @Option(names = {"-E", "--setenv"}, paramLabel = "VAR[=VALUE]", description = "Set VAR in the program's"
            + " environment (without =VALUE: the launcher's own value, or empty). Repeatable.")
    List<String> setenvOptions = new ArrayList<>();

    private final List<String> fdnames = new ArrayList<>();
    /** {@code -E}: name to value, byte strings ({@link RawText}); the last one given for a name counts. */
    private final Map<String, String> setenv = new LinkedHashMap<>();

    /** Whether the program gets the {@code LISTEN_*} variables. */
    boolean setsListenVariables() {
        return !inetd && (listenFds || accept);
    }

    /**
     * Checks the options against each other and the {@code --fd}s; keeps the parsed names and
     * variables.
     *
     * @throws IllegalArgumentException the first problem, naming the option
     */
    void check(List<FdRequest> requests, List<byte[]> launcherEnvironment) {
        List<FdRequest> passed = requests.stream().filter(r -> r.number() >= LISTEN_FDS_START).toList();
        if (accept) {
            if (passed.isEmpty()) {
                throw new IllegalArgumentException("--accept needs a listening socket: give one with --fd 3=tcp-listen:PORT"
                        + " (or unix-listen:PATH, unix-seqpacket:PATH)");
            }
            for (FdRequest r : passed) {
                if (!(r.spec() instanceof FdSpec.Socket s && s.kind().listens())) {
                    throw new IllegalArgumentException("--accept: --fd " + r.text() + " is not a listening stream or"
                            + " seqpacket socket (tcp-listen, unix-listen, unix-seqpacket): accept mode takes only"
                            + " those from fd 3 on");
                }
            }
        }
        if (inetd) {
            if (listenFds) {
                throw new IllegalArgumentException("--inetd passes the socket as fds 0 and 1, without LISTEN_FDS:"
                        + " it cannot go with --listen-fds");
            }
            if (!accept && passed.size() != 1) {
                throw new IllegalArgumentException("--inetd passes exactly one socket (as fds 0 and 1), but "
                        + passed.size() + " fds from 3 on are given");
            }
            for (FdRequest r : requests) {
                if (r.number() == 0 || r.number() == 1) {
                    throw new IllegalArgumentException("--inetd puts the socket at fds 0 and 1, but --fd " + r.text()
                            + " gives fd " + r.number() + " too");
                }
            }
        }
        checkNames(accept ? 1 : passed.size());
        for (String assignment : setenvOptions) {
            parseSetenv(assignment, launcherEnvironment);
        }
    }

    private void checkNames(int fds) {
        if (fdnameOptions.isEmpty()) {
            return;
        }
        if (!setsListenVariables()) {
            throw new IllegalArgumentException("--fdname " + fdnameOptions.get(0) + ": names go in LISTEN_FDNAMES,"
                    + " which only --listen-fds or --accept sets" + (inetd ? " (and never with --inetd)" : ""));
        }
        for (String option : fdnameOptions) {
            for (String name : option.split(":", -1)) {
                if (name.length() > FDNAME_MAX) {
                    throw new IllegalArgumentException("--fdname " + option + ": a name is at most " + FDNAME_MAX
                            + " characters, got " + name.length());
                }
                for (int i = 0; i < name.length(); i++) {
                    char c = name.charAt(i);
                    if (c < 0x20 || c >= 0x7f) {
                        throw new IllegalArgumentException("--fdname " + option + ": a name is printable ASCII"
                                + " (no control characters, nothing past ~), got \"" + name + "\"");
                    }
                }
                fdnames.add(name);
            }
        }
        if (fdnames.size() != 1 && fdnames.size() != fds) {
            throw new IllegalArgumentException("--fdname gives " + fdnames.size() + " names for " + fds + " fd"
                    + (fds == 1 ? "" : "s") + " (one name for all, or one per fd from 3 on)");
        }
    }

    /** {@code VAR[=VALUE]}: the variable's name must be a shell's (letters, digits, '_', not starting with a digit). */
    private void parseSetenv(String assignment, List<byte[]> launcherEnvironment) {
        int eq = assignment.indexOf('=');
        String name = eq < 0 ? assignment : assignment.substring(0, eq);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("--setenv " + assignment + ": VAR must be letters, digits and _,"
                    + " not starting with a digit, got \"" + name + "\"");
        }
        String value = eq >= 0 ? assignment.substring(eq + 1) : "";
        if (eq < 0) {
            for (byte[] entry : launcherEnvironment) {
                String e = RawText.string(entry);
                if (e.startsWith(name + "=")) {
                    value = e.substring(name.length() + 1);
                }
            }
        }
        setenv.remove(name);
        setenv.put(name, value);
    }

    /**
     * The program's environment, each entry {@code NAME=VALUE} as bytes: {@code base} without any
     * {@code LISTEN_*} variable, then those of this run if it sets them, then {@code -E}, which
     * replaces an entry of the same name.
     *
     * @param defaultNames the names made from the SPECs of the fds from 3 on
     * @param ownPid the program's pid as it sees it
     */
    List<byte[]> environment(List<byte[]> base, List<String> defaultNames, int ownPid) {
        List<byte[]> env = new ArrayList<>();
        for (byte[] entry : base) {
            String text = RawText.string(entry);
            int eq = text.indexOf('=');
            String name = eq < 0 ? text : text.substring(0, eq);
            if (!LISTEN_VARIABLES.contains(name) && !setenv.containsKey(name)) {
                env.add(entry);
            }
        }
        Map<String, String> added = new LinkedHashMap<>();
        if (setsListenVariables()) {
            List<String> names = fdnames.isEmpty() ? defaultNames
                    : fdnames.size() == 1 ? Collections.nCopies(defaultNames.size(), fdnames.get(0)) : fdnames;
            added.put("LISTEN_PID", Integer.toString(ownPid));
            added.put("LISTEN_FDS", Integer.toString(defaultNames.size()));
            added.put("LISTEN_FDNAMES", String.join(":", names));
        }
        added.putAll(setenv);
        added.forEach((name, value) -> env.add(RawText.bytes(name + "=" + value)));
        return env;
    }
}
