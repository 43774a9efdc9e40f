package io.github.clicklog.archetype;

import groovy.lang.Binding;
import groovy.lang.GroovyShell;
import groovy.lang.Script;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;
import org.codehaus.groovy.runtime.InvokerHelper;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Generates a project the way maven-archetype-plugin does, in milliseconds and without Maven, so the unit
 * tests can look at many property sets: the fileSets of archetype-metadata.xml decide which template goes
 * where (packaged under the package path, Velocity-filtered or copied), Velocity is configured like
 * archetype-common's VelocityConfigurator, and the real archetype-post-generate.groovy runs at the end.
 * The invoker ITs prove the same with the real plugin.
 */
public final class ArchetypeRenderer {
    /** The compiled archetype (target/classes): the templates after build-time @version@ filtering. */
    public static final Path ARCHETYPE = Path.of(System.getProperty("archetype.resources", "target/classes"));
    public static final Path TEMPLATES = ARCHETYPE.resolve("archetype-resources");
    public static final Path DESCRIPTOR = ARCHETYPE.resolve("META-INF/maven/archetype-metadata.xml");
    public static final Path POST_GENERATE = ARCHETYPE.resolve("META-INF/archetype-post-generate.groovy");

    /** One fileSet of the descriptor. */
    public record FileSet(String directory, List<String> includes, List<String> excludes, boolean filtered, boolean packaged) {
        boolean covers(String templatePath) {
            String prefix = directory.isEmpty() ? "" : directory + "/";
            if (!templatePath.startsWith(prefix)) {
                return false;
            }
            String relative = templatePath.substring(prefix.length());
            return includes.stream().anyMatch(pattern -> antMatch(pattern, relative))
                    && excludes.stream().noneMatch(pattern -> antMatch(pattern, relative));
        }
    }

    private ArchetypeRenderer() {
    }

    /** The descriptor's fileSets, in order. */
    public static List<FileSet> fileSets() {
        try (InputStream in = Files.newInputStream(DESCRIPTOR)) {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            Document document = factory.newDocumentBuilder().parse(in);
            NodeList nodes = document.getElementsByTagNameNS("*", "fileSet");
            List<FileSet> result = new ArrayList<>();
            for (int i = 0; i < nodes.getLength(); i++) {
                Element fileSet = (Element) nodes.item(i);
                result.add(new FileSet(text(fileSet, "directory"), texts(fileSet, "include"), texts(fileSet, "exclude"),
                        Boolean.parseBoolean(fileSet.getAttribute("filtered")),
                        Boolean.parseBoolean(fileSet.getAttribute("packaged"))));
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + DESCRIPTOR, e);
        }
    }

    /** Every template file, as a path relative to archetype-resources with '/' separators. */
    public static List<String> templates() {
        try (Stream<Path> files = Files.walk(TEMPLATES)) {
            return files.filter(Files::isRegularFile)
                    .map(file -> TEMPLATES.relativize(file).toString().replace(File.separatorChar, '/'))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The fileSets that carry a template; the root pom.xml is the plugin's own business and has none. */
    public static List<FileSet> fileSetsOf(String template) {
        return fileSets().stream().filter(set -> set.covers(template)).toList();
    }

    /**
     * Generates into {@code outputDirectory/<artifactId>} and runs the post-generate script, which may throw
     * (validation) and then removes the directory, as in a real generation.
     */
    public static Path generate(ArchetypeProperties properties, Path outputDirectory) {
        Path projectDir = renderTemplates(properties, outputDirectory);
        runPostGenerate(properties, outputDirectory);
        return projectDir;
    }

    /**
     * The plugin's part alone: every template rendered or copied into {@code outputDirectory/<artifactId>}, before the
     * post-generate script (which a test may then run on a tree it has added files to).
     */
    public static Path renderTemplates(ArchetypeProperties properties, Path outputDirectory) {
        Path projectDir = outputDirectory.resolve(properties.artifactId());
        VelocityEngine velocity = archetypeVelocity();
        VelocityContext context = new VelocityContext();
        properties.asMap().forEach(context::put);
        String packagePath = properties.get("package").replace('.', '/');
        context.put("packageInPathFormat", packagePath);
        List<FileSet> fileSets = fileSets();
        for (String template : templates()) {
            boolean rootPom = template.equals("pom.xml");
            FileSet fileSet = fileSets.stream().filter(set -> set.covers(template)).findFirst().orElse(null);
            if (fileSet == null && !rootPom) {
                continue; // the plugin leaves out what no fileSet names; TemplateCoverageTest reports it
            }
            String target = template;
            if (fileSet != null && fileSet.packaged()) {
                String prefix = fileSet.directory().isEmpty() ? "" : fileSet.directory() + "/";
                target = prefix + packagePath + "/" + template.substring(prefix.length());
            }
            write(velocity, context, template, projectDir.resolve(target), rootPom || fileSet.filtered());
        }
        return projectDir;
    }

    /** Runs the real post-generate script with a request like the plugin's. */
    public static void runPostGenerate(ArchetypeProperties properties, Path outputDirectory) {
        Binding binding = new Binding();
        binding.setVariable("request", new GenerationRequest(outputDirectory.toString(), properties.artifactId(),
                properties.asProperties()));
        InvokerHelper.createScript(postGenerateScript(), binding).run();
    }

    private static Class<? extends Script> compiledPostGenerate;

    /** Compiled once: compiling the script costs more than running it, and the tests run it dozens of times. */
    private static synchronized Class<? extends Script> postGenerateScript() {
        if (compiledPostGenerate == null) {
            try {
                compiledPostGenerate = new GroovyShell().parse(POST_GENERATE.toFile()).getClass();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return compiledPostGenerate;
    }

    /** What the post-generate script reads from the plugin's ArchetypeGenerationRequest. */
    public static final class GenerationRequest {
        private final String outputDirectory;
        private final String artifactId;
        private final Properties properties;

        GenerationRequest(String outputDirectory, String artifactId, Properties properties) {
            this.outputDirectory = outputDirectory;
            this.artifactId = artifactId;
            this.properties = properties;
        }

        public String getOutputDirectory() {
            return outputDirectory;
        }

        public String getArtifactId() {
            return artifactId;
        }

        public Properties getProperties() {
            return properties;
        }

        /** The coordinates the answers file records: this build's own, as the plugin passes the archetype's. */
        public String getArchetypeGroupId() {
            return "io.github.clicklog";
        }

        public String getArchetypeArtifactId() {
            return "clicklog-archetype";
        }

        public String getArchetypeVersion() {
            return System.getProperty("archetype.version", "0.0.0-unit-test");
        }
    }

    /** Renders one filtered template with the given properties (for tests of a single file). */
    public static String render(String template, ArchetypeProperties properties) {
        VelocityContext context = new VelocityContext();
        properties.asMap().forEach(context::put);
        try {
            StringWriter out = new StringWriter();
            archetypeVelocity().evaluate(context, out, template,
                    Files.readString(TEMPLATES.resolve(template), StandardCharsets.UTF_8));
            return out.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(VelocityEngine velocity, VelocityContext context, String template, Path target, boolean filtered) {
        try {
            Files.createDirectories(target.getParent());
            Path source = TEMPLATES.resolve(template);
            if (filtered) {
                StringWriter out = new StringWriter();
                velocity.evaluate(context, out, template, Files.readString(source, StandardCharsets.UTF_8));
                Files.writeString(target, out.toString(), StandardCharsets.UTF_8);
            } else {
                // the plugin copies unfiltered files byte for byte and, like here, without their mode bits
                Files.copy(source, target);
                target.toFile().setExecutable(false, false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static VelocityEngine velocity;

    /** Velocity as org.apache.maven.archetype.VelocityConfigurator (archetype-common 3.4.1) sets it up. */
    static synchronized VelocityEngine archetypeVelocity() {
        if (velocity == null) {
            velocity = newArchetypeVelocity();
        }
        return velocity;
    }

    private static VelocityEngine newArchetypeVelocity() {
        Properties settings = new Properties();
        settings.put("introspector.conversion_handler.class", "none");
        settings.put("parser.space_gobbling", "bc");
        settings.put("directive.if.empty_check", "false");
        settings.put("parser.allow_hyphen_in_identifiers", "true");
        settings.put("velocimacro.enable_bc_mode", "true");
        settings.put("event_handler.invalid_references.quiet", "true");
        settings.put("event_handler.invalid_references.null", "true");
        settings.put("event_handler.invalid_references.tested", "true");
        VelocityEngine engine = new VelocityEngine(settings);
        engine.init();
        return engine;
    }

    /** Ant-style pattern match: '**' spans directories, '*' and '?' stay within one. */
    static boolean antMatch(String pattern, String path) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (pattern.startsWith("**/", i)) {
                regex.append("(?:.*/)?");
                i += 2;
            } else if (pattern.startsWith("**", i)) {
                regex.append(".*");
                i += 1;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return path.matches(regex.toString());
    }

    private static String text(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagNameNS("*", tag);
        return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent().strip();
    }

    private static List<String> texts(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagNameNS("*", tag);
        List<String> result = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            result.add(nodes.item(i).getTextContent().strip());
        }
        return result;
    }

    /**
     * Property sets the tests render: the defaults, everything changed (the PostgreSQL sink with a published port
     * included), ZooKeeper mode, the cluster, and the PostgreSQL sink with its port on the compose network only.
     */
    public static Map<String, ArchetypeProperties> propertySets() {
        Map<String, ArchetypeProperties> sets = new LinkedHashMap<>();
        sets.put("default", ArchetypeProperties.of(Map.of("groupId", "com.example", "artifactId", "clicks")));
        sets.put("custom", ArchetypeProperties.of(Map.ofEntries(
                Map.entry("groupId", "org.acme.movies"), Map.entry("artifactId", "clickstream"),
                Map.entry("package", "org.acme.movies.clickstream"),
                Map.entry("kafkaOutsidePort", "29092"), Map.entry("kafkaInsidePort", "29093"),
                Map.entry("kafkaControllerPort", "29094"), Map.entry("zookeeperPort", "22181"),
                Map.entry("webPort", "18080"), Map.entry("consumerPort", "18081"),
                Map.entry("webManagementPort", "18082"), Map.entry("kafkaOutsideHost", "broker.acme.test"),
                Map.entry("topic", "movie-clicks"), Map.entry("sink", "postgres"), Map.entry("postgresPort", "25432"))));
        sets.put("zookeeper", ArchetypeProperties.of(Map.of("groupId", "com.example", "artifactId", "clicks",
                "brokerMode", "zookeeper")));
        sets.put("cluster", ArchetypeProperties.of(Map.of("groupId", "com.example", "artifactId", "clicks",
                "kafkaNodes", "3")));
        sets.put("cluster-custom", ArchetypeProperties.of(Map.ofEntries(
                Map.entry("groupId", "org.acme.movies"), Map.entry("artifactId", "clickstream"),
                Map.entry("package", "org.acme.movies.clickstream"), Map.entry("kafkaNodes", "3"),
                Map.entry("partitions", "12"),
                Map.entry("kafkaOutsidePort", "29092"), Map.entry("kafkaInsidePort", "29093"),
                Map.entry("kafkaControllerPort", "29094"), Map.entry("webPort", "18080"),
                Map.entry("consumerPort", "18081"), Map.entry("webManagementPort", "18082"),
                Map.entry("kafkaOutsideHost", "broker.acme.test"), Map.entry("topic", "movie-clicks"))));
        sets.put("postgres", ArchetypeProperties.of(Map.of("groupId", "com.example", "artifactId", "clicks",
                "sink", "postgres")));
        return sets;
    }
}
