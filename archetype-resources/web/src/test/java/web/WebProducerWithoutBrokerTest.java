package ${package}.web;

import ${package}.doctor.BootstrapServers;
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
    void with_no_broker_a_click_gets_503_within_seconds_and_readyz_says_why() throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = client.send(click(1), HttpResponse.BodyHandlers.ofString());
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertEquals(503, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Retry-After").isPresent());
        assertTrue(took.compareTo(Duration.ofMillis(2 * MAX_BLOCK_MS + 1_000)) < 0, "503 after " + took);
        // The first probe gives up after BrokerReadiness.PROBE_TIMEOUT; until then /readyz says "not asked yet". The
        // management port gives the reason and the detail.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        HttpResponse<String> readyz;
        JsonNode ready;
        do {
            readyz = client.send(HttpRequest.newBuilder(app.managementUri().resolve("/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, readyz.statusCode(), readyz.body());
            ready = ClickJson.mapper().readTree(readyz.body());
            Thread.sleep(100);
        } while (!ready.get("reason").asText().equals("the broker does not answer") && System.nanoTime() < deadline);
        assertEquals("NOT_READY", ready.get("status").asText(), ready.toString());
        assertTrue(ready.get("detail").asText().contains(deadAddress), "the management port tells where the app"
                + " looks for the broker: " + ready);
        System.out.printf("no broker: 503 after %d ms: %s%n", took.toMillis(), response.body());
    }

    @Test
    void with_no_broker_many_concurrent_clicks_all_get_503_without_queueing_behind_each_other() throws Exception {
        int clicks = 256;
        long started = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < clicks; i++) {
            answers.add(client.sendAsync(click(i), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            assertEquals(503, answer.get().statusCode());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        // Were each click to wait for metadata on its own, this would take clicks * max.block.ms.
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
