package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ChildCode}'s bytes and entry offsets are what GNU {@code as} makes of
 * {@code fdcore/src/main/asm/child_x86_64.S}: the shipped code and its listing cannot drift apart.
 */
class ChildCodeMatchesListingTest {
    private static final Path LISTING = Path.of("src/main/asm/child_x86_64.S");

    @TempDir
    Path dir;

    @Test
    void theShippedBytesAreTheListingAssembled() throws Exception {
        Path object = dir.resolve("child.o");
        Path text = dir.resolve("child.bin");
        run("as", "--64", "-o", object.toString(), LISTING.toString());
        run("objcopy", "-O", "binary", "--only-section=.text", object.toString(), text.toString());
        assertArrayEquals(Files.readAllBytes(text), ChildCode.bytes(),
                "ChildCode.HEX is not child_x86_64.S assembled: run fdcore/src/main/asm/assemble.sh and paste its output");
        Map<String, Integer> symbols = new HashMap<>();
        for (String line : run("nm", object.toString()).split("\n")) {
            String[] f = line.trim().split(" +");
            if (f.length == 3 && f[1].equalsIgnoreCase("t")) {
                symbols.put(f[2], Integer.parseInt(f[0], 16));
            }
        }
        assertEquals(symbols.get("spawn"), ChildCode.OFFSET_SPAWN, "spawn's offset");
        assertEquals(symbols.get("trampoline"), ChildCode.OFFSET_TRAMPOLINE, "trampoline's offset");
    }

    /** Runs a binutils command; returns its output, failing the test unless it exits 0. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), command[0] + " ended");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }
}
