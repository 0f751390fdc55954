package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ChildCode}'s and {@link SignalCode}'s bytes and entry offsets are what GNU {@code as} makes
 * of their sources in {@code fdcore/src/main/asm}: the shipped code and its listing cannot drift apart.
 */
class ChildCodeMatchesListingTest {
    private static final Path LISTING = Path.of("src/main/asm/child_x86_64.S");

    @TempDir
    Path dir;

    @Test
    void theShippedBytesAreTheListingAssembled() throws Exception {
        Assembled listing = Assembled.of(LISTING, dir);
        assertArrayEquals(listing.text(), ChildCode.bytes(),
                "ChildCode.HEX is not child_x86_64.S assembled: run fdcore/src/main/asm/assemble.sh and paste its output");
        Map<String, Integer> symbols = listing.symbols();
        assertEquals(symbols.get("spawn"), ChildCode.OFFSET_SPAWN, "spawn's offset");
        assertEquals(symbols.get("trampoline"), ChildCode.OFFSET_TRAMPOLINE, "trampoline's offset");
    }

    @Test
    void theSignalCodeIsItsListingAssembled() throws Exception {
        Assembled listing = Assembled.of(Path.of("src/main/asm/signal_x86_64.S"), dir);
        assertArrayEquals(listing.text(), SignalCode.bytes(),
                "SignalCode.HEX is not signal_x86_64.S assembled: run fdcore/src/main/asm/assemble.sh signal_x86_64.S and paste its output");
        assertEquals(listing.symbols().get("handler"), SignalCode.OFFSET_HANDLER, "handler's offset");
        assertEquals(listing.symbols().get("restorer"), SignalCode.OFFSET_RESTORER, "restorer's offset");
    }
}
