package io.github.clicklog.archetype;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;

/**
 * What a user would check in a generated project, as lists of problems (empty = fine). The unit tests run
 * these on trees rendered by {@link ArchetypeRenderer}; the invoker ITs' verify.groovy run them on trees the
 * real plugin generated and built.
 */
public final class GeneratedProjectChecks {
    /** Archetype properties whose names must never reach a generated file as an unresolved reference. */
    private static final Pattern PROPERTY_REFERENCE = Pattern.compile(
            "\\$!?\\{?(groupId|artifactId|package|packageInPathFormat|brokerMode|kafkaOutsidePort|kafkaInsidePort"
                    + "|kafkaControllerPort|zookeeperPort|kafkaOutsideHost|webPort|webManagementPort|consumerPort|allowedOrigins|topic"
                    + "|kafkaNodes|partitions|sink|postgresPort)\\b\\}?");
    /** A node-port token (__kafkaOutsidePort_2__) the post-generate script should have filled in. */
    private static final Pattern NODE_PORT_TOKEN = Pattern.compile("__[a-z][A-Za-z]*_[0-9]+__");
    /** A build-time token of the archetype's own pom (@kafka.version@) that filtering missed. */
    private static final Pattern BUILD_TOKEN = Pattern.compile("@[a-z][A-Za-z0-9]*(?:[.-][A-Za-z0-9]+)+@");

    private GeneratedProjectChecks() {
    }

    /** Throws one AssertionError listing every problem (for verify.groovy and tests). */
    public static void assertNone(String what, List<String> problems) {
        if (!problems.isEmpty()) {
            throw new AssertionError(what + ":\n  - " + String.join("\n  - ", problems));
        }
    }

    /**
     * Everything a positive IT checks after its two invocations, in one list: the builds passed, the tree is
     * complete and rendered, .env/compose/README carry the values, the listener contract and the compose
     * schema hold, every test class reported. {@code itDir} holds build.log and the generated project.
     */
    public static List<String> generatedAndBuilt(Path itDir, ArchetypeProperties properties, boolean faultTests) {
        return generatedAndBuilt(itDir, properties, faultTests, Set.of());
    }

    /**
     * As above, for an IT whose build runs only the integration tests (*IT) named in {@code onlyIts} (its goals pass
     * the same names as -Dit.test): the others must have no report, and each is named in the log as left to
     * it-default, which runs them all. Unit tests must all have run in any case. Empty: every test class.
     */
    public static List<String> generatedAndBuilt(Path itDir, ArchetypeProperties properties, boolean faultTests,
                                                 Set<String> onlyIts) {
        Path project = itDir.resolve(properties.artifactId());
        List<String> problems = new ArrayList<>(buildLog(itDir.resolve("build.log")));
        problems.addAll(layout(project));
        problems.addAll(leftovers(project));
        problems.addAll(carriesValues(project, properties));
        problems.addAll(contractLines(project, properties));
        problems.addAll(compose(project, properties));
        problems.addAll(SinkChecks.problems(project, properties));
        problems.addAll(buildReports(project, faultTests, onlyIts));
        return problems;
    }

    /** The integration tests an IT's build.properties selects with it.test (comma-separated simple names). */
    public static Set<String> selectedIts(Path buildProperties) {
        java.util.Properties properties = new java.util.Properties();
        try (var in = Files.newBufferedReader(buildProperties)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String selection = properties.getProperty("it.test", "").strip();
        if (selection.isEmpty()) {
            throw new IllegalArgumentException(buildProperties + " selects no integration test (it.test)");
        }
        return Set.of(selection.split("\\s*,\\s*"));
    }

    /**
     * The answers file the upgrade command reads: the archetype's coordinates and every property of the descriptor
     * with the value this generation used; the made-once values (cluster id, password) as .env has them, never the
     * word random; and the upgrade command beside it.
     */
    public static List<String> answers(Path project, ArchetypeProperties properties) {
        List<String> problems = new ArrayList<>();
        Path file = project.resolve(UPGRADE_MACHINERY).resolve("answers.properties");
        if (!Files.isRegularFile(file) || !Files.isRegularFile(project.resolve(UPGRADE_MACHINERY).resolve("Upgrade.java"))) {
            return List.of(UPGRADE_MACHINERY + " lacks answers.properties or Upgrade.java");
        }
        Properties answers = new Properties();
        try (java.io.Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            answers.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("archetypeGroupId", "io.github.clicklog");
        expected.put("archetypeArtifactId", "clicklog-archetype");
        expected.put("archetypeVersion", System.getProperty("archetype.version", "0.0.0-unit-test"));
        for (String key : List.of("groupId", "artifactId", "version", "package")) {
            expected.put(key, properties.get(key));
        }
        ArchetypeProperties.descriptorDefaults().keySet().stream()
                .filter(key -> !List.of("kafkaClusterId", "postgresPassword").contains(key))
                .forEach(key -> expected.put(key, properties.get(key)));
        expected.forEach((key, value) -> {
            if (!Objects.equals(answers.getProperty(key), value)) {
                problems.add(file.getFileName() + " has " + key + "=" + answers.getProperty(key) + ", generation used " + value);
            }
        });
        Map<String, String> env = new ComposeProject(project).env();
        String password = answers.getProperty("postgresPassword", "");
        String clusterId = answers.getProperty("kafkaClusterId", "");
        if (!password.matches("[A-Za-z0-9_-]{32}") || !clusterId.matches("[A-Za-z0-9_-]{22}")) {
            problems.add(file.getFileName() + " records kafkaClusterId=" + clusterId + " and postgresPassword=" + password
                    + ": expected the values generation made (22 and 32 characters of URL-safe base64)");
        }
        if (env.containsKey("KAFKA_CLUSTER_ID") && !env.get("KAFKA_CLUSTER_ID").equals(clusterId)) {
            problems.add(".env KAFKA_CLUSTER_ID=" + env.get("KAFKA_CLUSTER_ID") + " is not the recorded " + clusterId);
        }
        if (env.containsKey("POSTGRES_PASSWORD") && !env.get("POSTGRES_PASSWORD").equals(password)) {
            problems.add(".env POSTGRES_PASSWORD is not the recorded postgresPassword");
        }
        Set<String> extra = new TreeSet<>(answers.stringPropertyNames());
        extra.removeAll(expected.keySet());
        extra.removeAll(List.of("kafkaClusterId", "postgresPassword"));
        if (!extra.isEmpty()) {
            problems.add(file.getFileName() + " records what is not a property of the archetype: " + extra);
        }
        return problems;
    }

    /** Files a user needs right after generation, and what the post-generate script must have done. */
    public static List<String> layout(Path project) {
        List<String> problems = new ArrayList<>();
        for (String file : List.of("pom.xml", "mvnw", "mvnw.cmd", ".mvn/wrapper/maven-wrapper.properties", ".gitignore",
                ".dockerignore", ".env", "README.md", ComposeProject.BROKER_FILE, ComposeProject.APP_FILE,
                "web/Dockerfile", "consumer/Dockerfile", "doctor/pom.xml", ListenerContract.RULES)) {
            if (!Files.isRegularFile(project.resolve(file))) {
                problems.add(file + " is missing");
            }
        }
        if (Files.isRegularFile(project.resolve("mvnw")) && !Files.isExecutable(project.resolve("mvnw"))) {
            problems.add("mvnw is not executable: ./mvnw fails with 'Permission denied'");
        }
        for (String modeFile : List.of("docker-compose.broker.kraft.yml", "docker-compose.broker.zookeeper.yml",
                "docker-compose.broker.kraft-cluster.yml")) {
            if (Files.exists(project.resolve(modeFile))) {
                problems.add(modeFile + " is still there: the post-generate script keeps only the chosen mode's file");
            }
        }
        if (Files.isRegularFile(project.resolve(".env")) && read(project.resolve(".env")).contains("__KAFKA_CLUSTER_ID__")) {
            problems.add(".env still has the __KAFKA_CLUSTER_ID__ placeholder");
        }
        if (Files.isRegularFile(project.resolve(".env")) && read(project.resolve(".env")).contains(SinkChecks.PASSWORD_TOKEN)) {
            problems.add(".env still has the " + SinkChecks.PASSWORD_TOKEN + " placeholder");
        }
        return problems;
    }

    /** Unresolved ${property} references and @build.tokens@ anywhere in the tree's text files. */
    public static List<String> leftovers(Path project) {
        List<String> problems = new ArrayList<>();
        textFiles(project).forEach((file, text) -> {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher reference = PROPERTY_REFERENCE.matcher(lines[i]);
                if (reference.find() && !isShellVariable(file, reference.group())
                        && !isComposeEscape(file, lines[i], reference.start())) {
                    problems.add(file + ":" + (i + 1) + " has the unresolved archetype property " + reference.group()
                            + " (a template outside a filtered fileSet, or an escaped reference)");
                }
                Matcher nodePort = NODE_PORT_TOKEN.matcher(lines[i]);
                if (nodePort.find()) {
                    problems.add(file + ":" + (i + 1) + " has the node-port token " + nodePort.group()
                            + " that the post-generate script did not fill in (add the file to its token replacement)");
                }
                Matcher token = BUILD_TOKEN.matcher(lines[i]);
                if (token.find()) {
                    problems.add(file + ":" + (i + 1) + " has the build-time token " + token.group()
                            + " that the archetype's resource filtering did not replace (add the file to the filtered"
                            + " resources of pom.xml, or the property to its <properties>)");
                }
            }
        });
        return problems;
    }

    /**
     * In a compose file {@code $$name} is compose's escape for a literal {@code $name}, a shell variable of a
     * command (click-topics' loop variable {@code $$topic}), not an archetype property.
     */
    private static boolean isComposeEscape(Path file, String line, int start) {
        return file.getFileName().toString().endsWith(".yml") && start > 0 && line.charAt(start - 1) == '$';
    }

    /** mvnw is a shell script of the wrapper project; its own $variables are not archetype properties. */
    private static boolean isShellVariable(Path file, String reference) {
        return file.getFileName().toString().startsWith("mvnw");
    }

    /**
     * With every port and the topic changed, no default (9092 9093 9094 2181 8000 8001 8002, topic clicklog) may survive
     * anywhere: a leftover literal is a place that ignores the user's choice.
     */
    public static List<String> survivingDefaults(Path project, ArchetypeProperties properties) {
        Map<String, String> defaults = ArchetypeProperties.descriptorDefaults();
        Map<String, Pattern> forbidden = new LinkedHashMap<>();
        for (String port : ArchetypeProperties.PORT_PROPERTIES) {
            if (!defaults.get(port).equals(properties.get(port))) {
                forbidden.put(port + " default " + defaults.get(port),
                        Pattern.compile("(?<![0-9])" + defaults.get(port) + "(?![0-9])"));
            }
        }
        if (properties.kafkaNodes() > 1 && !defaults.get("kafkaOutsidePort").equals(properties.get("kafkaOutsidePort"))) {
            // the other nodes' OUTSIDE ports by default (9192, 9292): derived from the first, never written down
            for (int node = 2; node <= properties.kafkaNodes(); node++) {
                int port = Integer.parseInt(defaults.get("kafkaOutsidePort")) + ArchetypeProperties.NODE_PORT_STEP * (node - 1);
                forbidden.put("node " + node + "'s default OUTSIDE port " + port,
                        Pattern.compile("(?<![0-9])" + port + "(?![0-9])"));
            }
        }
        if (!defaults.get("topic").equals(properties.topic())) {
            // The tracker script, its browser global and its attribute share the name (clicklog.js, clicklog.track,
            // window.clicklog, data-clicklog-item): not the topic. Nor is the PostgreSQL database and its role
            // (POSTGRES_DB=, POSTGRES_USER=, CLICK_DATABASE_USER=, psql's -U and -d and its database argument, a
            // JDBC URL's path, and the consumer's constants of both, DEFAULT_DATABASE and DEFAULT_USER).
            String database = Pattern.quote(SinkChecks.DATABASE);
            forbidden.put("topic default " + defaults.get("topic"),
                    Pattern.compile("(?<![A-Za-z0-9])(?<!data-)(?<!window\\.)(?<!_DB=)(?<!_USER=)(?<!-U )"
                            + "(?<!DEFAULT_DATABASE = \")(?<!DEFAULT_USER = \")"
                            + "(?<!-d )(?<!-U " + database + " )(?<!postgresql://[^\\s/]{1,100}/)"
                            + Pattern.quote(defaults.get("topic"))
                            + "(?![A-Za-z0-9])(?!\\.(?:js|track|flush|pending|sessionId)\\b)"
                            // nor the archetype's own name (the README's "Upgrading this project")
                            + "(?!-archetype)"));
        }
        List<String> problems = new ArrayList<>();
        projectTextFiles(project).forEach((file, text) -> {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                for (Map.Entry<String, Pattern> entry : forbidden.entrySet()) {
                    if (entry.getValue().matcher(lines[i]).find()) {
                        problems.add(file + ":" + (i + 1) + " still has the " + entry.getKey() + ": " + lines[i].strip());
                    }
                }
            }
        });
        return problems;
    }

    /** .env, the compose files and the README carry the values the project was generated with. */
    public static List<String> carriesValues(Path project, ArchetypeProperties properties) {
        List<String> problems = new ArrayList<>();
        Map<String, String> env = ComposeProject.readEnv(project);
        Map<String, String> wanted = new LinkedHashMap<>();
        for (ListenerContract.Node node : ListenerContract.nodes(properties)) {
            wanted.put(node.outsidePortVariable(), String.valueOf(node.outsidePort()));
        }
        if (properties.kafkaNodes() > 1 && env.containsKey("KAFKA_OUTSIDE_PORT")) {
            problems.add(".env has KAFKA_OUTSIDE_PORT in a cluster, where each node has its own KAFKA_OUTSIDE_PORT_<n>");
        }
        wanted.put("CLICK_TOPIC_PARTITIONS", String.valueOf(properties.partitions()));
        wanted.put("CLICK_TOPIC_REPLICAS", String.valueOf(properties.kafkaNodes()));
        wanted.put("KAFKA_INSIDE_PORT", String.valueOf(properties.insidePort()));
        wanted.put("KAFKA_OUTSIDE_HOST", properties.outsideHost());
        wanted.put("WEB_PORT", String.valueOf(properties.webPort()));
        wanted.put("WEB_MANAGEMENT_PORT", String.valueOf(properties.webManagementPort()));
        wanted.put("CONSUMER_PORT", String.valueOf(properties.consumerPort()));
        wanted.put("CLICK_TOPIC", properties.topic());
        wanted.put("CLICK_ALLOWED_ORIGINS", properties.get("allowedOrigins"));
        if (properties.kraft()) {
            wanted.put("KAFKA_CONTROLLER_PORT", String.valueOf(properties.controllerPort()));
        } else {
            wanted.put("ZOOKEEPER_PORT", String.valueOf(properties.zookeeperPort()));
        }
        wanted.forEach((key, value) -> {
            if (!value.equals(env.get(key))) {
                problems.add(".env has " + key + "=" + env.get(key) + ", expected " + value);
            }
        });
        if (properties.kraft() && !env.getOrDefault("KAFKA_CLUSTER_ID", "").matches("[A-Za-z0-9_-]{22}")) {
            problems.add(".env has KAFKA_CLUSTER_ID=" + env.get("KAFKA_CLUSTER_ID")
                    + ", expected 22 characters of URL-safe base64 (kafka-storage random-uuid)");
        }
        for (String key : env.keySet()) {
            if (key.endsWith("_IMAGE") && (env.get(key).endsWith(":latest") || !env.get(key).contains(":"))) {
                problems.add(".env has " + key + "=" + env.get(key) + ": images are pinned to a tag, never latest");
            }
        }
        Path readme = project.resolve("README.md");
        if (Files.isRegularFile(readme)) {
            String text = read(readme);
            List<String> values = new ArrayList<>(List.of(String.valueOf(properties.outsidePort()),
                    String.valueOf(properties.insidePort()), String.valueOf(properties.webPort()),
                    String.valueOf(properties.consumerPort()), String.valueOf(properties.webManagementPort()),
                    properties.topic()));
            ListenerContract.nodes(properties).forEach(node -> values.add(String.valueOf(node.outsidePort())));
            for (String value : values) {
                if (!Pattern.compile("(?<![0-9A-Za-z])" + Pattern.quote(value) + "(?![0-9A-Za-z])").matcher(text).find()) {
                    problems.add("README.md never mentions " + value + ", a value this project was generated with");
                }
            }
        }
        return problems;
    }

    /**
     * The listener lines of docker-compose.broker.yml exactly as the rules state them (the generated project's
     * listener-rules.properties, with the .env variables in place of the values): what a user reads in the
     * file, before .env fills the values in ({@link #compose} checks the values).
     */
    public static List<String> contractLines(Path project, ArchetypeProperties properties) {
        List<String> wanted = new ArrayList<>();
        for (ListenerContract.Node node : ListenerContract.nodes(properties)) {
            ListenerContract.composeLines(project, properties.kraft(), node).forEach((key, value) -> {
                String line = key.startsWith("KAFKA_") ? key + ": " + value : "- \"" + value + "\"";
                if (!wanted.contains(line)) {
                    wanted.add(line);
                }
            });
        }
        if (!properties.kraft()) {
            wanted.add("KAFKA_ZOOKEEPER_CONNECT: zookeeper:${ZOOKEEPER_PORT}");
        }
        List<String> lines = read(project.resolve(ComposeProject.BROKER_FILE)).lines().map(String::strip).toList();
        List<String> problems = new ArrayList<>();
        for (String line : wanted) {
            if (!lines.contains(line)) {
                problems.add(ComposeProject.BROKER_FILE + " lacks the line `" + line + "`");
            }
        }
        return problems;
    }

    /** The listener contract plus the Compose Specification schema, for both compose files. */
    public static List<String> compose(Path project, ArchetypeProperties properties) {
        ComposeProject compose = new ComposeProject(project);
        List<String> problems = new ArrayList<>(ListenerContract.violations(compose, properties));
        for (String file : ComposeProject.FILES) {
            ComposeSchema.violations(compose.interpolated(file))
                    .forEach(message -> problems.add(file + " violates the Compose Specification schema: " + message));
        }
        return problems;
    }

    /**
     * The invoker's build.log of a positive IT: both invocations (generate, then the generated project's
     * verify) ended in BUILD SUCCESS. Otherwise the failing goal and failing test lines, so the IT's
     * failure says what broke without opening the log.
     */
    public static List<String> buildLog(Path buildLog) {
        String log = read(buildLog);
        int successes = log.split("BUILD SUCCESS", -1).length - 1;
        if (successes == 2) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        problems.add(buildLog + " shows " + successes + " of 2 builds passing (archetype:generate, then the generated"
                + " project's mvn verify)");
        log.lines().filter(line -> line.startsWith("[ERROR] Failed to execute goal")
                        || (line.startsWith("[ERROR] Tests run:") && line.contains(" in "))
                        || line.startsWith("[ERROR]   "))
                .map(String::strip).distinct().limit(20).forEach(problems::add);
        return problems;
    }

    /**
     * After the generated project's `mvn verify`: every test class has a Surefire or Failsafe report with tests
     * run and none failed; a smoke test (a class named *Smoke*) exists and ran without skips.
     */
    public static List<String> buildReports(Path project) {
        return buildReports(project, false);
    }

    /**
     * As {@link #buildReports(Path)}; with {@code faultTests} (a build run with -Dfault=true) the fault tests
     * (classes named *Fault*) must have run without skips too.
     */
    public static List<String> buildReports(Path project, boolean faultTests) {
        return buildReports(project, faultTests, Set.of());
    }

    /** As {@link #buildReports(Path, boolean)}, with only the integration tests in {@code onlyIts} run (if any). */
    public static List<String> buildReports(Path project, boolean faultTests, Set<String> onlyIts) {
        List<String> problems = new ArrayList<>();
        List<Path> testClasses;
        try (Stream<Path> files = Files.walk(project)) {
            testClasses = files.filter(file -> file.toString().contains("/src/test/java/"))
                    .filter(file -> file.getFileName().toString()
                            .matches("(Test.*|.*Test|.*Tests|.*TestCase|IT.*|.*IT|.*ITCase)\\.java"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (testClasses.isEmpty()) {
            problems.add("the generated project has no test classes, so its `mvn verify` proves nothing");
        } else if (testClasses.stream().noneMatch(source -> source.getFileName().toString().contains("Smoke"))) {
            problems.add("the generated project has no smoke test (a *Smoke* test class) on a real broker");
        }
        for (Path source : testClasses) {
            String relative = project.relativize(source).toString();
            int split = relative.indexOf("/src/test/java/");
            Path module = project.resolve(relative.substring(0, split));
            String className = relative.substring(split + "/src/test/java/".length()).replace(".java", "").replace('/', '.');
            Path surefire = module.resolve("target/surefire-reports/TEST-" + className + ".xml");
            Path failsafe = module.resolve("target/failsafe-reports/TEST-" + className + ".xml");
            Path report = Files.isRegularFile(surefire) ? surefire : failsafe;
            String simpleName = className.substring(className.lastIndexOf('.') + 1);
            if (!onlyIts.isEmpty() && simpleName.endsWith("IT") && !onlyIts.contains(simpleName)) {
                if (Files.isRegularFile(failsafe)) {
                    problems.add(className + " ran although this IT selects only " + onlyIts);
                } else {
                    System.out.println("NOT RUN HERE (this IT selects " + onlyIts + "; it-default runs it): " + className);
                }
                continue;
            }
            if (!Files.isRegularFile(report)) {
                problems.add(className + " has no test report (" + project.relativize(surefire) + " or failsafe-reports):"
                        + " it did not run in `mvn verify`");
                continue;
            }
            Element suite = suite(report);
            int tests = Integer.parseInt(suite.getAttribute("tests"));
            int failures = Integer.parseInt(suite.getAttribute("failures"));
            int errors = Integer.parseInt(suite.getAttribute("errors"));
            int skipped = suite.hasAttribute("skipped") ? Integer.parseInt(suite.getAttribute("skipped")) : 0;
            if (tests == 0 || failures > 0 || errors > 0) {
                problems.add(className + ": " + tests + " tests, " + failures + " failures, " + errors + " errors");
            }
            if (className.contains("Smoke") && skipped > 0) {
                problems.add(className + " skipped " + skipped + " of " + tests + " tests: the smoke test must run for real");
            }
            if (className.contains("Browser") && skipped > 0 && "true".equals(System.getenv("CI"))) {
                problems.add(className + " skipped " + skipped + " of " + tests + " tests under CI=true: the real-browser"
                        + " test must run there (apt-get install chromium chromium-driver)");
            }
            if (className.contains("TrackerQueue") && skipped > 0 && "true".equals(System.getenv("CI"))) {
                problems.add(className + " skipped " + skipped + " of " + tests + " tests under CI=true: the tracker's"
                        + " queue test must run there (apt-get install nodejs)");
            }
            if (faultTests && className.contains("Fault") && skipped > 0) {
                problems.add(className + " skipped " + skipped + " of " + tests + " tests although the build ran with -Dfault=true");
            }
            if (simpleName.equals("ComposeStackIT")) {
                problems.addAll(composeStack(module.resolve(COMPOSE_STACK_REPORT), skipped > 0));
            }
        }
        return problems;
    }

    /** Where the generated ComposeStackIT writes each check's result (relative to its module). */
    public static final String COMPOSE_STACK_REPORT = "target/compose-stack/report.txt";
    /** The checks ComposeStackIT must have passed, by the start of their report lines. */
    static final List<String> COMPOSE_STACK_CHECKS = List.of("docker compose build", "docker compose up -d",
            "every service healthy", "host client through OUTSIDE", "click POSTed to", "no /metrics on the click port",
            "management port ", "service names resolve",
            "listener doctor in the web container", "OUTSIDE ", "docker compose down -v leaves nothing behind");

    /**
     * The compose stack test's report: every check passed, none failed. Skipped (no Docker API, no Compose v2.20+)
     * is a problem under CI=true and a loud line otherwise. The report's lines go to the IT's log: they are the
     * figures (build time, time to healthy) and each check's result.
     */
    public static List<String> composeStack(Path report, boolean skipped) {
        List<String> problems = new ArrayList<>();
        boolean ci = "true".equals(System.getenv("CI"));
        if (!Files.isRegularFile(report)) {
            return List.of("ComposeStackIT wrote no report (" + report + ")");
        }
        List<String> lines = read(report).lines().toList();
        lines.forEach(line -> System.out.println("[compose-stack] " + line));
        String skip = lines.stream().filter(line -> line.startsWith("SKIPPED")).findFirst().orElse(null);
        if (skipped || skip != null) {
            String why = "ComposeStackIT was skipped: " + (skip == null ? "see its report" : skip);
            if (ci) {
                problems.add(why + ". Under CI=true the compose stack must run: .ci/run provisions podman and"
                        + " Docker Compose v2 (src/test/podman/provision.sh)");
            } else {
                System.out.println("SKIPPED (not a failure outside CI): " + why);
            }
            return problems;
        }
        lines.stream().filter(line -> line.startsWith("FAIL")).forEach(line -> problems.add("ComposeStackIT: " + line));
        for (String check : COMPOSE_STACK_CHECKS) {
            if (lines.stream().noneMatch(line -> line.matches("PASS\\s+" + Pattern.quote(check) + ".*"))) {
                problems.add("ComposeStackIT did not pass '" + check + "' (" + report + ")");
            }
        }
        return problems;
    }

    private static Element suite(Path report) {
        try (InputStream in = Files.newInputStream(report)) {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in).getDocumentElement();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + report, e);
        }
    }

    /** The tree's text files (UTF-8, no NUL), build output and runtime data left out. */
    /**
     * The text files the project's own code and settings are made of: all but the archetype's upgrade machinery in
     * .mvn/clicklog-archetype/, which names the archetype (clicklog-archetype) and records every property's answer,
     * the unused ones too (postgresPort=none in a jsonl project).
     */
    static Map<Path, String> projectTextFiles(Path project) {
        Map<Path, String> files = textFiles(project);
        files.keySet().removeIf(file -> file.startsWith(UPGRADE_MACHINERY));
        return files;
    }

    static final Path UPGRADE_MACHINERY = Path.of(".mvn/clicklog-archetype");

    static Map<Path, String> textFiles(Path project) {
        Map<Path, String> result = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(project)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                Path relative = project.relativize(file);
                if (relative.toString().matches("(.*/)?(target|data)/.*")) {
                    continue;
                }
                byte[] bytes = Files.readAllBytes(file);
                try {
                    String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
                    if (text.indexOf('\0') < 0) {
                        result.put(relative, text);
                    }
                } catch (CharacterCodingException binary) {
                    // not text: images, jars
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
