package ${package}.dev;

import ${package}.consumer.ClickConsumerApp;
import ${package}.consumer.ClickConsumerConfig;
#if( $sink == "postgres" )
import ${package}.consumer.postgres.PostgresClickSink;
import ${package}.consumer.postgres.PostgresSinkConfig;
#end
import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickTopic;
import ${package}.web.WebProducerApp;
import ${package}.web.WebProducerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
#if( $sink == "postgres" )
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
#end
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
#if( $sink == "postgres" )
 * The whole pipeline on a real broker, over real HTTP, into a real PostgreSQL: web producer → Kafka → consumer →
 * the clicks table ({@link LocalPostgres}). Nothing is mocked, so a break anywhere fails it. The rows are read back
 * in the shape of the JSON Lines sink's lines, so that both kinds of project check the same things.
#else
 * The whole pipeline on a real broker, over real HTTP, into real files: web producer → Kafka → consumer →
 * {@code <dataDir>/<topic>/dt=YYYY-MM-DD/hour=HH/<topic>-<partition>-<firstOffset>.jsonl}. Nothing is mocked, so a
 * break anywhere fails it.
#end
 *
 * <p>The tests run in order and share the pipeline: the clicks of the first are the baseline the later ones
 * count against.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClickPipelineSmokeIT {

    private static final String TOPIC = ClickTopic.DEFAULT;
    private static final Duration SINK_WAIT = Duration.ofSeconds(30);
    /** A file of the JSON Lines sink: {@code <topic>-<partition>-<firstOffset>.jsonl}. */
    private static final Pattern SINK_FILE = Pattern.compile(Pattern.quote(TOPIC) + "-(\\d+)-(\\d+)\\.jsonl");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path workDir;

    private static final long classStarted = System.nanoTime();
    private static LocalKafkaBroker broker;
    private static ClickConsumerApp consumer;
    private static WebProducerApp web;
    private static Admin admin;
    private static Path sinkDir;
#if( $sink == "postgres" )
    private static LocalPostgres postgres;
#end
    private static final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    /** Every eventId answered with 202, in the order the test sent it, per partition key (user or session). */
    private static final Map<String, List<String>> acceptedByKey = new ConcurrentHashMap<>();
    /** What was sent for each accepted eventId: the key and the itemId. */
    private static final Map<String, String[]> sentClick = new ConcurrentHashMap<>();

    @BeforeAll
    static void startPipeline() throws Exception {
        broker = LocalKafkaBroker.start(BrokerSettings.forTests(workDir.resolve("kafka")));
        broker.createClickTopics(TOPIC);
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));

        BootstrapServers bootstrap = new BootstrapServers(broker.bootstrapServers(), "the smoke test's broker");
        sinkDir = workDir.resolve("sink");
#if( $sink == "postgres" )
        // rwx--x--x: as root the server runs as nobody, who must pass through the test's directory
        Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwx--x--x"));
        postgres = LocalPostgres.start(workDir.resolve("postgres"), 0);
        consumer = ClickConsumerApp.start(new ClickConsumerConfig(bootstrap, TOPIC, "smoke-" + UUID.randomUUID(),
                sinkDir, Map.of()), PostgresClickSink.open(new PostgresSinkConfig(postgres.jdbcUrl(),
                postgres.user(), postgres.password(), PostgresSinkConfig.DEFAULT_RETENTION_DAYS)));
#else
        consumer = ClickConsumerApp.start(new ClickConsumerConfig(bootstrap, TOPIC, "smoke-" + UUID.randomUUID(),
                sinkDir, Map.of()));
#end
        long webStarting = System.nanoTime();
        web = WebProducerApp.start(new WebProducerConfig(bootstrap, TOPIC, 0, Map.of()));
        long webReady = System.nanoTime();
        System.out.printf("ClickPipelineSmokeIT: broker ready in %d ms, web producer started in %d ms,"
                        + " pipeline up %d ms after the test class loaded%n",
                broker.lastStartDuration().toMillis(), millis(webStarting, webReady), millis(classStarted, webReady));
    }

    @AfterAll
    static void stopPipeline() {
        List<Throwable> failures = new ArrayList<>();
        stopQuietly(failures, () -> {
            if (web != null) {
                web.close();
            }
        });
        stopQuietly(failures, () -> {
            if (consumer != null) {
                consumer.close();
            }
        });
#if( $sink == "postgres" )
        stopQuietly(failures, () -> {
            if (postgres != null) {
                postgres.close();
            }
        });
#end
        stopQuietly(failures, () -> {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        });
        stopQuietly(failures, () -> {
            if (broker != null) {
                broker.close();
            }
        });
        System.out.printf("ClickPipelineSmokeIT: %d ms in all%n", millis(classStarted, System.nanoTime()));
        if (broker != null) {
            assertFalse(broker.isRunning(), "the broker process outlived the test");
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("stopping the pipeline failed: " + failures.get(0));
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    @Test
    @Order(1)
    void every_accepted_click_reaches_the_sink_exactly_once_in_order_per_user() throws Exception {
        long started = System.nanoTime();
        List<String> keys = List.of("alice", "bob", "carol", "dave", "session:7f3a");

        // Single clicks: each key's clicks go one after the other (the next only after the 202), the keys
        // in parallel, so the order per key is defined and the producer still sees concurrent requests.
        ExecutorService clients = Executors.newFixedThreadPool(keys.size());
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (String key : keys) {
                runs.add(clients.submit(() -> {
                    for (int i = 1; i <= 6; i++) {
                        postOne(click(key, "movie-" + i));
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get(60, TimeUnit.SECONDS);
            }
        } finally {
            clients.shutdownNow();
        }

        // A batch, as a page's sendBeacon sends it: two more clicks per key, interleaved.
        ArrayNode batch = JSON.createArrayNode();
        for (int round = 1; round <= 2; round++) {
            for (String key : keys) {
                batch.add(click(key, "batch-" + round));
            }
        }
        postBatch(batch);

        int accepted = sentClick.size();
        assertEquals(keys.size() * 8, accepted, "every click should have been answered 202");
        List<JsonNode> stored = awaitSink(accepted);
        long storedAt = System.nanoTime();

        Map<String, Integer> timesStored = new HashMap<>();
        Map<String, List<String>> storedByKey = new LinkedHashMap<>();
        Map<String, Integer> partitionOfKey = new HashMap<>();
        for (JsonNode line : stored) {
            JsonNode click = line.get("click");
            String eventId = click.get("eventId").asText();
            timesStored.merge(eventId, 1, Integer::sum);
            String[] sent = sentClick.get(eventId);
            assertNotNull(sent, "the sink holds an event nobody was told was accepted: " + line);
            String key = sent[0];
            assertEquals(sent[1], click.get("itemId").asText(), "itemId of " + eventId);
            assertEquals(key, key.startsWith("session:") ? click.get("sessionId").asText() : click.get("userId").asText());
            assertEquals(TOPIC, line.get("topic").asText());
            Integer partition = partitionOfKey.putIfAbsent(key, line.get("partition").asInt());
            if (partition != null) {
                assertEquals(partition, line.get("partition").asInt(), "all clicks of " + key + " in one partition");
            }
            storedByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(eventId);
        }
        List<String> duplicates = timesStored.entrySet().stream().filter(e -> e.getValue() > 1)
                .map(Map.Entry::getKey).toList();
        assertEquals(List.of(), duplicates, "events stored more than once");
        assertEquals(sentClick.keySet(), timesStored.keySet(), "accepted and stored events differ");
        for (String key : keys) {
            assertEquals(acceptedByKey.get(key), storedByKey.get(key), "clicks of " + key + " out of order");
        }
        // Order per user rests on the record key: check it on the topic itself, not only where clicks landed.
        Map<String, String> keyOnTopic = readTopicKeys(accepted);
        for (Map.Entry<String, String[]> sent : sentClick.entrySet()) {
            assertEquals(sent.getValue()[0], keyOnTopic.get(sent.getKey()), "record key of event " + sent.getKey());
        }
        System.out.printf("ClickPipelineSmokeIT: %d clicks (%d single, %d in a batch) from %d users: accepted %d,"
                        + " stored %d, duplicates %d, lost %d; posting and storing took %d ms%n",
                accepted, keys.size() * 6, batch.size(), keys.size(), accepted, timesStored.size(), duplicates.size(),
                accepted - timesStored.size(), millis(started, storedAt));
    }

    @Test
    @Order(2)
    void malformed_requests_get_400_naming_the_problem_and_put_nothing_on_the_topic() throws Exception {
        long before = endOffsetSum(TOPIC);
        Map<String, String> malformed = new LinkedHashMap<>();
        malformed.put("truncated JSON", "{\"itemId\":\"movie-1\",\"userId\":");
        malformed.put("missing itemId", "{\"userId\":\"alice\"}");
        malformed.put("itemId of the wrong type", "{\"itemId\":42,\"userId\":\"alice\"}");
        malformed.put("neither userId nor sessionId", "{\"itemId\":\"movie-1\"}");
        malformed.put("a batch without a valid click", "[{\"itemId\":\"movie-1\"},{\"itemId\":\"\"}]");
        malformed.put("an id with a space", "{\"itemId\":\"movie 1\",\"userId\":\"alice\"}");
        malformed.put("a lone surrogate", "{\"itemId\":\"movie-1\",\"userId\":\"alice\",\"page\":\"\\ud800\"}");
        for (Map.Entry<String, String> request : malformed.entrySet()) {
            HttpResponse<String> response = post(request.getValue());
            assertEquals(400, response.statusCode(), request.getKey() + " -> " + response.body());
            JsonNode error = JSON.readTree(response.body()).get("error");
            assertTrue(error != null && error.isTextual() && !error.asText().isBlank(),
                    request.getKey() + ": a 400 needs a JSON error naming the problem, got " + response.body());
        }
        // A valid click after them: once it is stored, anything sent before it would be on the topic too.
        String fence = postOne(click("alice", "after-the-bad-ones"));
        awaitSink(sentClick.size());
        assertEquals(before + 1, endOffsetSum(TOPIC), "only the valid click may reach the topic");
        assertTrue(storedEventIds().contains(fence));
        assertEquals(0, endOffsetSum(ClickTopic.deadLetter(TOPIC)), "nothing was undecodable");
        System.out.printf("ClickPipelineSmokeIT: %d malformed requests -> 400, topic end offsets %d -> %d%n",
                malformed.size(), before, before + 1);
    }

    @Test
    @Order(3)
    void after_the_web_producer_closes_the_topic_holds_exactly_the_accepted_clicks() throws Exception {
        // close() flushes the producer: whatever it still held would be on the topic now.
        web.close();
        web = null;
        assertEquals(sentClick.size(), endOffsetSum(TOPIC), "records on the topic vs. clicks answered 202");
        assertEquals(sentClick.keySet(), Set.copyOf(storedEventIds()), "stored vs. accepted events");
    }

    private static ObjectNode click(String key, String itemId) {
        ObjectNode click = JSON.createObjectNode().put("itemId", itemId).put("page", "/smoke-test");
        if (key.startsWith("session:")) {
            click.put("sessionId", key);
        } else {
            click.put("userId", key);
        }
        return click;
    }

    /** Posts one click, requires 202 with its eventId, and records it as accepted. */
    private static String postOne(ObjectNode click) throws Exception {
        HttpResponse<String> response = post(click.toString());
        assertEquals(202, response.statusCode(), "POST " + click + " -> " + response.body());
        String eventId = JSON.readTree(response.body()).path("eventId").asText(null);
        assertNotNull(eventId, "a 202 must carry the eventId: " + response.body());
        accepted(click, eventId);
        return eventId;
    }

    private static void postBatch(ArrayNode clicks) throws Exception {
        HttpResponse<String> response = post(clicks.toString());
        assertEquals(202, response.statusCode(), "POST batch -> " + response.body());
        JsonNode results = JSON.readTree(response.body()).get("results");
        assertTrue(results != null && results.size() == clicks.size(), "one result per click: " + response.body());
        for (int i = 0; i < clicks.size(); i++) {
            JsonNode result = results.get(i);
            assertEquals("accepted", result.path("status").asText(), "click [" + i + "]: " + result);
            accepted((ObjectNode) clicks.get(i), result.get("eventId").asText());
        }
    }

    private static void accepted(ObjectNode click, String eventId) {
        String key = click.has("userId") ? click.get("userId").asText() : click.get("sessionId").asText();
        if (sentClick.put(eventId, new String[] {key, click.get("itemId").asText()}) != null) {
            fail("the web producer gave out eventId " + eventId + " twice");
        }
        acceptedByKey.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).add(eventId);
    }

    private static HttpResponse<String> post(String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(web.baseUri().resolve("/api/clicks"))
                .timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Waits until the sink files hold at least {@code expected} lines, and returns them in offset order per
     * partition (checked: each file's offsets rise, and its lines name its partition).
     */
    private static List<JsonNode> awaitSink(int expected) throws Exception {
        long deadline = System.nanoTime() + SINK_WAIT.toNanos();
        List<JsonNode> lines = readSink();
        while (lines.size() < expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
            lines = readSink();
        }
        assertTrue(lines.size() >= expected, "the sink in " + sinkDir + " has " + lines.size() + " of "
                + expected + " accepted clicks after " + SINK_WAIT.toSeconds() + " s");
        return lines;
    }

#if( $sink == "postgres" )
    /** The rows as the JSON Lines sink writes lines: topic, partition, offset and the click; checked like them. */
    private static List<JsonNode> readSink() throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(),
                postgres.password());
             Statement query = connection.createStatement()) {
            try (ResultSet rows = query.executeQuery("SELECT to_regclass('clicks') IS NOT NULL AS ready")) {
                if (!rows.next() || !rows.getBoolean(1)) {
                    return lines; // the consumer has not created its table yet
                }
            }
            try (ResultSet rows = query.executeQuery("SELECT json_build_object('topic', kafka_topic, 'partition',"
                    + " kafka_partition, 'offset', kafka_offset, 'click', jsonb_strip_nulls(jsonb_build_object("
                    + "'eventId', event_id, 'timestamp', clicked_at, 'itemId', item_id, 'userId', user_id,"
                    + " 'sessionId', session_id, 'page', page, 'referrer', referrer) || extra))::text"
                    + " FROM clicks ORDER BY kafka_partition, kafka_offset")) {
                int partition = -1;
                long lastOffset = -1;
                while (rows.next()) {
                    JsonNode line = JSON.readTree(rows.getString(1));
                    if (line.get("partition").asInt() != partition) {
                        partition = line.get("partition").asInt();
                        lastOffset = -1;
                    }
                    long offset = line.get("offset").asLong();
                    assertTrue(offset > lastOffset, "partition " + partition + ": offset " + offset + " after "
                            + lastOffset);
                    lastOffset = offset;
                    lines.add(line);
                }
            }
        } catch (SQLException e) {
            throw new IOException("reading the clicks table: " + e.getMessage(), e);
        }
        return lines;
    }
#else
    /**
     * The files as a reader who knows only the layout finds them: each partition's files in the order of the first
     * offset in their names, each file starting with that offset, each click in the folder of its hour (UTC).
     */
    private static List<JsonNode> readSink() throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        Path topicDir = sinkDir.resolve(TOPIC);
        if (!Files.isDirectory(topicDir)) {
            return lines;
        }
        Map<Integer, Map<Long, Path>> filesByPartition = new HashMap<>();
        try (var walk = Files.walk(topicDir)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                Matcher name = SINK_FILE.matcher(file.getFileName().toString());
                assertTrue(name.matches(), "not a file of the sink: " + file);
                filesByPartition.computeIfAbsent(Integer.parseInt(name.group(1)), p -> new TreeMap<>())
                        .put(Long.parseLong(name.group(2)), file);
            }
        }
        for (Map.Entry<Integer, Map<Long, Path>> partition : filesByPartition.entrySet()) {
            long lastOffset = -1;
            for (Map.Entry<Long, Path> entry : partition.getValue().entrySet()) {
                Path file = entry.getValue();
                String hour = file.getParent().getParent().getFileName().toString().substring("dt=".length()) + "T"
                        + file.getParent().getFileName().toString().substring("hour=".length());
                boolean first = true;
                for (String text : Files.readAllLines(file)) {
                    if (text.isEmpty()) {
                        continue;
                    }
                    JsonNode line = JSON.readTree(text);
                    assertEquals(partition.getKey().intValue(), line.get("partition").asInt(),
                            file + " holds a line of another partition");
                    long offset = line.get("offset").asLong();
                    assertTrue(offset > lastOffset, file + ": offset " + offset + " after " + lastOffset);
                    assertTrue(!first || offset == entry.getKey(), file + " starts at offset " + offset);
                    assertTrue(line.get("click").get("timestamp").asText().startsWith(hour),
                            file + " holds a click of another hour: " + text);
                    first = false;
                    lastOffset = offset;
                    lines.add(line);
                }
            }
        }
        return lines;
    }

#end

    private static List<String> storedEventIds() throws IOException {
        return readSink().stream().map(line -> line.get("click").get("eventId").asText()).toList();
    }

    /** Reads the topic from the start: eventId -> record key, for {@code expected} records. */
    private static Map<String, String> readTopicKeys(int expected) throws IOException {
        Map<String, String> keys = new HashMap<>();
        try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            List<TopicPartition> partitions = reader.partitionsFor(TOPIC).stream()
                    .map(p -> new TopicPartition(TOPIC, p.partition())).toList();
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            long deadline = System.nanoTime() + SINK_WAIT.toNanos();
            int records = 0;
            while (records < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                    records++;
                    keys.put(JSON.readTree(record.value()).get("eventId").asText(), record.key());
                }
            }
            assertEquals(expected, records, "records on the topic");
        }
        return keys;
    }

    /** How many records the topic holds: with an idempotent producer and no transactions, offsets are dense. */
    private static long endOffsetSum(String topic) throws Exception {
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                .get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, partitions).boxed()
                .collect(Collectors.toMap(p -> new TopicPartition(topic, p), p -> OffsetSpec.latest()));
        return admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS).values().stream()
                .mapToLong(info -> info.offset()).sum();
    }

    private static long millis(long fromNanos, long toNanos) {
        return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
    }

    private static void stopQuietly(List<Throwable> failures, Step step) {
        try {
            step.run();
        } catch (Throwable e) {
            failures.add(e);
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }
}
