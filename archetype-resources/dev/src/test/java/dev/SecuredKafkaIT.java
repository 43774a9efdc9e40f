package ${package}.dev;

import ${package}.dev.process.ChildJvm;
import ${package}.dev.process.JvmClasspath;
import ${package}.doctor.ListenerDoctor;
import ${package}.shared.ClickTopic;
import ${package}.web.WebProducerApp;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The apps against a broker that wants SASL/SCRAM credentials, configured the way a user does it: a client
 * properties file named by {@code KAFKA_CLIENT_PROPERTIES}. The web producer, the consumer and the listener doctor
 * run as their own JVMs, with the apps' own logging configuration, so what is asserted about their logs is what a
 * user sees.
 *
 * <p>The broker gets a third listener, SECURED (SASL_PLAINTEXT with SCRAM-SHA-512), next to its plain OUTSIDE and
 * INSIDE, through {@link BrokerSettings#overrides()} alone: {@link LocalKafkaBroker} checks that it is up and
 * creates the topics and the user over OUTSIDE, as an operator with admin access would, and the apps bootstrap from
 * SECURED, which advertises itself.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredKafkaIT {

    private static final String TOPIC = ClickTopic.DEFAULT;
    private static final String USER = "clicks-app";
    /** Random, so that finding either in a log or an answer can only mean it leaked. */
    private static final String PASSWORD = "right-" + UUID.randomUUID();
    private static final String WRONG_PASSWORD = "wrong-" + UUID.randomUUID();
    private static final String REFUSED_LINE = "Kafka refused the credentials from KAFKA_CLIENT_PROPERTIES=";
    /** How long the refused apps must stay up: a crash loop would have restarted several times by then. */
    private static final Duration STAYS_UP = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path workDir;

    private static LocalKafkaBroker broker;
    private static String securedBootstrap;
    private static Path rightFile;
    private static Path wrongFile;
    private static final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<ChildJvm> apps = new ArrayList<>();
    /** Every answer the apps gave, to check that none holds a password. */
    private final List<String> answers = new ArrayList<>();

    @BeforeAll
    static void startSecuredBroker() throws Exception {
        // One node whatever the project's topology: the test is about the clients' settings, and a third listener
        // added through the overrides has one port, which three nodes on one host could not share.
        BrokerSettings tests = BrokerSettings.forTests(workDir.resolve("kafka"));
        BrokerSettings plain = new BrokerSettings(tests.dataDir(), List.of(tests.listeners(1)), tests.maxHeap(),
                tests.overrides(), tests.startTimeout());
        BrokerListeners node = plain.listeners(1);
        // none of the node's own ports, which nothing listens on yet
        int securedPort = LocalKafkaBroker.freePorts(1,
                List.of(node.outsidePort(), node.insidePort(), node.controllerPort())).get(0);
        Map<String, String> listeners = node.serverProperties();
        Map<String, String> overrides = new HashMap<>(plain.overrides());
        overrides.put("listeners", listeners.get("listeners") + ",SECURED://127.0.0.1:" + securedPort);
        overrides.put("advertised.listeners",
                listeners.get("advertised.listeners") + ",SECURED://localhost:" + securedPort);
        overrides.put("listener.security.protocol.map",
                listeners.get("listener.security.protocol.map") + ",SECURED:SASL_PLAINTEXT");
        overrides.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        // SCRAM needs the login module on the broker's side too; the users come from the cluster's metadata.
        overrides.put("listener.name.secured.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        broker = LocalKafkaBroker.start(new BrokerSettings(plain.dataDir(), plain.nodes(), plain.maxHeap(),
                overrides, plain.startTimeout()));
        securedBootstrap = "localhost:" + securedPort;
        broker.createTopics(LocalKafkaBroker.CLICK_TOPIC_PARTITIONS, 1, TOPIC, ClickTopic.deadLetter(TOPIC));
        createUser(USER);
        rightFile = clientProperties("right.properties", USER, PASSWORD);
        wrongFile = clientProperties("wrong.properties", USER, WRONG_PASSWORD);
    }

    /** Over the plain OUTSIDE listener, as an operator with admin access would. */
    private static void createUser(String user) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), PASSWORD)))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    /** The file a user writes, as the README shows it (SASL_PLAINTEXT here: no TLS on this test broker). */
    private static Path clientProperties(String name, String user, String password) throws IOException {
        return Files.writeString(workDir.resolve(name), String.join(System.lineSeparator(),
                "security.protocol=SASL_PLAINTEXT",
                "sasl.mechanism=SCRAM-SHA-512",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\",
                "    username=\"" + user + "\" password=\"" + password + "\";",
                ""));
    }

    @AfterEach
    void stopApps() {
        ChildJvm.closeAll(apps.toArray(ChildJvm[]::new));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Order(1)
    void with_the_right_credentials_clicks_reach_the_sink() throws Exception {
        Path sinkDir = workDir.resolve("sink-right");
        List<Integer> ports = LocalKafkaBroker.freePorts(3, Set.of());
        int webPort = ports.get(0);
        int managementPort = ports.get(1);
        ChildJvm web = startWeb("right", rightFile, webPort, managementPort);
        ChildJvm consumer = startConsumer("right", rightFile, sinkDir, ports.get(2));

        List<String> eventIds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            eventIds.add(postUntilAccepted(web, webPort, "{\"itemId\":\"movie-" + i + "\",\"userId\":\"u-" + i + "\"}"));
        }
        String stored = awaitSink(sinkDir, text -> eventIds.stream().allMatch(text::contains), consumer);
        for (String eventId : eventIds) {
            assertTrue(stored.contains(eventId), "click " + eventId + " was accepted but is not in the sink");
        }
        // /readyz reports the last readiness probe, which runs on its own schedule: on a cold start the first one
        // may time out over SASL while the clicks already flow, so the answer is awaited, not sampled once.
        awaitReady(web, URI.create("http://127.0.0.1:" + managementPort + "/readyz"));

        stopApps();
        for (ChildJvm app : List.of(web, consumer)) {
            String log = Files.readString(app.log());
            assertTrue(log.contains("Kafka client properties from KAFKA_CLIENT_PROPERTIES=" + rightFile),
                    app.name() + " should say where its client settings come from:\n" + app.logTail(40));
            assertTrue(log.contains("sasl.jaas.config=(hidden)"), app.name() + " should hide the JAAS configuration");
            assertFalse(log.contains(REFUSED_LINE), app.name() + " was refused with the right credentials");
            assertNoPassword(app.name() + "'s log", log);
        }
        answers.forEach(answer -> assertNoPassword("an answer", answer));
    }

    @Test
    @Order(2)
    void with_a_wrong_password_the_apps_say_so_once_stay_up_and_are_not_ready() throws Exception {
        long started = System.nanoTime();
        List<Integer> ports = LocalKafkaBroker.freePorts(3, Set.of());
        int webPort = ports.get(0);
        int managementPort = ports.get(1);
        int consumerPort = ports.get(2);
        ChildJvm web = startWeb("wrong", wrongFile, webPort, managementPort);
        ChildJvm consumer = startConsumer("wrong", wrongFile, workDir.resolve("sink-wrong"), consumerPort);

        String webReason = awaitNotReady(web, URI.create("http://127.0.0.1:" + managementPort + "/readyz"));
        assertTrue(webReason.contains(REFUSED_LINE + wrongFile), "web /readyz (on the management port, with detail) should"
                + " name the refused credentials and the file: " + webReason);
        String consumerReason = awaitNotReady(consumer, URI.create("http://127.0.0.1:" + consumerPort + "/readyz"));
        assertTrue(consumerReason.contains(REFUSED_LINE + wrongFile),
                "consumer /readyz should name the refused credentials and the file: " + consumerReason);

        HttpResponse<String> click = post(webPort, "{\"itemId\":\"movie-1\",\"userId\":\"u-1\"}");
        assertEquals(503, click.statusCode(), "a click while Kafka refuses the credentials: " + click.body());
        assertTrue(click.headers().firstValue("Retry-After").isPresent(), "the 503 should say when to retry");

        long upFor = System.nanoTime() - started;
        if (upFor < STAYS_UP.toNanos()) {
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(STAYS_UP.toNanos() - upFor));
        }
        for (ChildJvm app : List.of(web, consumer)) {
            assertTrue(app.isAlive(), app.name() + " exited while refused (a supervisor would restart it in a loop):\n"
                    + app.logTail(40));
        }
        assertEquals(503, get(URI.create("http://127.0.0.1:" + managementPort + "/readyz")).statusCode());
        assertEquals(503, get(URI.create("http://127.0.0.1:" + consumerPort + "/readyz")).statusCode());

        ChildJvm doctor = ChildJvm.of("listener doctor", ListenerDoctor.class.getName())
                .environment(Map.of("KAFKA_BOOTSTRAP_SERVERS", securedBootstrap,
                        "KAFKA_CLIENT_PROPERTIES", wrongFile.toString()))
                .log(workDir.resolve("doctor-wrong.log"))
                .start();
        apps.add(doctor);
        assertTrue(doctor.waitFor(WAIT), "the doctor should finish within " + WAIT.toSeconds() + " s");
        String report = Files.readString(doctor.log());
        assertEquals(1, doctor.exitCode(), "the doctor's exit status for refused credentials:\n" + report);
        assertTrue(report.contains(REFUSED_LINE + wrongFile), "the doctor should name the refusal:\n" + report);
        assertNoPassword("the doctor's report", report);

        stopApps();
        for (ChildJvm app : List.of(web, consumer)) {
            String log = Files.readString(app.log());
            List<String> refusedLines = log.lines().filter(line -> line.contains(REFUSED_LINE)).toList();
            long kafkaLines = log.lines().filter(line -> line.contains("failed authentication")).count();
            System.out.printf("SecuredKafkaIT: %s logged the refusal %d time(s); the Kafka client's own"
                    + " 'failed authentication' lines: %d%n", app.name(), refusedLines.size(), kafkaLines);
            assertEquals(1, refusedLines.size(), app.name() + " should log the refusal exactly once:\n"
                    + String.join(System.lineSeparator(), refusedLines));
            assertTrue(refusedLines.get(0).contains("check the user name and password in sasl.jaas.config"),
                    "the line should say what to check: " + refusedLines.get(0));
            assertEquals(0, kafkaLines, app.name() + " should not repeat the Kafka client's line per attempt"
                    + " (simplelogger.properties quiets NetworkClient):\n" + app.logTail(20));
            assertNoPassword(app.name() + "'s log", log);
        }
        answers.forEach(answer -> assertNoPassword("an answer", answer));
    }

    /** The user is created on the cluster while the apps run (an operator fixing it): they recover, no restart. */
    @Test
    @Order(3)
    void once_the_cluster_takes_the_credentials_the_apps_recover_without_a_restart() throws Exception {
        String lateUser = "late-" + UUID.randomUUID();
        Path lateFile = clientProperties("late.properties", lateUser, PASSWORD);
        Path sinkDir = workDir.resolve("sink-late");
        List<Integer> ports = LocalKafkaBroker.freePorts(3, Set.of());
        int webPort = ports.get(0);
        int managementPort = ports.get(1);
        int consumerPort = ports.get(2);
        ChildJvm web = startWeb("late", lateFile, webPort, managementPort);
        ChildJvm consumer = startConsumer("late", lateFile, sinkDir, consumerPort);
        awaitNotReady(web, URI.create("http://127.0.0.1:" + managementPort + "/readyz"));
        awaitNotReady(consumer, URI.create("http://127.0.0.1:" + consumerPort + "/readyz"));

        createUser(lateUser);
        String eventId = postUntilAccepted(web, webPort, "{\"itemId\":\"movie-9\",\"userId\":\"u-9\"}");
        awaitSink(sinkDir, text -> text.contains(eventId), consumer);
        awaitReady(web, URI.create("http://127.0.0.1:" + managementPort + "/readyz"));
        awaitReady(consumer, URI.create("http://127.0.0.1:" + consumerPort + "/readyz"));

        stopApps();
        for (ChildJvm app : List.of(web, consumer)) {
            String log = Files.readString(app.log());
            assertEquals(1, log.lines().filter(line -> line.contains(REFUSED_LINE)).count(),
                    app.name() + " should log the refusal once:\n" + app.logTail(30));
            assertEquals(1, log.lines().filter(line -> line.contains("Kafka accepted the credentials from")).count(),
                    app.name() + " should log the recovery once:\n" + app.logTail(30));
            assertNoPassword(app.name() + "'s log", log);
        }
    }

    /** The web producer in a JVM of its own; its readiness, with the reason, is on the management port. */
    private ChildJvm startWeb(String run, Path clientProperties, int port, int managementPort) {
        ChildJvm web = ChildJvm.of("web producer", WebProducerApp.class.getName())
                .classpath(appClasspath(WebProducerApp.class))
                .jvmOptions(List.of("-Xmx96m"))
                .environment(Map.of(
                        "KAFKA_BOOTSTRAP_SERVERS", securedBootstrap,
                        "KAFKA_CLIENT_PROPERTIES", clientProperties.toString(),
                        "CLICK_TOPIC", TOPIC,
                        "WEB_PORT", Integer.toString(port),
                        "WEB_MANAGEMENT_PORT", Integer.toString(managementPort)))
                .log(workDir.resolve("web-" + run + ".log"))
                .start();
        apps.add(web);
        return web;
    }

    private ChildJvm startConsumer(String run, Path clientProperties, Path sinkDir, int statusPort)
            throws ClassNotFoundException {
        Class<?> consumerApp = Class.forName("${package}.consumer.ClickConsumerApp");
        ChildJvm consumer = ChildJvm.of("consumer", consumerApp.getName())
                .classpath(appClasspath(consumerApp))
                .jvmOptions(List.of("-Xmx128m"))
                .environment(Map.of(
                        "KAFKA_BOOTSTRAP_SERVERS", securedBootstrap,
                        "KAFKA_CLIENT_PROPERTIES", clientProperties.toString(),
                        "CLICK_TOPIC", TOPIC,
                        "CLICK_CONSUMER_GROUP", "secured-" + run,
                        // files, whatever the project's default sink: this test is about Kafka's security
                        "CLICK_SINK", "jsonl",
                        "CLICK_DATA_DIR", sinkDir.toString(),
                        "CONSUMER_PORT", Integer.toString(statusPort)))
                .log(workDir.resolve("consumer-" + run + ".log"))
                .start();
        apps.add(consumer);
        return consumer;
    }

    /** The app's own classes first, so its simplelogger.properties (not the dev module's) sets its logging. */
    private static String appClasspath(Class<?> app) {
        return JvmClasspath.codeSource(app) + File.pathSeparator + JvmClasspath.current();
    }

    private String postUntilAccepted(ChildJvm web, int port, String click) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            requireAlive(web);
            try {
                HttpResponse<String> response = post(port, click);
                if (response.statusCode() == 202) {
                    return JSON.readTree(response.body()).get("eventId").asText();
                }
                last = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no 202 within " + WAIT.toSeconds() + " s; last: " + last + "\n" + web.logTail(40));
    }

    private static String awaitSink(Path sinkDir, Predicate<String> complete, ChildJvm consumer) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String text = "";
        while (System.nanoTime() < deadline) {
            requireAlive(consumer);
            text = sinkText(sinkDir);
            if (complete.test(text)) {
                return text;
            }
            Thread.sleep(200);
        }
        return fail("the sink did not get the clicks within " + WAIT.toSeconds() + " s; it holds:\n" + text
                + "\nconsumer log:\n" + consumer.logTail(40));
    }

    private static String sinkText(Path sinkDir) throws IOException {
        if (!Files.isDirectory(sinkDir)) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        try (Stream<Path> files = Files.walk(sinkDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList()) {
                text.append(Files.readString(file));
            }
        }
        return text.toString();
    }

    /** Polls /readyz until it answers 200 (each app logs "Kafka accepted the credentials" when it gets there). */
    private void awaitReady(ChildJvm app, URI readyz) throws Exception {
        awaitReadyz(app, readyz, 200, "", "answer 200 with the right credentials");
    }

    /** Polls /readyz until it answers 503 naming the refusal; returns that answer's body. */
    private String awaitNotReady(ChildJvm app, URI readyz) throws Exception {
        return awaitReadyz(app, readyz, 503, "refused the credentials", "name the refused credentials");
    }

    /** Polls /readyz until it answers {@code status} with a body holding {@code text}; returns that body. */
    private String awaitReadyz(ChildJvm app, URI readyz, int status, String text, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            requireAlive(app);
            try {
                HttpResponse<String> response = get(readyz);
                last = response.statusCode() + " " + response.body();
                if (response.statusCode() == status && response.body().contains(text)) {
                    return response.body();
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError(app.name() + " /readyz did not " + what + " within " + WAIT.toSeconds()
                + " s; last: " + last + "\n" + app.logTail(40));
    }

    private HttpResponse<String> post(int port, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/clicks"))
                .timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return remember(http.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build();
        return remember(http.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    private HttpResponse<String> remember(HttpResponse<String> response) {
        answers.add(response.headers().map() + " " + response.body());
        return response;
    }

    private static void requireAlive(ChildJvm app) {
        if (!app.isAlive()) {
            fail(app.name() + " exited with code " + app.exitCode() + ":\n" + app.logTail(40));
        }
    }

    private static void assertNoPassword(String where, String text) {
        assertFalse(text.contains(PASSWORD), where + " holds the password");
        assertFalse(text.contains(WRONG_PASSWORD), where + " holds the (wrong) password");
    }
}
