package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * fdcore's public surface, per exported package, is exactly the list checked in beside this test
 * ({@code public-api.txt}): public types, their public members, and protected members only where
 * code outside the package can subclass. A new public name is then a decision, not an accident: on
 * a difference the test writes the actual list to {@code target/public-api.actual.txt}.
 */
class PublicApiTest {
    private static final List<String> EXPORTED = List.of("io.rsyscall4j", "io.rsyscall4j.fd");

    @Test
    void publicSurfaceIsExactlyTheCheckedInList() throws IOException, URISyntaxException {
        List<String> expected;
        try (InputStream in = PublicApiTest.class.getResourceAsStream("public-api.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        }
        List<String> actual = surface();
        if (!actual.equals(expected)) {
            Path out = Path.of("target", "public-api.actual.txt");
            Files.write(out, actual, StandardCharsets.UTF_8);
            TreeSet<String> added = new TreeSet<>(actual);
            expected.forEach(added::remove);
            TreeSet<String> removed = new TreeSet<>(expected);
            actual.forEach(removed::remove);
            fail("fdcore's public surface changed; new: " + first(added) + "; gone: " + first(removed) + ". If intended, copy "
                    + out.toAbsolutePath() + " over src/test/resources/io/rsyscall4j/public-api.txt");
        }
    }

    @Test
    void onlyTheApiPackagesAreExported() throws IOException {
        String bnd = Files.readString(Path.of("bnd.bnd"));
        assertTrue(bnd.contains("-exportcontents: io.rsyscall4j, io.rsyscall4j.fd\n"), "bnd.bnd exports: " + bnd);
        String moduleInfo = Files.readString(Path.of("src/main/java/module-info.java"));
        List<String> exports = moduleInfo.lines().map(String::strip).filter(l -> l.startsWith("exports ")).toList();
        assertEquals(EXPORTED.stream().map(p -> "exports " + p + ";").toList(), exports);
    }

    private static String first(TreeSet<String> lines) {
        return lines.size() <= 20 ? lines.toString() : lines.stream().limit(20).toList() + " and " + (lines.size() - 20) + " more";
    }

    /** One line per public type and per API member of the exported packages, sorted. */
    static List<String> surface() throws IOException, URISyntaxException {
        Path classes = Path.of(FileDescriptor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        TreeSet<String> lines = new TreeSet<>();
        for (String pkg : EXPORTED) {
            Path dir = classes.resolve(pkg.replace('.', '/'));
            List<Path> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(f -> f.toString().endsWith(".class")).toList();
            }
            for (Path f : files) {
                String file = f.getFileName().toString();
                Class<?> c = load(pkg + "." + file.substring(0, file.length() - ".class".length()));
                if (isVisible(c)) {
                    describe(c, lines);
                }
            }
        }
        return new ArrayList<>(lines);
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, PublicApiTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    /** A public type all of whose enclosing types are public too. */
    private static boolean isVisible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) {
                return false;
            }
        }
        return true;
    }

    /** Whether code outside the package can subclass {@code c}, which makes its protected members API. */
    private static boolean isExtensibleOutside(Class<?> c) {
        if (Modifier.isFinal(c.getModifiers()) || c.isSealed() || c.isInterface() || c.isEnum() || c.isRecord()) {
            return false;
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (Modifier.isPublic(k.getModifiers()) || Modifier.isProtected(k.getModifiers())) {
                return true;
            }
        }
        return false;
    }

    private static void describe(Class<?> c, TreeSet<String> lines) {
        String name = c.getName();
        int typeModifiers = c.getModifiers() & ~(c.isInterface() ? Modifier.INTERFACE | Modifier.ABSTRACT : 0);
        StringBuilder type = new StringBuilder(name).append(": ").append(Modifier.toString(typeModifiers));
        type.append(c.isSealed() ? " sealed" : "").append(c.isInterface() ? " interface" : c.isEnum() ? " enum"
                : c.isRecord() ? " record" : " class");
        if (c.getSuperclass() != null && c.getSuperclass() != Object.class && !c.isEnum() && !c.isRecord()) {
            type.append(" extends ").append(c.getSuperclass().getName());
        }
        for (Class<?> i : c.getInterfaces()) {
            type.append(" implements ").append(i.getName());
        }
        if (c.isSealed()) {
            for (Class<?> p : c.getPermittedSubclasses()) {
                type.append(" permits ").append(p.getName());
            }
        }
        lines.add(type.toString());
        boolean protectedIsApi = isExtensibleOutside(c);
        List<Member> members = new ArrayList<>();
        members.addAll(List.of(c.getDeclaredFields()));
        members.addAll(List.of(c.getDeclaredConstructors()));
        members.addAll(List.of(c.getDeclaredMethods()));
        // A non-public superclass's public members are reached through c: they are c's API.
        for (Class<?> k = c.getSuperclass(); k != null && !Modifier.isPublic(k.getModifiers()); k = k.getSuperclass()) {
            members.addAll(List.of(k.getDeclaredFields()));
            members.addAll(List.of(k.getDeclaredMethods()));
        }
        for (Member m : members) {
            int mod = m.getModifiers();
            boolean api = Modifier.isPublic(mod) || (protectedIsApi && Modifier.isProtected(mod));
            if (!api || m.isSynthetic() || (m instanceof Method method && method.isBridge())) {
                continue;
            }
            lines.add(name + ": " + signature(m));
        }
    }

    private static String signature(Member m) {
        if (m instanceof Field f) {
            return Modifier.toString(f.getModifiers()) + " " + f.getGenericType().getTypeName() + " " + f.getName();
        }
        Executable e = (Executable) m;
        String s = e.toGenericString();
        // Drop the declaring class from the name, kept once at the start of the line.
        return s.replace(e.getDeclaringClass().getName() + ".", "");
    }
}
