package io.github.clicklog.archetype;

import static io.github.clicklog.archetype.GeneratedProjectChecks.assertNone;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sink property: a {@code sink=postgres} project gets PostgreSQL (its files, the compose service, a password of
 * its own), a {@code sink=jsonl} project nothing of it. {@link GeneratedProjectTest} runs {@link SinkChecks} on every
 * property set; these are the cases around it.
 */
class PostgresSinkProjectTest {
    /**
     * Files the sink's authors write, one of each kind the post-generate script knows (template paths, before the
     * package): the sink and its tests, LocalPostgres and its IT, a postgres package in dev and in loadtest's fault
     * tests, the migrations.
     */
    static final List<String> POSTGRES_TEMPLATES = List.of(
            "consumer/src/main/java/consumer/postgres/PostgresClickSink.java",
            "consumer/src/test/java/consumer/postgres/PostgresClickSinkTest.java",
            "dev/src/main/java/dev/LocalPostgres.java",
            "dev/src/test/java/dev/LocalPostgresIT.java",
            "dev/src/test/java/dev/postgres/ClicksTableIT.java",
            "loadtest/src/test/java/loadtest/fault/postgres/PostgresKillFaultIT.java",
            "consumer/src/main/resources/db/migration/V1__clicks.sql");

    @TempDir
    Path out;

    private static ArchetypeProperties properties(String... overrides) {
        Map<String, String> given = new java.util.HashMap<>(Map.of("groupId", "com.example", "artifactId", "clicks"));
        for (int i = 0; i < overrides.length; i += 2) {
            given.put(overrides[i], overrides[i + 1]);
        }
        return ArchetypeProperties.of(given);
    }

    /** Where the plugin writes a template: under the package when its fileSet is packaged. */
    private static String target(String template, String packagePath) {
        ArchetypeRenderer.FileSet fileSet = ArchetypeRenderer.fileSetsOf(template).get(0);
        if (!fileSet.packaged()) {
            return template;
        }
        String prefix = fileSet.directory() + "/";
        return prefix + packagePath + "/" + template.substring(prefix.length());
    }

    @Test
    void each_postgres_template_would_be_generated_by_exactly_one_file_set() {
        List<String> problems = new ArrayList<>();
        for (String template : POSTGRES_TEMPLATES) {
            List<ArchetypeRenderer.FileSet> sets = ArchetypeRenderer.fileSetsOf(template);
            if (sets.size() != 1) {
                problems.add(template + " is in " + sets.size() + " fileSets of archetype-metadata.xml, expected one");
            } else if (template.endsWith(".java") && !(sets.get(0).packaged() && sets.get(0).filtered())) {
                problems.add(template + ": Java sources are packaged and filtered (package ${package}...)");
            } else if (template.endsWith(".sql") && sets.get(0).filtered()) {
                problems.add(template + ": migrations are copied as they are (their $$ and ## are PostgreSQL's)");
            }
        }
        assertNone("PostgreSQL's templates and the fileSets", problems);
    }

    /**
     * With the sink's files in the rendered tree, the post-generate script removes every one of them from a jsonl
     * project and keeps them in a postgres one; a package with a segment named postgres keeps its code.
     */
    @ParameterizedTest(name = "package {0}")
    @ValueSource(strings = {"com.example", "org.postgres.shop"})
    void a_jsonl_project_loses_the_postgres_files_and_a_postgres_project_keeps_them(String pkg) throws IOException {
        for (String sink : List.of("jsonl", "postgres")) {
            ArchetypeProperties properties = properties("package", pkg, "sink", sink);
            Path dir = out.resolve(pkg + "-" + sink);
            Path project = ArchetypeRenderer.renderTemplates(properties, dir);
            String packagePath = pkg.replace('.', '/');
            for (String template : POSTGRES_TEMPLATES) {
                Path file = project.resolve(target(template, packagePath));
                Files.createDirectories(file.getParent());
                Files.writeString(file, "written by the sink's authors\n");
            }
            ArchetypeRenderer.runPostGenerate(properties, dir);
            for (String template : POSTGRES_TEMPLATES) {
                Path file = project.resolve(target(template, packagePath));
                assertEquals(sink.equals("postgres"), Files.exists(file), sink + " project: " + file);
            }
            assertEquals(sink.equals("postgres"), !SinkChecks.postgresOnlyFiles(project, properties).isEmpty());
            assertTrue(Files.isRegularFile(project.resolve("shared/src/main/java/" + packagePath + "/shared/ClickEvent.java")),
                    "the shared sources must stay");
            assertTrue(Files.isRegularFile(project.resolve("consumer/src/main/java/" + packagePath
                    + "/consumer/ClickConsumerApp.java")), "the consumer must stay");
            assertTrue(Files.isRegularFile(project.resolve("consumer/src/main/resources/simplelogger.properties")));
        }
    }

    @Test
    void each_postgres_project_gets_a_password_of_its_own() {
        ArchetypeProperties postgres = properties("sink", "postgres");
        String first = ComposeProject.readEnv(ArchetypeRenderer.generate(postgres, out.resolve("a"))).get("POSTGRES_PASSWORD");
        String second = ComposeProject.readEnv(ArchetypeRenderer.generate(postgres, out.resolve("b"))).get("POSTGRES_PASSWORD");
        for (String password : List.of(first, second)) {
            assertTrue(SinkChecks.PASSWORD.matcher(password).matches(), password);
            assertFalse(ArchetypeRenderer.render(".env", postgres).contains(password), "a fixed value in the template");
        }
        assertNotEquals(first, second, "each project needs its own password");
    }

    /** The port is on the compose network only unless asked for, and then on 127.0.0.1 only. */
    @Test
    void the_database_port_is_published_only_when_asked_and_only_on_loopback() {
        ComposeProject closed = new ComposeProject(ArchetypeRenderer.generate(properties("sink", "postgres"), out.resolve("a")));
        assertFalse(closed.env().containsKey("POSTGRES_PORT"));
        assertEquals(null, closed.service(ComposeProject.APP_FILE, "postgres").get("ports"));
        ComposeProject open = new ComposeProject(ArchetypeRenderer.generate(
                properties("sink", "postgres", "postgresPort", "15432"), out.resolve("b")));
        assertEquals("15432", open.env().get("POSTGRES_PORT"));
        assertEquals(List.of("127.0.0.1:15432:5432"), open.service(ComposeProject.APP_FILE, "postgres").get("ports"));
    }

    /** The checks must be able to fail: each mistake, written into a generated project, is reported. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void the_sink_checks_catch_the_mistakes(String mistake, String set, String file, UnaryOperator<String> edit,
                                            String reported) throws IOException {
        ArchetypeProperties properties = ArchetypeRenderer.propertySets().get(set);
        Path project = ArchetypeRenderer.generate(properties, out);
        String original = Files.readString(project.resolve(file));
        String broken = edit.apply(original);
        assertNotEquals(original, broken, "the edit for '" + mistake + "' changed nothing: the template moved on");
        Files.writeString(project.resolve(file), broken);
        List<String> problems = SinkChecks.problems(project, properties);
        assertTrue(problems.stream().anyMatch(problem -> problem.contains(reported)),
                () -> mistake + " was not reported as '" + reported + "'; got " + problems);
    }

    static Stream<Arguments> mistakes() {
        String compose = ComposeProject.APP_FILE;
        return Stream.of(
                Arguments.of("the database published on every interface", "custom", compose,
                        (UnaryOperator<String>) s -> s.replace("\"127.0.0.1:${POSTGRES_PORT}:5432\"", "\"${POSTGRES_PORT}:5432\""),
                        "postgres ports"),
                Arguments.of("the consumer not waiting for the database", "postgres", compose,
                        (UnaryOperator<String>) s -> s.replace("      postgres:\n        condition: service_healthy\n", ""),
                        "depends_on.postgres.condition"),
                Arguments.of("the consumer with another password", "postgres", compose,
                        (UnaryOperator<String>) s -> s.replace("CLICK_DATABASE_PASSWORD: ${POSTGRES_PASSWORD}",
                                "CLICK_DATABASE_PASSWORD: secret"),
                        "CLICK_DATABASE_PASSWORD"),
                Arguments.of("the password placeholder left", "postgres", ".env",
                        (UnaryOperator<String>) s -> s.replaceAll("POSTGRES_PASSWORD=.*", "POSTGRES_PASSWORD=" + SinkChecks.PASSWORD_TOKEN),
                        "the placeholder is left"),
                Arguments.of("the database on another network", "postgres", compose,
                        (UnaryOperator<String>) s -> s.replace("      start_period: 20s\n    networks:\n      - kafka-net\n",
                                "      start_period: 20s\n    networks:\n      - default\n"),
                        "networks (postgres's)"),
                Arguments.of("a postgres key in a jsonl project's .env", "default", ".env",
                        (UnaryOperator<String>) s -> s + "POSTGRES_DB=clicklog\n",
                        "mentions PostgreSQL in a sink=jsonl project"),
                Arguments.of("a jsonl consumer without its volume", "default", compose,
                        (UnaryOperator<String>) s -> s.replace("    volumes:\n      - click-data:/data\n", ""),
                        "writes to the click-data volume"));
    }
}
