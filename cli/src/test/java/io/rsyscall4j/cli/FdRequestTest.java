package io.rsyscall4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Parsing {@code --fd N=SPEC}: every form the issue names, and the bad ones refused with the reason. */
class FdRequestTest {

    @Test
    void parsesEveryKindOfSpec() {
        assertEquals(new FdRequest(3, new FdSpec.File("/tmp/a:b", FdSpec.Mode.READ), "3=file:/tmp/a:b"),
                FdRequest.parse("3=file:/tmp/a:b"));
        assertEquals(new FdSpec.File("out.txt", FdSpec.Mode.WRITE), FdRequest.parse("1=file:out.txt:w").spec());
        assertEquals(new FdSpec.File("db", FdSpec.Mode.READ_WRITE), FdRequest.parse("4=file:db:rw").spec());
        assertEquals(new FdSpec.File("log", FdSpec.Mode.APPEND), FdRequest.parse("5=file:log:a").spec());
        assertEquals(inet(SocketKind.TCP_LISTEN, "0.0.0.0", 8080), FdRequest.parse("3=tcp-listen:8080").spec());
        assertEquals(inet(SocketKind.TCP_LISTEN, "127.0.0.1", 0), FdRequest.parse("3=tcp-listen:127.0.0.1:0").spec());
        assertEquals(inet(SocketKind.TCP_LISTEN, "::1", 80), FdRequest.parse("3=tcp-listen:[::1]:80").spec());
        assertEquals(inet(SocketKind.TCP_CONNECT, "localhost", 80), FdRequest.parse("3=tcp-connect:localhost:80").spec());
        assertEquals(inet(SocketKind.UDP, "0.0.0.0", 53), FdRequest.parse("3=udp:53").spec());
        assertEquals(inet(SocketKind.UDP, "::", 53), FdRequest.parse("3=udp:[::]:53").spec());
        assertEquals(unix(SocketKind.UNIX_LISTEN, "/run/x.sock"), FdRequest.parse("3=unix-listen:/run/x.sock").spec());
        assertEquals(unix(SocketKind.UNIX_SEQPACKET, "/run/x.sock"), FdRequest.parse("3=unix-seqpacket:/run/x.sock").spec());
        assertEquals(unix(SocketKind.UNIX_DGRAM, "@log"), FdRequest.parse("3=unix-dgram:@log").spec());
        assertEquals(unix(SocketKind.UNIX_CONNECT, "rel.sock"), FdRequest.parse("3=unix-connect:rel.sock").spec());
        assertEquals(new FdSpec.Null(), FdRequest.parse("0=null").spec());
        assertEquals(new FdSpec.Inherit(7), FdRequest.parse("3=inherit:7").spec());
    }

    @Test
    void namesForListenFdnamesNeverHoldTheColonSeparator() {
        assertEquals("tcp-8080", FdSpec.parse("tcp-listen:127.0.0.1:8080").name());
        assertEquals("file-a_b", FdSpec.parse("file:/tmp/a:b").name());
        assertEquals("unix-x.sock", FdSpec.parse("unix-listen:/run/x.sock").name());
        assertEquals("udp-53", FdSpec.parse("udp:53").name());
        assertEquals("unix-seqpacket-a_b", FdSpec.parse("unix-seqpacket:@a:b").name());
    }

    @Test
    void refusesMalformedRequestsNamingWhatIsWrong() {
        assertMessage("--fd 3: expected N=SPEC", "3");
        assertMessage("--fd x=null: N=SPEC needs an fd number (digits 0-9), got \"x\"", "x=null");
        assertMessage("--fd -1=null: N=SPEC needs an fd number (digits 0-9), got \"-1\"", "-1=null");
        assertMessage("--fd +3=null: N=SPEC needs an fd number (digits 0-9), got \"+3\"", "+3=null");
        assertMessage("--fd \uFF13=null: N=SPEC needs an fd number (digits 0-9), got \"\uFF13\"", "\uFF13=null");
        assertMessage("--fd 2147483648=null: N=SPEC is too large an fd number: 2147483648", "2147483648=null");
        assertMessage("--fd 3=tcp-listen:+80: tcp-listen needs a PORT number (digits 0-9), got \"+80\"", "3=tcp-listen:+80");
        assertMessage("--fd 3=bogus:1: unknown SPEC \"bogus:1\" (expected " + FdSpec.SYNTAX + ")", "3=bogus:1");
        assertMessage("--fd 3=tcp-listen:http: tcp-listen needs a PORT number (digits 0-9), got \"http\"", "3=tcp-listen:http");
        assertMessage("--fd 3=tcp-listen:70000: tcp-listen PORT must be 0 to 65535, got 70000", "3=tcp-listen:70000");
        assertMessage("--fd 3=inherit:: inherit:M needs an fd number (digits 0-9), got \"\"", "3=inherit:");
        assertMessage("--fd 3=file:: file needs a PATH", "3=file:");
        assertMessage("--fd 3=unix-listen:: unix-listen needs a PATH or @NAME", "3=unix-listen:");
        assertMessage("--fd 3=unix-dgram:@: unix-dgram needs a NAME after @", "3=unix-dgram:@");
        String longName = "@" + "n".repeat(108);
        assertMessage("--fd 3=unix-listen:" + longName + ": unix-listen abstract name is 108 bytes long; the limit is 107: "
                + longName, "3=unix-listen:" + longName);
        assertMessage("--fd 3=tcp-connect:80: tcp-connect needs HOST:PORT, got \"80\"", "3=tcp-connect:80");
        assertMessage("--fd 3=tcp-connect:h:0: tcp-connect PORT must be 1 to 65535, got 0", "3=tcp-connect:h:0");
    }

    @Test
    void refusesAnFdNumberGivenTwice() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FdRequest.checkAll(List.of(FdRequest.parse("3=null"), FdRequest.parse("3=inherit:1")), false, Set.of(0, 1, 2)));
        assertEquals("fd 3 is given twice (--fd 3=inherit:1)", e.getMessage());
    }

    @Test
    void inheritTakesOnlyAnFdTheCallerGaveAndNeedsToKnowWhichThoseAre() {
        FdRequest.checkAll(List.of(FdRequest.parse("3=inherit:9")), false, Set.of(0, 1, 2, 9));
        IllegalArgumentException jvms = assertThrows(IllegalArgumentException.class,
                () -> FdRequest.checkAll(List.of(FdRequest.parse("3=inherit:4")), false, Set.of(0, 1, 2, 9)));
        assertEquals("--fd 3=inherit:4: fd 4 was not open in the launcher's caller (open: 0, 1, 2, 9)", jvms.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> FdRequest.checkAll(List.of(FdRequest.parse("3=inherit:1")), false, null));
        assertEquals("--fd 3=inherit:1: inherit:M needs to know which fds the caller gave the launcher: start it with"
                + " the rsyscall4j script, or give java -Drsyscall4j.caller.fds=0,1,2,...", unknown.getMessage());
    }

    @Test
    void listenFdsNeedsContiguousNumbersFromThree() {
        FdRequest.checkAll(List.of(FdRequest.parse("4=null"), FdRequest.parse("3=null"), FdRequest.parse("1=null")), true, Set.of(0, 1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FdRequest.checkAll(List.of(FdRequest.parse("3=null"), FdRequest.parse("5=null")), true, Set.of(0, 1, 2)));
        assertEquals("--listen-fds passes fds 3, 4, ... without gaps, but fd 4 is not given", e.getMessage());
        FdRequest.checkAll(List.of(FdRequest.parse("3=null"), FdRequest.parse("5=null")), false, Set.of(0, 1, 2));
    }

    private static FdSpec.Socket inet(SocketKind kind, String host, int port) {
        return new FdSpec.Socket(kind, host, port, null);
    }

    private static FdSpec.Socket unix(SocketKind kind, String path) {
        return new FdSpec.Socket(kind, null, 0, path);
    }

    private static void assertMessage(String expected, String arg) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FdRequest.parse(arg));
        assertEquals(expected, e.getMessage());
    }
}
