package ${package}.web;

import ${package}.shared.BootstrapServers;
import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real Kafka producer with nothing listening at the bootstrap address: the answer must be a quick 503,
 * never a hang and never a 202.
 */
class WebProducerWithoutBrokerTest {

    @Test
    void with_no_broker_a_click_gets_503_within_seconds_and_health_says_unreachable() throws Exception {
        int deadPort;
        try (ServerSocket free = new ServerSocket(0)) {
            deadPort = free.getLocalPort();
        }
        BootstrapServers nowhere = new BootstrapServers("127.0.0.1:" + deadPort, "the test (nothing listens there)");
        // A shorter metadata wait than the shipped 3 s keeps the test quick; the path is the same.
        WebProducerConfig config = new WebProducerConfig(nowhere, "clicks-test", 0,
                Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        try (WebProducerApp app = WebProducerApp.start(config)) {
            long started = System.nanoTime();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(app.baseUri().resolve("/api/clicks"))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(20))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"itemId\":\"movie-603\",\"sessionId\":\"s-1\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertEquals(503, response.statusCode(), response.body());
            assertTrue(response.headers().firstValue("Retry-After").isPresent());
            assertTrue(took.compareTo(Duration.ofSeconds(6)) < 0, "503 after " + took);
            JsonNode health = ClickJson.mapper().readTree(client.send(
                    HttpRequest.newBuilder(app.baseUri().resolve("/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertEquals("unreachable", health.get("broker").asText(), health.toString());
            assertTrue(health.get("hint").asText().contains("127.0.0.1:" + deadPort), health.toString());
            System.out.printf("no broker: 503 after %d ms: %s%n", took.toMillis(), response.body());
        }
    }
}
