package ${package}.consumer;

import ${package}.doctor.BootstrapServers;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consumer's status port over real HTTP, with Kafka's MockConsumer: liveness, readiness and the metrics a
 * scraper reads.
 */
@Timeout(60)
class ConsumerStatusServerTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);

    @TempDir
    Path dataDir;

    private final HttpClient client = HttpClient.newHttpClient();
    private ClickConsumerApp app;
    private ConsumerStatusServer status;

    @AfterEach
    void stop() {
        if (status != null) {
            status.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void livez_readyz_and_metrics_tell_what_the_consumer_does() throws Exception {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        consumer.updateEndOffsets(Map.of(P0, 5L));
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            consumer.addRecord(Clicks.validRecord(0, 0));
            consumer.addRecord(Clicks.validRecord(0, 1));
        });
        JsonLinesClickSink sink = JsonLinesClickSink.open(dataDir);
        ConsumerMetrics metrics = new ConsumerMetrics();
        sink.reportForceTimesTo(metrics::fsyncTook);
        app = ClickConsumerApp.start(new ClickConsumerConfig(BootstrapServers.resolve(Map.of()), Clicks.TOPIC,
                "test-group", dataDir, Map.of()), sink, consumer,
                () -> new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()));
        metrics.watch(app);
        metrics.registerJvmMetrics();
        status = ConsumerStatusServer.start(0, app, metrics);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (app.storedCount() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(2_500); // the loop refreshes lag and coordinator contact every 2 s

        HttpResponse<String> livez = get("/livez");
        assertEquals(200, livez.statusCode(), livez.body());
        assertEquals("{\"status\":\"UP\"}", livez.body());

        HttpResponse<String> readyz = get("/readyz");
        assertEquals(503, readyz.statusCode(), "MockConsumer has no group coordinator: " + readyz.body());
        assertTrue(readyz.body().contains("coordinator"), readyz.body());

        String scrape = get("/metrics").body();
        assertTrue(scrape.contains("consumer_clicks_stored_total 2.0"), scrape);
        assertTrue(scrape.contains("consumer_dead_lettered_total 0.0"), scrape);
        assertTrue(scrape.contains("consumer_lag{partition=\"0\"} 3.0"), "end offset 5, two stored: " + scrape);
        assertTrue(scrape.contains("consumer_fsync_seconds_count 1"), scrape);
        assertTrue(scrape.contains("jvm_memory_used_bytes"), scrape);

        assertEquals(404, get("/health").statusCode());

        app.close();
        assertEquals(503, get("/livez").statusCode(), "a stopped loop is not live");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + status.port() + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
