package ${package}.loadtest;

import ${package}.consumer.ClickConsumerApp;
import ${package}.consumer.ClickConsumerConfig;
import ${package}.consumer.JsonLinesClickSink;
import ${package}.consumer.StoredClick;
import ${package}.dev.BrokerSettings;
import ${package}.dev.LocalKafkaBroker;
import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickJson;
import ${package}.shared.ClickTopic;
import ${package}.web.WebProducerApp;
import ${package}.web.WebProducerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Exactly once across a browser's retries, on the real pipeline: the same clicks (same {@code clientEventId}s)
 * sent three times, as by a tracker whose answers were lost: once while the consumer runs, once more across a
 * consumer restart (its window is rebuilt from the sink's files). Each click is stored once.
 */
class RepeatedClicksIT {

    private static final String TOPIC = ClickTopic.DEFAULT;
    private static final int SESSIONS = 50;
    private static final int CLICKS_PER_SESSION = 20;
    private static final Duration SINK_WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path workDir;

    private static LocalKafkaBroker broker;
    private static WebProducerApp web;
    private static BootstrapServers bootstrap;
    private static Path sinkDir;
    private static final String GROUP = "repeated-" + UUID.randomUUID();
    /** Markers are clicks without clientEventId, one per session after each round: never left out. */
    private static int markersSent;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        broker = LocalKafkaBroker.start(BrokerSettings.forTests(workDir.resolve("kafka")));
        broker.createClickTopics(TOPIC);
        bootstrap = new BootstrapServers(broker.bootstrapServers(), "the retry test's broker");
        sinkDir = workDir.resolve("sink");
        web = WebProducerApp.start(new WebProducerConfig(bootstrap, TOPIC, 0, Map.of()));
    }

    @AfterAll
    static void stop() {
        if (web != null) {
            web.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void the_same_clicks_sent_three_times_are_stored_once_also_across_a_consumer_restart() throws Exception {
        List<ArrayNode> pages = pages();
        int clicks = SESSIONS * CLICKS_PER_SESSION;

        ClickConsumerApp consumer = startConsumer();
        long started = System.nanoTime();
        int accepted = send(pages);
        accepted += send(pages); // every answer of the first round "lost": the tracker sends the same again
        awaitMarkers();
        long repeatsWhileRunning = consumer.repeatedCount();
        consumer.close();

        accepted += send(pages); // and again, while no consumer runs
        ClickConsumerApp restarted = startConsumer();
        try {
            awaitMarkers();
            long repeatsAfterRestart = restarted.repeatedCount();
            double seconds = (System.nanoTime() - started) / 1e9;

            List<StoredClick> stored = JsonLinesClickSink.readAll(sinkDir).stream()
                    .filter(click -> !click.click().itemId().startsWith("marker-")).toList();
            Map<String, Long> times = stored.stream()
                    .collect(Collectors.groupingBy(click -> click.click().clientEventId(), Collectors.counting()));
            Set<String> duplicates = times.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
            System.out.printf("RepeatedClicksIT: %d clicks sent 3 times in arrays of %d: %d answered 202, %d stored,"
                            + " %d duplicates; left out %d while running and %d after a restart; %.1f s%n",
                    clicks, CLICKS_PER_SESSION, accepted, stored.size(), duplicates.size(), repeatsWhileRunning,
                    repeatsAfterRestart, seconds);
            assertEquals(3 * clicks, accepted, "every send is answered 202: the collector cannot tell a retry");
            assertEquals(Set.of(), duplicates, "clicks stored more than once");
            assertEquals(clicks, stored.size(), "each click stored once");
            assertEquals(clicks, repeatsWhileRunning, "the second copies left out by the running consumer");
            assertEquals(clicks, repeatsAfterRestart, "the third copies left out after the restart (window from the sink)");
        } finally {
            restarted.close();
        }
    }

    /** One array per session (a page's batch), each click with its clientEventId. */
    private static List<ArrayNode> pages() {
        List<ArrayNode> pages = new ArrayList<>();
        for (int s = 0; s < SESSIONS; s++) {
            ArrayNode page = ClickJson.mapper().createArrayNode();
            for (int c = 0; c < CLICKS_PER_SESSION; c++) {
                page.addObject().put("itemId", "movie-" + c).put("sessionId", "session-" + s)
                        .put("clientEventId", UUID.randomUUID().toString()).put("clientTime", "2026-01-01T00:00:00Z");
            }
            pages.add(page);
        }
        return pages;
    }

    /** Posts every page, then one marker per session; returns how many clicks were answered "accepted". */
    private static int send(List<ArrayNode> pages) throws Exception {
        int accepted = 0;
        for (ArrayNode page : pages) {
            JsonNode answer = post(page.toString());
            accepted += answer.get("accepted").asInt();
        }
        for (int s = 0; s < SESSIONS; s++) {
            post("[{\"itemId\":\"marker-" + UUID.randomUUID() + "\",\"sessionId\":\"session-" + s + "\"}]");
            markersSent++;
        }
        return accepted;
    }

    private static JsonNode post(String body) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(web.baseUri().resolve("/api/clicks"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return ClickJson.mapper().readTree(response.body());
    }

    /**
     * Waits until the sink holds every marker sent so far: a session's clicks share a partition and come in order,
     * so when its last marker is stored, every click sent before it has been decided on.
     */
    private static void awaitMarkers() throws Exception {
        long deadline = System.nanoTime() + SINK_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            long markers = JsonLinesClickSink.readAll(sinkDir).stream()
                    .filter(click -> click.click().itemId().startsWith("marker-")).count();
            if (markers == markersSent) {
                return;
            }
            Thread.sleep(100);
        }
        fail("the markers did not reach the sink within " + SINK_WAIT);
    }

    private static ClickConsumerApp startConsumer() throws Exception {
        return ClickConsumerApp.start(new ClickConsumerConfig(bootstrap, TOPIC, GROUP, sinkDir, Map.of()));
    }
}
