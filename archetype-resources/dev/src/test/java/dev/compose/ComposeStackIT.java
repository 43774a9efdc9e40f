package ${package}.dev.compose;

import ${package}.doctor.BrokerComposeFile;
import ${package}.doctor.DotEnv;
import ${package}.doctor.ListenerDoctor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The project's compose stack run for real, the way a user's first {@code docker compose up -d --build} runs it,
 * and checked from both sides of the network as a user would check it:
 * <ol>
 *   <li>the stack builds (both Dockerfiles, the web image's class data sharing step) and every service with a
 *       healthcheck becomes healthy;</li>
 *   <li>a client on the host, through the published OUTSIDE port(s), creates a topic, produces and consumes, and
 *       the broker advertises OUTSIDE to it;</li>
#if( $sink == "postgres" )
 *   <li>a click POSTed to the web container's published port is stored exactly once, as a row of the table
 *       {@code clicks} of the postgres service (read with psql in its container), with the fields it was sent;</li>
#else
 *   <li>a click POSTed to the web container's published port is stored in the consumer's volume exactly once;</li>
#end
 *   <li>the web container's management port is not published: from the host it refuses connections and the click
 *       port has no {@code /metrics} (404), while from another container on the compose network (the consumer's) its
 *       {@code /metrics} answers 200;</li>
 *   <li>in a container on the compose network (the web container) every service name resolves, the listener
 *       doctor says OK on INSIDE, and the OUTSIDE address fails there, as it must;</li>
 *   <li>{@code docker compose down -v} leaves no container, network or volume behind.</li>
 * </ol>
 * It runs under its own compose project name ({@value #PROJECT_SUFFIX} after the directory's), so it never takes
 * down a stack of yours, but it needs the ports of {@code .env}: stop your stack or dev mode first.
 *
 * <pre>
 *   ./mvnw verify -pl dev -am -Dit.test=ComposeStackIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * Needs a Docker API ({@code DOCKER_HOST} or {@code /var/run/docker.sock}: Docker, or podman's
 * {@code podman system service}) and Docker Compose v2.20+. Without them it skips and says why; under
 * {@code CI=true} it fails instead. Each check's result, the times, and on a failure the listener doctor's
 * diagnosis from the host and from the compose network go to {@code dev/target/compose-stack/report.txt}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeStackIT {

    static final String PROJECT_SUFFIX = "-stack-test";
    private static final Path PROJECT_DIR = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
    private static final Path REPORT_DIR = Path.of("target", "compose-stack");
    private static final Path REPORT = REPORT_DIR.resolve("report.txt");
    /** A first build downloads the Maven dependencies into the build image: minutes, not seconds. */
    private static final Duration UP_TIMEOUT = Duration.ofMinutes(20);
    private static final Duration HEALTHY_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration CLICK_STORED_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern OUTSIDE = Pattern.compile("OUTSIDE://([^,\\s]+)");

    private static ComposeCli compose;
    private static DockerEngine engine;
    private static Map<String, String> variables;
    private static BrokerComposeFile brokerFile;
    /** The OUTSIDE address each node advertises, as the compose file says: what host clients bootstrap from. */
    private static List<String> outsideAddresses;
    private static long upStarted;
    private static boolean stackDown;
    private static boolean diagnosed;
    /** Why the stack cannot run here (no Docker API or no Compose v2.20+), or null. */
    private static String skipReason;
    /** The web's management port was free on this machine before `up`: a refused connection then shows it unpublished. */
    private static boolean managementPortFreeBefore;

    @BeforeAll
    static void upAndHealthy() throws Exception {
        Files.createDirectories(REPORT_DIR);
        Files.writeString(REPORT, "");
        StringBuilder whyNot = new StringBuilder();
        engine = DockerEngine.find(whyNot).orElse(null);
        variables = DotEnv.composeVariables(PROJECT_DIR, System.getenv());
        Map<String, String> extraEnvironment = new HashMap<>();
        if (engine != null && engine.isPodman() && System.getenv("DOCKER_BUILDKIT") == null) {
            // podman's Docker API has no BuildKit session endpoint: compose must use the classic builder there
            extraEnvironment.put("DOCKER_BUILDKIT", "0");
        }
        String project = PROJECT_DIR.getFileName().toString().toLowerCase().replaceAll("[^a-z0-9_-]", "") + PROJECT_SUFFIX;
        compose = engine == null ? null
                : ComposeCli.find(PROJECT_DIR, project, extraEnvironment, whyNot).orElse(null);
        if (compose == null) {
            String reason = whyNot + ". The compose stack test needs a Docker API (Docker, or podman with"
                    + " `podman system service`) and Docker Compose v2.20 or newer";
            report("SKIPPED", "compose stack", reason);
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("CI=true and " + reason);
            }
            System.out.println("SKIPPED: " + reason);
            // each test then skips with the reason (an abort here would hide them from the counts)
            skipReason = reason;
            return;
        }
        report("INFO", "engine", engine.endpoint() + " (" + engine.describe() + "), " + compose.describe()
                + ", project " + project + extraEnvironment.keySet().stream().map(k -> ", " + k + "=" + extraEnvironment.get(k)).collect(Collectors.joining()));
        brokerFile = BrokerComposeFile.read(PROJECT_DIR, System.getenv());
        outsideAddresses = new ArrayList<>();
        for (BrokerComposeFile.Node node : brokerFile.nodes()) {
            Matcher outside = OUTSIDE.matcher(node.environment().getOrDefault("KAFKA_ADVERTISED_LISTENERS", ""));
            assertTrue(outside.find(), node.service() + " advertises no OUTSIDE listener");
            outsideAddresses.add(outside.group(1));
        }

        // A run that was stopped half-way leaves its stack: take it down first, or its ports block this one.
        if (!engine.leftovers(project).isEmpty()) {
            report("INFO", "leftovers", "a previous run's stack was still there: " + engine.leftovers(project)
                    + "; taking it down first");
            compose.run(COMMAND_TIMEOUT, "down", "-v", "--remove-orphans");
        }
        List<String> busy = busyPorts();
        managementPortFreeBefore = portFree(variables.get("WEB_MANAGEMENT_PORT"));
        if (!busy.isEmpty()) {
            check("published ports free", () -> {
                throw new AssertionError("port(s) " + busy + " of .env are in use on this machine: is this project's"
                        + " stack (docker compose ps) or dev mode running? Stop it, then run this test again");
            });
        }

        // `docker compose up -d --build` in its two steps, so that each is timed on its own: the images (the first
        // build downloads every dependency into the build image), then the stack and the time to healthy.
        ComposeCli.Result build = compose.run(UP_TIMEOUT, "build");
        Files.writeString(REPORT_DIR.resolve("build.log"), build.output());
        check("docker compose build", () -> {
            if (!build.ok()) {
                throw new AssertionError("failed after " + seconds(build.took()) + " s (exit " + build.exitCode()
                        + "):\n" + indent(build.tail(15)));
            }
            return "web and consumer images in " + seconds(build.took()) + " s (full output in build.log)";
        });
        upStarted = System.nanoTime();
        ComposeCli.Result up = compose.run(UP_TIMEOUT, "up", "-d");
        Files.writeString(REPORT_DIR.resolve("up.log"), up.output());
        check("docker compose up -d", () -> {
            if (!up.ok()) {
                throw new AssertionError("failed after " + seconds(up.took()) + " s (exit " + up.exitCode() + "):\n"
                        + indent(up.tail(12)) + "\n" + indent(healthLogs()));
            }
            return "returned after " + seconds(up.took()) + " s: the broker healthy, the topics created, the apps"
                    + " started (full output in up.log)";
        });
        check("every service healthy", () -> {
            String states = awaitHealthy();
            return "after " + seconds(Duration.ofNanos(System.nanoTime() - upStarted)) + " s from `up`: " + states;
        });
    }

    @BeforeEach
    void skipWithoutAnEngine() {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    @Test
    @Order(1)
    void hostClientProducesAndConsumesThroughOutside() {
        check("host client through OUTSIDE " + String.join(",", outsideAddresses), () -> {
            Properties settings = new Properties();
            settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", outsideAddresses));
            settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
            String topic = "compose-stack-probe";
            String value = "probe-" + UUID.randomUUID();
            try (Admin admin = Admin.create(settings)) {
                Set<String> advertised = new TreeSet<>();
                for (Node node : admin.describeCluster().nodes().get(20, TimeUnit.SECONDS)) {
                    advertised.add(node.host() + ":" + node.port());
                }
                assertEquals(new TreeSet<>(outsideAddresses), advertised,
                        "the broker must advertise exactly the OUTSIDE address(es) to a host client");
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) outsideAddresses.size())))
                        .all().get(20, TimeUnit.SECONDS);
                try {
                    Properties producerSettings = new Properties();
                    producerSettings.putAll(settings);
                    producerSettings.remove(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
                    producerSettings.put(ProducerConfig.ACKS_CONFIG, "all");
                    producerSettings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
                    try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerSettings,
                            new StringSerializer(), new StringSerializer())) {
                        producer.send(new ProducerRecord<>(topic, "probe", value)).get(30, TimeUnit.SECONDS);
                    }
                    Properties consumerSettings = new Properties();
                    consumerSettings.putAll(settings);
                    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerSettings,
                            new StringDeserializer(), new StringDeserializer())) {
                        TopicPartition partition = new TopicPartition(topic, 0);
                        consumer.assign(List.of(partition));
                        consumer.seekToBeginning(List.of(partition));
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                        boolean read = false;
                        while (!read && System.nanoTime() < deadline) {
                            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                                read |= record.value().equals(value);
                            }
                        }
                        assertTrue(read, "the record produced through OUTSIDE was not read back within 30 s");
                    }
                } finally {
                    admin.deleteTopics(List.of(topic)).all().get(20, TimeUnit.SECONDS);
                }
                return "advertised " + advertised + "; produced and read back one record on " + topic;
            }
        });
    }

    @Test
    @Order(2)
    void clickPostedToTheWebContainerIsStoredOnce() {
        String webPort = variables.get("WEB_PORT");
#if( $sink == "postgres" )
        check("click POSTed to 127.0.0.1:" + webPort + " stored once in the table clicks", () -> {
#else
        check("click POSTed to 127.0.0.1:" + webPort + " stored once in the consumer's volume", () -> {
#end
            String user = "compose-" + UUID.randomUUID();
            String body = JSON.createObjectNode().put("itemId", "compose-stack").put("page", "/compose-stack-test")
                    .put("userId", user).toString();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webPort + "/api/clicks"))
                    .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(202, response.statusCode(), "POST /api/clicks -> " + response.body());
            String eventId = JSON.readTree(response.body()).path("eventId").asText();
            long posted = System.nanoTime();
            long deadline = posted + CLICK_STORED_TIMEOUT.toNanos();
            int stored = storedCount(eventId);
            while (stored == 0 && System.nanoTime() < deadline) {
                Thread.sleep(500);
                stored = storedCount(eventId);
            }
            double after = (System.nanoTime() - posted) / 1e9;
#if( $sink == "postgres" )
            assertTrue(stored > 0, "click " + eventId + " (202) not in the table clicks after "
                    + CLICK_STORED_TIMEOUT.toSeconds() + " s");
#else
            assertTrue(stored > 0, "click " + eventId + " (202) not in /data/" + variables.get("CLICK_TOPIC")
                    + "/dt=*/hour=*/*.jsonl of the consumer after " + CLICK_STORED_TIMEOUT.toSeconds() + " s");
#end
            // a second look a little later: a duplicate would come from a redelivery after the first write
            Thread.sleep(2_000);
            stored = storedCount(eventId);
            assertEquals(1, stored, "click " + eventId + " must be stored exactly once");
#if( $sink == "postgres" )
            String row = psql("SELECT item_id || ' ' || user_id || ' ' || page || ' ' || kafka_topic FROM clicks"
                    + " WHERE event_id = '" + UUID.fromString(eventId) + "'");
            assertEquals("compose-stack " + user + " /compose-stack-test " + variables.get("CLICK_TOPIC"), row,
                    "the row of click " + eventId + " (item_id, user_id, page, kafka_topic)");
            return "202, eventId " + eventId + ", a row of clicks after " + String.format("%.1f", after)
                    + " s, stored once: " + row;
#else
            return "202, eventId " + eventId + ", in /data after " + String.format("%.1f", after) + " s, stored once";
#end
        });
    }

    @Test
    @Order(3)
    void metricsAreNotOnTheClickPort() {
        String webPort = variables.get("WEB_PORT");
        check("no /metrics on the click port 127.0.0.1:" + webPort, () -> {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webPort + "/metrics"))
                    .timeout(Duration.ofSeconds(15)).GET().build();
            HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(404, response.statusCode(), "GET /metrics on the published click port must be 404 (the metrics"
                    + " are on the management port, WEB_MANAGEMENT_PORT): " + response.body());
            return "GET /metrics -> 404";
        });
    }

    @Test
    @Order(4)
    void managementPortIsNotPublished() {
        String managementPort = variables.get("WEB_MANAGEMENT_PORT");
        check("management port " + managementPort + " not published, its /metrics answering on the compose network", () -> {
            // compose's view: no publisher of the web container maps it to the host
            ComposeCli.Result ps = compose.run(COMMAND_TIMEOUT, "ps", "--format", "json", "web");
            List<String> publishers = new ArrayList<>();
            for (JsonNode container : containers(ps.output())) {
                for (JsonNode publisher : container.path("Publishers")) {
                    if (publisher.path("TargetPort").asText().equals(managementPort)
                            && publisher.path("PublishedPort").asInt() != 0) {
                        publishers.add(publisher.toString());
                    }
                }
            }
            assertEquals(List.of(), publishers, "the web container's management port is published on the host");
            // the host's view: nothing answers there (unless something of this machine held the port before `up`)
            String fromHost;
            if (managementPortFreeBefore) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(managementPort)),
                            2_000);
                    throw new AssertionError("127.0.0.1:" + managementPort + " accepts connections from the host: the"
                            + " management port must stay on the compose network");
                } catch (IOException refused) {
                    fromHost = "127.0.0.1:" + managementPort + " refused from the host (" + refused.getMessage() + ")";
                }
            } else {
                fromHost = "not tried from the host: port " + managementPort + " was in use on this machine before `up`";
            }
            // the compose network's view (a Prometheus there): another container reaches /metrics on web:<port>
            ComposeCli.Result metrics = compose.run(COMMAND_TIMEOUT, "exec", "-T", "consumer", "bash", "-c",
                    "exec 3<>/dev/tcp/web/" + managementPort + " && printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3"
                            + " && head -c 12 <&3");
            assertTrue(metrics.ok() && metrics.output().contains(" 200"), "GET /metrics on web:" + managementPort
                    + " from the consumer container (exit " + metrics.exitCode() + "):\n" + indent(metrics.tail(5)));
            return "no publisher in compose ps; " + fromHost + "; GET /metrics on web:" + managementPort
                    + " from the consumer container -> 200";
        });
    }

    @Test
    @Order(5)
    void serviceNamesResolveOnTheComposeNetwork() {
        List<String> services = new ArrayList<>();
        brokerFile.nodes().forEach(node -> services.add(node.service()));
        if (variables.containsKey("ZOOKEEPER_IMAGE")) {
            services.add("zookeeper");
        }
        services.add("consumer");
#if( $sink == "postgres" )
        services.add("postgres");
#end
        check("service names resolve in the web container: " + services, () -> {
            List<String> answers = new ArrayList<>();
            for (String service : services) {
                ComposeCli.Result result = compose.run(COMMAND_TIMEOUT, "exec", "-T", "web", "getent", "hosts", service);
                assertTrue(result.ok(), "'" + service + "' does not resolve in the web container: " + result.tail(3));
                answers.add(service + " -> " + result.output().strip().split("\\s+")[0]);
            }
            return String.join(", ", answers);
        });
    }

    @Test
    @Order(6)
    void doctorInTheWebContainerSaysOkOnInside() {
        check("listener doctor in the web container (INSIDE, " + variables.get("KAFKA_INSIDE_BOOTSTRAP_SERVERS") + ")", () -> {
            ComposeCli.Result doctor = doctorInWeb(Map.of());
            assertTrue(doctor.ok() && doctor.output().contains("Diagnosis: OK"),
                    "the doctor must say OK in the web container (exit " + doctor.exitCode() + "):\n" + indent(doctor.output()));
            return "exit 0, " + line(doctor.output(), "Diagnosis:");
        });
    }

    @Test
    @Order(7)
    void outsideAddressFailsFromTheComposeNetwork() {
        String outside = String.join(",", outsideAddresses);
        check("OUTSIDE " + outside + " fails in the web container", () -> {
            ComposeCli.Result doctor = doctorInWeb(Map.of("KAFKA_BOOTSTRAP_SERVERS", outside));
            assertEquals(1, doctor.exitCode(), "from a container, " + outside + " is the container's own loopback and"
                    + " must fail (exit 1, a diagnosis):\n" + indent(doctor.output()));
            return "exit 1, " + line(doctor.output(), "Diagnosis:") + " " + line(doctor.output(), "1. ");
        });
    }

    @Test
    @Order(8)
    void downLeavesNothingBehind() {
        check("docker compose down -v leaves nothing behind", () -> {
            ComposeCli.Result down = compose.run(COMMAND_TIMEOUT, "down", "-v", "--remove-orphans");
            stackDown = true;
            assertTrue(down.ok(), "down -v failed:\n" + indent(down.tail(10)));
            List<String> left = new ArrayList<>(engine.leftovers(compose.project()));
            if (engine.networkExists(variables.get("KAFKA_NETWORK"))) {
                left.add("network " + variables.get("KAFKA_NETWORK"));
            }
            assertEquals(List.of(), left, "containers, networks or volumes of the stack left after down -v");
            return "in " + seconds(down.took()) + " s; no container, network or volume of project " + compose.project() + " left";
        });
    }

    @AfterAll
    static void downIfStillUp() throws IOException {
        if (compose != null && !stackDown) {
            ComposeCli.Result down = compose.run(COMMAND_TIMEOUT, "down", "-v", "--remove-orphans");
            report("INFO", "clean-up", "down -v after a failure: exit " + down.exitCode());
        }
    }

    // ---- helpers

    /** Runs one check: its result line goes to the report; a failure adds the doctor's diagnosis and fails the test. */
    private static void check(String name, Callable<String> body) {
        try {
            report("PASS", name, body.call());
        } catch (Throwable e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            report("FAIL", name, message);
            diagnose();
            fail(name + ": " + message, e);
        }
    }

    /** Once per run: the listener doctor from the host and from a container on the compose network, into the report. */
    private static void diagnose() {
        if (diagnosed || compose == null) {
            return;
        }
        diagnosed = true;
        try {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                    ListenerDoctor.class.getName()).directory(PROJECT_DIR.toFile()).redirectErrorStream(true);
            builder.environment().remove("KAFKA_BOOTSTRAP_SERVERS");
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(60, TimeUnit.SECONDS);
            report("DOCTOR", "host (project root, OUTSIDE)", "exit " + process.exitValue() + "\n" + indent(output));
        } catch (IOException | InterruptedException e) {
            report("DOCTOR", "host", "could not run: " + e);
        }
        ComposeCli.Result inContainer = doctorInWeb(Map.of());
        report("DOCTOR", "container on the compose network (INSIDE)", "\n" + indent(inContainer.output()));
    }

    /**
     * The doctor in the web container, as the README says to run it; when web is not running (the stack did not
     * come up), in a one-off container of the web image on the same network.
     */
    private static ComposeCli.Result doctorInWeb(Map<String, String> environment) {
        List<String> args = new ArrayList<>();
        boolean webRunning = compose.run(COMMAND_TIMEOUT, "ps", "--status", "running", "--services").output()
                .lines().anyMatch("web"::equals);
        if (webRunning) {
            args.addAll(List.of("exec", "-T"));
        } else {
            args.addAll(List.of("run", "--rm", "--no-deps", "-T", "--entrypoint", "java"));
        }
        environment.forEach((name, value) -> args.addAll(List.of("-e", name + "=" + value)));
        args.add("web");
        if (webRunning) {
            args.add("java");
        }
        args.addAll(List.of("-cp", "web.jar:lib/*", ListenerDoctor.class.getName()));
        return compose.run(COMMAND_TIMEOUT, args.toArray(String[]::new));
    }

    /** Waits until no service is starting, then requires every one with a healthcheck to be healthy. */
    private static String awaitHealthy() throws Exception {
        long deadline = System.nanoTime() + HEALTHY_TIMEOUT.toNanos();
        while (true) {
            Map<String, String> health = new LinkedHashMap<>();
            ComposeCli.Result ps = compose.run(COMMAND_TIMEOUT, "ps", "--all", "--format", "json");
            for (JsonNode service : containers(ps.output())) {
                String state = service.path("State").asText();
                String check = service.path("Health").asText("");
                health.put(service.path("Service").asText(), check.isEmpty() ? state : state + "/" + check);
            }
            boolean starting = health.values().stream().anyMatch(s -> s.endsWith("/starting") || s.equals("created"));
            if (!starting && !health.isEmpty()) {
                List<String> bad = health.entrySet().stream()
                        .filter(e -> !e.getValue().equals("running/healthy") && !e.getValue().equals("exited"))
                        .map(e -> e.getKey() + " " + e.getValue()).toList();
                assertTrue(bad.isEmpty(), "not healthy: " + bad + "\n" + indent(healthLogs()));
                return health.toString();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still starting after " + HEALTHY_TIMEOUT.toSeconds() + " s: " + health);
            }
            Thread.sleep(1_000);
        }
    }

    /** compose ps --format json: one object per line (v2.21+) or one array (before). */
    private static List<JsonNode> containers(String output) throws IOException {
        List<JsonNode> list = new ArrayList<>();
        for (String line : output.lines().map(String::strip).filter(l -> l.startsWith("{") || l.startsWith("[")).toList()) {
            JsonNode node = JSON.readTree(line);
            if (node.isArray()) {
                node.forEach(list::add);
            } else {
                list.add(node);
            }
        }
        return list;
    }

    /** What compose knows of every container, for a report: state, health, exit code. */
    private static String healthLogs() {
        ComposeCli.Result ps = compose.run(COMMAND_TIMEOUT, "ps", "--all", "--format",
                "table {{.Service}}\t{{.Status}}\t{{.Ports}}");
        return "docker compose ps --all:\n" + indent(ps.output().strip());
    }

#if( $sink == "postgres" )
    /** Rows of the table clicks with this event id. */
    private static int storedCount(String eventId) {
        return Integer.parseInt(psql("SELECT count(*) FROM clicks WHERE event_id = '" + UUID.fromString(eventId) + "'"));
    }

    /**
     * One value, from psql in the postgres container as the database's user of .env (unaligned, tuples only); the
     * last line, since compose's own warnings come before it on the same stream.
     */
    private static String psql(String query) {
        ComposeCli.Result result = compose.run(COMMAND_TIMEOUT, "exec", "-T", "postgres", "psql", "-v", "ON_ERROR_STOP=1",
                "-U", variables.get("POSTGRES_USER"), "-d", variables.get("POSTGRES_DB"), "-tAc", query);
        assertTrue(result.ok(), "psql in the postgres container failed (exit " + result.exitCode() + ") on " + query
                + ":\n" + indent(result.tail(5)));
        List<String> lines = result.output().lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
        assertTrue(!lines.isEmpty(), "psql printed nothing for " + query);
        return lines.get(lines.size() - 1);
    }
#else
    private static int storedCount(String eventId) throws IOException {
        ComposeCli.Result files = compose.run(COMMAND_TIMEOUT, "exec", "-T", "consumer", "sh", "-c",
                "cat /data/" + variables.get("CLICK_TOPIC") + "/dt=*/hour=*/*.jsonl 2>/dev/null || true");
        int count = 0;
        for (String line : files.output().lines().filter(l -> l.startsWith("{")).toList()) {
            if (JSON.readTree(line).path("click").path("eventId").asText().equals(eventId)) {
                count++;
            }
        }
        return count;
    }
#end

    private static List<String> busyPorts() {
        List<String> ports = new ArrayList<>();
        outsideAddresses.forEach(address -> ports.add(address.substring(address.lastIndexOf(':') + 1)));
        ports.add(variables.get("WEB_PORT"));
#if( $sink == "postgres" )
        if (variables.containsKey("POSTGRES_PORT")) {
            ports.add(variables.get("POSTGRES_PORT"));
        }
#end
        return ports.stream().filter(port -> !portFree(port)).toList();
    }

    private static boolean portFree(String port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(port)));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static synchronized void report(String result, String check, String detail) {
        String line = String.format("%-7s %s: %s%n", result, check, detail);
        System.out.print("[compose-stack] " + line);
        try {
            Files.writeString(REPORT, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("[compose-stack] could not write " + REPORT + ": " + e);
        }
    }

    private static String line(String output, String prefix) {
        return output.lines().map(String::strip).filter(l -> l.startsWith(prefix)).findFirst().orElse("");
    }

    private static String indent(String text) {
        return text.lines().map(l -> "    " + l).collect(Collectors.joining("\n"));
    }

    private static String seconds(Duration duration) {
        return String.format("%.1f", duration.toMillis() / 1000.0);
    }
}
