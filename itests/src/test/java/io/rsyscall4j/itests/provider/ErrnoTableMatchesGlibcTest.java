package io.rsyscall4j.itests.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rsyscall4j.api.Errno;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The api's errno table says what this machine's C library says: glibc's
 * {@code strerrorname_np} and {@code strerrordesc_np} (untranslated, so the locale does not matter).
 */
@SuppressWarnings("restricted") // test code: binds two glibc functions by name
final class ErrnoTableMatchesGlibcTest {

    @Test
    void everyErrnoNameAndDescriptionMatchesGlibc() throws Throwable {
        MethodHandle name = libcStringFunction("strerrorname_np");
        MethodHandle desc = libcStringFunction("strerrordesc_np");
        List<String> mismatches = new ArrayList<>();
        int known = 0;
        for (int errno = 1; errno <= 133; errno++) {
            MemorySegment n = (MemorySegment) name.invokeExact(errno);
            if (n.equals(MemorySegment.NULL)) {
                // glibc knows no such errno: the api must not invent one either.
                expect(mismatches, errno, "E" + errno, Errno.name(errno));
                continue;
            }
            known++;
            expect(mismatches, errno, string(n), Errno.name(errno));
            expect(mismatches, errno, string((MemorySegment) desc.invokeExact(errno)), Errno.description(errno));
        }
        assertEquals(List.of(), mismatches);
        assertEquals(131, known, "glibc names 131 errnos in 1..133");
    }

    private static void expect(List<String> mismatches, int errno, String glibc, String api) {
        if (!glibc.equals(api)) {
            mismatches.add(errno + ": glibc \"" + glibc + "\" api \"" + api + "\"");
        }
    }

    private static MethodHandle libcStringFunction(String symbol) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(symbol).orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    private static String string(MemorySegment cString) {
        return cString.reinterpret(1024).getString(0);
    }
}
