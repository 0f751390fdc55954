package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The program gets exactly the bytes the launcher got, in its arguments, its environment and the
 * paths of {@code file:} fds, whatever they are and whatever the locale: here 0xff (never UTF-8)
 * and {@code é} in UTF-8 (0xc3 0xa9), made by {@code printf} so no JVM encodes them on the way in.
 */
class RawBytesIT {
    /** sh: the bytes ff c3 a9 in $a, fe in $V; the program writes "$1|$V" to fd 3, a file named $a in dir $1. */
    private static final String RUN = "a=$(printf '\\377\\303\\251'); V=$(printf '\\376'); export V; "
            + "\"$0\" exec --fd \"3=file:$1/$a:w\" -- sh -c 'printf %s \"$1|$V\" >&3' sh \"$a\" || exit; "
            + "od -An -v -tx1 \"$1/$a\"";

    @Test
    void argumentsEnvironmentAndPathsArriveByteForByteInAUtf8Locale(@TempDir Path tmp) throws Exception {
        assertEquals("ff c3 a9 7c fe", run(tmp, Map.of("LANG", "C.UTF-8")));
    }

    @Test
    void argumentsEnvironmentAndPathsArriveByteForByteUnderLcAllCWithoutLang(@TempDir Path tmp) throws Exception {
        assertEquals("ff c3 a9 7c fe", run(tmp, Map.of("LC_ALL", "C")));
    }

    @Test
    void aMessageShowsBytesThatAreNotUtf8AsEscapes(@TempDir Path tmp) throws Exception {
        ProcessBuilder pb = shell(tmp, Map.of("LANG", "C.UTF-8"), "\"$0\" exec --fd \"3=file:$1/$(printf 'x\\377\\303\\251')\" -- true");
        File err = tmp.resolve("err").toFile();
        Process p = pb.redirectError(err).start();
        assertTrue(p.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS));
        String message = java.nio.file.Files.readString(err.toPath(), StandardCharsets.UTF_8);
        assertEquals(1, p.exitValue(), message);
        assertTrue(message.contains("--fd 3=file:" + tmp + "/x\\xffé: openat(" + tmp + "/x\\xffé): ENOENT"), message);
    }

    @Test
    void aUtf8ChdirArrivesByteForByteUnderLcAllC(@TempDir Path tmp) throws Exception {
        String script = "d=\"$1/$(printf '\\303\\251')\"; mkdir \"$d\" && \"$0\" exec --chdir \"$d\" -- pwd | od -An -v -tx1";
        String hex = String.join(" ", HexFormat.ofDelimiter(" ").formatHex((tmp + "/").getBytes(StandardCharsets.UTF_8)));
        assertEquals(hex + " c3 a9 0a", run(tmp, Map.of("LC_ALL", "C"), script));
    }

    @Test
    void aChdirThatIsNotUtf8IsRefusedNamingIt(@TempDir Path tmp) throws Exception {
        ProcessBuilder pb = shell(tmp, Map.of("LANG", "C.UTF-8"), "\"$0\" exec --chdir \"$1/$(printf '\\377')\" -- true");
        File err = tmp.resolve("err").toFile();
        Process p = pb.redirectError(err).start();
        assertTrue(p.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS));
        String message = java.nio.file.Files.readString(err.toPath(), StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), message);
        assertEquals("rsyscall4j: --chdir " + tmp + "/\\xff: sandbox paths and names must be UTF-8\n", message);
    }

    private static String run(Path tmp, Map<String, String> locale) throws Exception {
        return run(tmp, locale, RUN);
    }

    private static String run(Path tmp, Map<String, String> locale, String script) throws Exception {
        Process p = shell(tmp, locale, script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.trim().replaceAll("\\s+", " ");
    }

    /** {@code sh -c SCRIPT rsyscall4j TMP} with exactly the locale variables {@code locale}. */
    private static ProcessBuilder shell(Path tmp, Map<String, String> locale, String script) {
        ProcessBuilder pb = new ProcessBuilder(List.of("sh", "-c", script, PrivateCacheIT.script().toString(), tmp.toString()));
        pb.environment().keySet().removeIf(k -> k.equals("LANG") || k.equals("LANGUAGE") || k.startsWith("LC_"));
        pb.environment().putAll(locale);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }
}
