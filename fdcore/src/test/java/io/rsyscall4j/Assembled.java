package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What GNU {@code as} makes of one of fdcore's assembly sources: the {@code .text} bytes and the
 * offsets of its local code symbols, to compare with the bytes a class ships.
 */
record Assembled(byte[] text, Map<String, Integer> symbols) {

    /** Assembles {@code source} into {@code dir} with {@code as}, {@code objcopy} and {@code nm}. */
    static Assembled of(Path source, Path dir) throws IOException, InterruptedException {
        Path object = dir.resolve("code.o");
        Path text = dir.resolve("code.bin");
        run("as", "--64", "-o", object.toString(), source.toString());
        run("objcopy", "-O", "binary", "--only-section=.text", object.toString(), text.toString());
        Map<String, Integer> symbols = new HashMap<>();
        for (String line : run("nm", object.toString()).split("\n")) {
            String[] f = line.trim().split(" +");
            if (f.length == 3 && f[1].equalsIgnoreCase("t")) {
                symbols.put(f[2], Integer.parseInt(f[0], 16));
            }
        }
        return new Assembled(Files.readAllBytes(text), symbols);
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
