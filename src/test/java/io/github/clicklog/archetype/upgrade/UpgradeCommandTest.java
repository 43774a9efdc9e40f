package io.github.clicklog.archetype.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated project's upgrade command as the archetype jar carries it (after build-time filtering), compiled
 * here: its reading of an archetype's descriptor and CHANGES.md. The it-upgrade IT drives it end to end.
 */
class UpgradeCommandTest {
    static final Path SOURCE = Path.of(System.getProperty("archetype.resources", "target/classes"))
            .resolve("archetype-resources/.mvn/clicklog-archetype/Upgrade.java");

    @TempDir
    static Path classes;
    private static Class<?> upgrade;

    @BeforeAll
    static void compile() throws Exception {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        int exit = compiler.run(null, null, null, "-d", classes.toString(), SOURCE.toString());
        assertEquals(0, exit, "Upgrade.java compiles");
        upgrade = new URLClassLoader(new URL[] {classes.toUri().toURL()}).loadClass("Upgrade");
    }

    @Test
    void the_plugin_versions_are_filled_in_when_the_archetype_is_built() throws Exception {
        String source = Files.readString(SOURCE);
        assertFalse(source.contains("@archetype.version@") || source.contains("@plugin.dependency.version@"), source);
        assertTrue(source.contains("maven-archetype-plugin:" + System.getProperty("archetype.plugin.version", "3.4.1")));
    }

    @Test
    void release_notes_are_the_sections_above_the_current_version(@TempDir Path dir) throws Exception {
        Path jar = jar(dir, "# Changes\n\nNewest first.\n\n## 1.3.0\n\n- three\n\n## 1.2.0 (2026-12-01)\n\n- two\n\n"
                + "## 1.1.0\n\n- one\n");
        assertEquals("## 1.3.0\n\n- three\n\n## 1.2.0 (2026-12-01)\n\n- two\n\n", notes(jar, "1.1.0", "1.3.0"));
        assertEquals("## 1.2.0 (2026-12-01)\n\n- two\n\n", notes(jar, "1.1.0", "1.2.0"));
        String unknownStart = notes(jar, "1.0.0", "1.3.0");
        assertTrue(unknownStart.startsWith("## 1.3.0\n\n- three\n\n(CHANGES.md has no section for 1.0.0"), unknownStart);
        assertEquals("", notes(jar, "1.1.0", "2.0.0"), "a target without a section has no notes");
    }

    @Test
    void required_properties_come_with_their_defaults_or_null(@TempDir Path dir) throws Exception {
        Path jar = dir.resolve("a.jar");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new ZipEntry("META-INF/maven/archetype-metadata.xml"));
            out.write(("<archetype-descriptor xmlns=\"https://maven.apache.org/plugins/maven-archetype-plugin/archetype-descriptor/1.2.0\">"
                    + "<requiredProperties><requiredProperty key=\"topic\"><defaultValue>clicklog</defaultValue></requiredProperty>"
                    + "<requiredProperty key=\"clickRegion\"/></requiredProperties></archetype-descriptor>")
                    .getBytes(StandardCharsets.UTF_8));
        }
        Method required = upgrade.getDeclaredMethod("requiredProperties", ZipFile.class);
        required.setAccessible(true);
        try (ZipFile archive = new ZipFile(jar.toFile())) {
            Map<?, ?> properties = (Map<?, ?>) required.invoke(null, archive);
            assertEquals("clicklog", properties.get("topic"));
            assertTrue(properties.containsKey("clickRegion") && properties.get("clickRegion") == null, properties.toString());
        }
    }

    @Test
    void without_a_version_it_refuses_with_its_usage() throws Exception {
        Method run = upgrade.getDeclaredMethod("run", String[].class);
        run.setAccessible(true);
        for (List<String> args : List.of(List.<String>of(), List.of("--to"), List.of("--frobnicate"),
                List.of("--to", "1.1.0", "-DarchetypeVersion=1.2.0"))) {
            try {
                run.invoke(null, (Object) args.toArray(String[]::new));
                throw new AssertionError("not refused: " + args);
            } catch (InvocationTargetException e) {
                assertEquals("Refused", e.getCause().getClass().getSimpleName(), args + ": " + e.getCause());
                assertTrue(e.getCause().getMessage().contains("--to"), e.getCause().getMessage());
            }
        }
    }

    private static Path jar(Path dir, String changes) throws IOException {
        Path jar = dir.resolve("archetype.jar");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new ZipEntry("META-INF/clicklog-archetype/CHANGES.md"));
            out.write(changes.getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }

    private static String notes(Path jar, String from, String target) throws Exception {
        Method notes = upgrade.getDeclaredMethod("releaseNotes", ZipFile.class, String.class, String.class);
        notes.setAccessible(true);
        try (ZipFile archive = new ZipFile(jar.toFile())) {
            return (String) notes.invoke(null, archive, from, target);
        }
    }
}
