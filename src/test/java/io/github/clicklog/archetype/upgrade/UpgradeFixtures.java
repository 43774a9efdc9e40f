package io.github.clicklog.archetype.upgrade;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Versions of this archetype made for the upgrade tests, built from its own sources with small deliberate
 * template changes and installed into the ITs' local repository:
 * <ul>
 *   <li>{@link #V1} (N): the sources as they are;</li>
 *   <li>{@link #V2} (N+1): bumps a dependency (slf4j), adds a file, deletes a file (mvnw.cmd), changes the broker's
 *       compose healthcheck and renames a file (the demo page's stylesheet);</li>
 *   <li>{@link #V3} (N+2): V2 plus a required property without a default ({@link #NEW_PROPERTY}), written to .env.</li>
 * </ul>
 */
public final class UpgradeFixtures {
    public static final String V1 = "1.0.0-it1";
    public static final String V2 = "1.0.0-it2";
    public static final String V3 = "1.0.0-it3";

    static final String SLF4J_BEFORE = "<slf4j.version>2.0.17</slf4j.version>";
    static final String SLF4J_AFTER = "<slf4j.version>2.0.18</slf4j.version>";
    static final String HEALTHCHECK_BEFORE = "      interval: 10s\n";
    static final String HEALTHCHECK_AFTER = "      interval: 5s\n";
    /** Added by V2, under a fileSet that takes every file (web/src/main/resources). */
    static final String ADDED_FILE = "web/src/main/resources/demo/added-in-it2.txt";
    static final String ADDED_TEXT = "A file that version 1.0.0-it2 adds.\n";
    static final String DELETED_FILE = "mvnw.cmd";
    static final String RENAMED_FROM = "web/src/main/resources/demo/demo.css";
    static final String RENAMED_TO = "web/src/main/resources/demo/clicklog-demo.css";
    static final String NEW_PROPERTY = "clickRegion";

    private UpgradeFixtures() {
    }

    /** Builds V1, V2 and V3 from the archetype at {@code archetype} and installs them with {@code maven}. */
    public static void build(Path archetype, Path work, List<String> maven) {
        Path v1 = copy(archetype, work.resolve(V1));
        setVersion(v1, V1);
        addChanges(v1, V1, "- The sources of this build, as they are.");
        install(v1, maven);

        Path v2 = copy(v1, work.resolve(V2));
        setVersion(v2, V2);
        replace(v2.resolve("pom.xml"), SLF4J_BEFORE, SLF4J_AFTER);
        write(v2.resolve("archetype-resources").resolve(ADDED_FILE), ADDED_TEXT);
        delete(v2.resolve("archetype-resources").resolve(DELETED_FILE));
        replace(v2.resolve("archetype-resources/docker-compose.broker.kraft.yml"), HEALTHCHECK_BEFORE, HEALTHCHECK_AFTER);
        move(v2.resolve("archetype-resources").resolve(RENAMED_FROM), v2.resolve("archetype-resources").resolve(RENAMED_TO));
        replace(v2.resolve("archetype-resources/web/src/main/java/web/WebRoutes.java"), "\"/demo/demo.css\"",
                "\"/demo/clicklog-demo.css\"");
        addChanges(v2, V2, "- slf4j 2.0.18; the broker's healthcheck every 5 s; the demo stylesheet is clicklog-demo.css;"
                + " mvnw.cmd is gone; " + ADDED_FILE + " is new.");
        install(v2, maven);

        Path v3 = copy(v2, work.resolve(V3));
        setVersion(v3, V3);
        replace(v3.resolve("src/main/resources/META-INF/maven/archetype-metadata.xml"), "  </requiredProperties>",
                "    <requiredProperty key=\"" + NEW_PROPERTY + "\"/>\n  </requiredProperties>");
        replace(v3.resolve("archetype-resources/.env"), "CLICK_TOPIC=${topic}\n",
                "CLICK_TOPIC=${topic}\nCLICK_REGION=${" + NEW_PROPERTY + "}\n");
        addChanges(v3, V3, "- A required property, " + NEW_PROPERTY + ", without a default: CLICK_REGION in .env.");
        install(v3, maven);
    }

    private static void setVersion(Path archetype, String version) {
        Path pom = archetype.resolve("pom.xml");
        String text = read(pom);
        String project = "<artifactId>clicklog-archetype</artifactId>\n  <version>";
        int start = text.indexOf(project);
        if (start < 0) {
            throw new IllegalStateException(pom + " has no project version after its artifactId");
        }
        int from = start + project.length();
        int end = text.indexOf("</version>", from);
        write(pom, text.substring(0, from) + version + text.substring(end));
    }

    /** A section on top of CHANGES.md, as a release adds it. */
    private static void addChanges(Path archetype, String version, String change) {
        Path changes = archetype.resolve("src/main/resources/META-INF/clicklog-archetype/CHANGES.md");
        String text = read(changes);
        int first = text.indexOf("\n## ");
        write(changes, text.substring(0, first + 1) + "## " + version + "\n\n" + change + "\n" + text.substring(first));
    }

    private static void install(Path archetype, List<String> maven) {
        List<String> command = new ArrayList<>(maven);
        command.addAll(List.of("-B", "-q", "install", "-Dmaven.test.skip=true", "-Dinvoker.skip=true"));
        Command.check(archetype, Map.of(), command);
    }

    private static Path copy(Path from, Path to) {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path relative = from.relativize(path);
                String first = relative.getNameCount() == 0 ? "" : relative.getName(0).toString();
                if (!relative.toString().isEmpty() && !List.of("pom.xml", "src", "archetype-resources").contains(first)) {
                    continue;
                }
                Path target = to.resolve(relative.toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return to;
    }

    static void replace(Path file, String before, String after) {
        String text = read(file);
        if (!text.contains(before)) {
            throw new IllegalStateException(file + " no longer has '" + before.strip() + "': update the upgrade fixtures"
                    + " (UpgradeFixtures) to a change the template can still make");
        }
        write(file, text.replace(before, after));
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
