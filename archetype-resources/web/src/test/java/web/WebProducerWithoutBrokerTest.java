package ${package}.web;

import ${package}.shared.BootstrapServers;
import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real Kafka producer with nothing listening at the bootstrap address: the answer must be a quick 503,
 * never a hang and never a 202.
 */
class WebProducerWithoutBrokerTest {

    /** Shorter than the shipped 3 s, to keep the test quick; the code path is the same. */
    private static final int MAX_BLOCK_MS = 1_000;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private String deadAddress;
    private WebProducerApp app;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket free = new ServerSocket(0)) {
            deadAddress = "127.0.0.1:" + free.getLocalPort();
        }
        WebProducerConfig config = new WebProducerConfig(
                new BootstrapServers(deadAddress, "the test (nothing listens there)"), "clicks-test", 0,
                Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS));
        app = WebProducerApp.start(config);
    }

    @AfterEach
    void stop() {
        app.close();
    }

    @Test
    void with_no_broker_a_click_gets_503_within_seconds_and_health_says_unreachable() throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = client.send(click(1), HttpResponse.BodyHandlers.ofString());
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertEquals(503, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Retry-After").isPresent());
        assertTrue(took.compareTo(Duration.ofMillis(2 * MAX_BLOCK_MS + 1_000)) < 0, "503 after " + took);
        JsonNode health = ClickJson.mapper().readTree(client.send(
                HttpRequest.newBuilder(app.baseUri().resolve("/health")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("unreachable", health.get("broker").asText(), health.toString());
        assertTrue(health.get("hint").asText().contains(deadAddress), health.toString());
        System.out.printf("no broker: 503 after %d ms: %s%n", took.toMillis(), response.body());
    }

    @Test
    void with_no_broker_many_concurrent_clicks_all_get_503_without_queueing_behind_each_other() throws Exception {
        int clicks = WebProducerApp.WORKER_THREADS * 4;
        long started = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < clicks; i++) {
            answers.add(client.sendAsync(click(i), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            assertEquals(503, answer.get().statusCode());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        // Were each click to wait for metadata on its own worker, this would take clicks / workers * max.block.ms.
        assertTrue(took.compareTo(Duration.ofMillis(2 * MAX_BLOCK_MS + 1_000)) < 0, clicks + " answers took " + took);
        System.out.printf("no broker: %d concurrent clicks all got 503 within %d ms%n", clicks, took.toMillis());
    }

    private HttpRequest click(int i) {
        return HttpRequest.newBuilder(app.baseUri().resolve("/api/clicks"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString("{\"itemId\":\"movie-" + i + "\",\"sessionId\":\"s-1\"}"))
                .build();
    }
}
