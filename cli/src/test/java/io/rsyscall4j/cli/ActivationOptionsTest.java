package io.rsyscall4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The socket activation options checked against the --fds, and the environment they make. */
class ActivationOptionsTest {

    @Test
    void listenVariablesAreTheProgramsOwnPidTheCountAndTheNames() {
        ActivationOptions a = options(o -> o.listenFds = true);
        a.check(requests("3=tcp-listen:80", "4=null"), List.of());
        List<String> env = text(a.environment(bytes("LISTEN_FDS=9", "KEEP=x"), List.of("tcp-80", "null"), 1));
        assertEquals(List.of("KEEP=x", "LISTEN_PID=1", "LISTEN_FDS=2", "LISTEN_FDNAMES=tcp-80:null"), env);
    }

    @Test
    void withoutListenFdsNoListenVariableReachesTheProgram() {
        ActivationOptions a = new ActivationOptions();
        a.check(requests("3=null"), List.of());
        assertEquals(List.of("A=\u00ff"), text(a.environment(bytes("LISTEN_PID=5", "A=\u00ff", "LISTEN_FDNAMES=a"),
                List.of("null"), 7)), "the other entries byte for byte");
    }

    @Test
    void fdnameGivesOneNameForAllOrOnePerFd() {
        ActivationOptions one = options(o -> {
            o.listenFds = true;
            o.fdnameOptions.add("web");
        });
        one.check(requests("3=null", "4=null"), List.of());
        assertEquals("web:web", get(one.environment(List.of(), List.of("a", "b"), 1), "LISTEN_FDNAMES"));
        ActivationOptions each = options(o -> {
            o.listenFds = true;
            o.fdnameOptions.addAll(List.of("a:b", "c"));
        });
        each.check(requests("3=null", "4=null", "5=null"), List.of());
        assertEquals("a:b:c", get(each.environment(List.of(), List.of("x", "y", "z"), 1), "LISTEN_FDNAMES"));
        assertRefused("--fdname gives 2 names for 3 fds (one name for all, or one per fd from 3 on)",
                o -> {
                    o.listenFds = true;
                    o.fdnameOptions.add("a:b");
                }, "3=null", "4=null", "5=null");
        assertRefused("--fdname a\u0007: a name is printable ASCII (no control characters, nothing past ~), got \"a\u0007\"",
                o -> {
                    o.listenFds = true;
                    o.fdnameOptions.add("a\u0007");
                }, "3=null");
        assertRefused("--fdname a: names go in LISTEN_FDNAMES, which only --listen-fds or --accept sets",
                o -> o.fdnameOptions.add("a"), "3=null");
    }

    @Test
    void setenvSetsAfterTheListenVariablesAndTakesTheLaunchersValueWithoutEquals() {
        ActivationOptions a = options(o -> {
            o.listenFds = true;
            o.setenvOptions.addAll(List.of("A=1", "A=2=3", "LISTEN_FDNAMES=mine", "EMPTY=", "RSYSCALL4J_SURELY_UNSET"));
        });
        a.check(requests("3=null"), bytes("FROM=\u00ff", "A=0"));
        List<byte[]> env = a.environment(bytes("A=0", "B=1"), List.of("null"), 1);
        assertEquals("2=3", get(env, "A"));
        assertEquals("1", get(env, "B"));
        assertEquals("mine", get(env, "LISTEN_FDNAMES"));
        assertEquals("", get(env, "EMPTY"));
        assertEquals("", get(env, "RSYSCALL4J_SURELY_UNSET"));
        assertEquals(1, text(env).stream().filter(e -> e.startsWith("A=")).count(), "-E replaces: " + text(env));
        ActivationOptions from = options(o -> o.setenvOptions.add("FROM"));
        from.check(requests(), bytes("FROM=\u00ff"));
        assertEquals(List.of("FROM=\u00ff"), text(from.environment(List.of(), List.of(), 1)), "the launcher's own bytes");
        assertRefused("--setenv 1X=a: VAR must be letters, digits and _, not starting with a digit, got \"1X\"",
                o -> o.setenvOptions.add("1X=a"));
        assertRefused("--setenv =a: VAR must be letters, digits and _, not starting with a digit, got \"\"",
                o -> o.setenvOptions.add("=a"));
    }

    @Test
    void acceptTakesOnlyListeningStreamOrSeqpacketSocketsFromThreeOn() {
        ActivationOptions a = options(o -> o.accept = true);
        a.check(requests("0=null", "3=tcp-listen:80", "4=unix-seqpacket:@x"), List.of());
        assertEquals("1", get(a.environment(List.of(), List.of("connection"), 9), "LISTEN_FDS"));
        assertRefused("--accept: --fd 4=udp:53 is not a listening stream or seqpacket socket (tcp-listen, unix-listen,"
                + " unix-seqpacket): accept mode takes only those from fd 3 on", o -> o.accept = true,
                "3=tcp-listen:80", "4=udp:53");
        assertRefused("--accept needs a listening socket: give one with --fd 3=tcp-listen:PORT (or unix-listen:PATH,"
                + " unix-seqpacket:PATH)", o -> o.accept = true, "1=null");
    }

    @Test
    void inetdPassesOneSocketAsZeroAndOneWithoutListenVariables() {
        ActivationOptions a = options(o -> o.inetd = true);
        a.check(requests("3=tcp-listen:80"), List.of());
        assertEquals(null, get(a.environment(List.of(), List.of("tcp-80"), 1), "LISTEN_FDS"));
        assertRefused("--inetd passes exactly one socket (as fds 0 and 1), but 2 fds from 3 on are given",
                o -> o.inetd = true, "3=tcp-listen:80", "4=null");
        assertRefused("--inetd puts the socket at fds 0 and 1, but --fd 1=null gives fd 1 too",
                o -> o.inetd = true, "1=null", "3=tcp-listen:80");
        assertRefused("--inetd passes the socket as fds 0 and 1, without LISTEN_FDS: it cannot go with --listen-fds",
                o -> {
                    o.inetd = true;
                    o.listenFds = true;
                }, "3=tcp-listen:80");
    }

    private interface Setup {
        void apply(ActivationOptions o);
    }

    private static ActivationOptions options(Setup setup) {
        ActivationOptions o = new ActivationOptions();
        setup.apply(o);
        return o;
    }

    private static List<byte[]> bytes(String... entries) {
        return java.util.Arrays.stream(entries).map(RawText::bytes).toList();
    }

    private static List<String> text(List<byte[]> env) {
        return env.stream().map(RawText::string).toList();
    }

    /** The value of {@code name} in {@code env}, or null. */
    private static String get(List<byte[]> env, String name) {
        return text(env).stream().filter(e -> e.startsWith(name + "=")).map(e -> e.substring(name.length() + 1))
                .findFirst().orElse(null);
    }

    private static List<FdRequest> requests(String... texts) {
        List<FdRequest> out = new ArrayList<>();
        for (String t : texts) {
            out.add(FdRequest.parse(t));
        }
        return out;
    }

    private static void assertRefused(String message, Setup setup, String... fds) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> options(setup).check(requests(fds), List.of()));
        assertEquals(message, e.getMessage());
    }
}
