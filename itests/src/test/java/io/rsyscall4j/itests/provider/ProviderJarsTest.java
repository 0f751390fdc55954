package io.rsyscall4j.itests.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The jars as built work three ways: each is a JPMS module (its descriptor), an OSGi bundle (its
 * manifest and Declarative Services XML) and a class-path jar ({@code META-INF/services}). This
 * reads what {@code jar --describe-module} and a bundle framework would read.
 */
final class ProviderJarsTest {
    private static final String SERVICE = "io.rsyscall4j.api.SyscallInterface";

    /** What one provider jar must declare. */
    record Expected(String artifact, String module, String implementation, String provider, int ranking,
            int javaRelease) {
        @Override
        public String toString() {
            return provider;
        }
    }

    static List<Expected> providers() {
        return List.of(
                new Expected("rsyscall4j-provider-ffm", "io.rsyscall4j.provider.ffm",
                        "io.rsyscall4j.provider.ffm.FfmSyscallInterface", "ffm", 100, 22),
                new Expected("rsyscall4j-provider-jna", "io.rsyscall4j.provider.jna",
                        "io.rsyscall4j.provider.jna.JnaSyscallInterface", "jna", 50, 17));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void providerJarIsAModuleThatProvidesTheServiceAndExportsNothing(Expected e) throws IOException {
        ModuleDescriptor d = descriptor(BuiltJars.jar(e.artifact()));
        assertEquals(e.module(), d.name());
        assertTrue(d.requires().stream().anyMatch(r -> r.name().equals("io.rsyscall4j.api")), d.toString());
        assertEquals(Set.of(), d.exports(), "a provider's packages are private");
        assertEquals(1, d.provides().size(), d.toString());
        ModuleDescriptor.Provides p = d.provides().iterator().next();
        assertEquals(SERVICE, p.service());
        assertEquals(List.of(e.implementation()), p.providers());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void providerJarIsABundleWithADeclarativeServicesComponent(Expected e) throws Exception {
        try (JarFile jar = new JarFile(BuiltJars.jar(e.artifact()).toFile())) {
            Attributes m = jar.getManifest().getMainAttributes();
            assertEquals("2", m.getValue("Bundle-ManifestVersion"));
            assertEquals(e.module(), m.getValue("Bundle-SymbolicName"), "bundle and module share one name");
            assertNull(m.getValue("Export-Package"), "a provider exports no package");
            assertTrue(m.getValue("Import-Package").contains("io.rsyscall4j.api"), m.getValue("Import-Package"));
            String requirements = m.getValue("Require-Capability");
            assertTrue(requirements.contains("(osgi.ee=JavaSE)(version=" + e.javaRelease() + ")"), requirements);
            assertTrue(requirements.contains("(osgi.extender=osgi.component)"), requirements);

            String componentPath = m.getValue("Service-Component");
            assertNotNull(componentPath, "Service-Component header");
            Element component = parse(jar, componentPath).getDocumentElement();
            assertEquals(e.implementation(),
                    ((Element) component.getElementsByTagName("implementation").item(0)).getAttribute("class"));
            assertEquals(SERVICE,
                    ((Element) component.getElementsByTagName("provide").item(0)).getAttribute("interface"));
            Map<String, String> properties = new HashMap<>();
            NodeList props = component.getElementsByTagName("property");
            for (int i = 0; i < props.getLength(); i++) {
                Element prop = (Element) props.item(i);
                properties.put(prop.getAttribute("name"), prop.getAttribute("type") + ":" + prop.getAttribute("value"));
            }
            assertEquals(Map.of("provider", "String:" + e.provider(), "service.ranking", "Integer:" + e.ranking()),
                    properties);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void providerJarNamesItsClassForTheClassPathServiceLoader(Expected e) throws IOException {
        try (JarFile jar = new JarFile(BuiltJars.jar(e.artifact()).toFile())) {
            String services = read(jar, "META-INF/services/" + SERVICE);
            assertEquals(List.of(e.implementation()), services.lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toList()));
        }
    }

    /** Class file major version = Java release + 44: what decides the oldest JDK that loads it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void providerClassesTargetTheirJavaRelease(Expected e) throws IOException {
        try (JarFile jar = new JarFile(BuiltJars.jar(e.artifact()).toFile());
                InputStream in = jar.getInputStream(jar.getEntry(e.implementation().replace('.', '/') + ".class"))) {
            byte[] header = in.readNBytes(8);
            int major = ((header[6] & 0xff) << 8) | (header[7] & 0xff);
            assertEquals(e.javaRelease() + 44, major);
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void providerImportsTheApiPackageUpToItsNextMajorVersion(Expected e) throws IOException {
        // SyscallInterface is a @ConsumerType: a provider that implements it works with every minor
        // version of io.rsyscall4j.api ([1.0,2)); were it a @ProviderType, bnd would narrow the
        // range to one minor version ([1.0,1.1)).
        try (JarFile jar = new JarFile(BuiltJars.jar(e.artifact()).toFile())) {
            String imports = jar.getManifest().getMainAttributes().getValue("Import-Package");
            Matcher m = Pattern.compile("io\\.rsyscall4j\\.api;version=\"\\[(\\d+)\\.\\d+,(\\d+)\\)\"").matcher(imports);
            assertTrue(m.find(), imports);
            assertEquals(Integer.parseInt(m.group(1)) + 1, Integer.parseInt(m.group(2)), imports);
        }
    }

    @Test
    void apiJarIsAModuleAndBundleExportingOnlyTheApiPackage() throws IOException {
        Path api = BuiltJars.jar("rsyscall4j-api");
        ModuleDescriptor d = descriptor(api);
        assertEquals("io.rsyscall4j.api", d.name());
        assertEquals(Set.of("io.rsyscall4j.api"),
                d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        try (JarFile jar = new JarFile(api.toFile())) {
            Attributes m = jar.getManifest().getMainAttributes();
            assertEquals("io.rsyscall4j.api", m.getValue("Bundle-SymbolicName"));
            assertTrue(m.getValue("Export-Package").matches("io\\.rsyscall4j\\.api;version=\"[^\"]+\""),
                    m.getValue("Export-Package"));
            assertTrue(m.getValue("Require-Capability").contains("(osgi.ee=JavaSE)(version=17)"),
                    m.getValue("Require-Capability"));
        }
    }

    private static ModuleDescriptor descriptor(Path jar) {
        ModuleDescriptor d = ModuleFinder.of(jar).findAll().iterator().next().descriptor();
        assertTrue(!d.isAutomatic(), jar + " has a module-info, not an automatic name");
        return d;
    }

    private static String read(JarFile jar, String entry) throws IOException {
        assertNotNull(jar.getEntry(entry), entry + " in " + jar.getName());
        try (InputStream in = jar.getInputStream(jar.getEntry(entry))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Document parse(JarFile jar, String entry) throws Exception {
        assertNotNull(jar.getEntry(entry), entry + " in " + jar.getName());
        try (InputStream in = jar.getInputStream(jar.getEntry(entry))) {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
        }
    }
}
