package ${package}.consumer;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consumer's lifecycle: start, close, health. What the loop stores and commits is {@link ClickConsumerLoopTest};
 * the end-to-end test with a broker is in the dev module.
 */
@Timeout(60)
class ClickConsumerAppTest {

    @TempDir
    Path dataDir;

    @Test
    void close_stops_the_loop_releases_the_sink_and_may_be_called_again() throws Exception {
        AtomicInteger producersCreated = new AtomicInteger();
        ClickConsumerApp app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir),
                new MockConsumer<>("none"), () -> {
                    producersCreated.incrementAndGet();
                    return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
                });
        assertTrue(app.isRunning());

        app.close();
        app.close();

        assertTrue(app.awaitTermination(Duration.ZERO), "close waits for the loop");
        assertFalse(app.isRunning());
        assertTrue(app.failure().isEmpty(), "a requested stop is no failure");
        assertEquals(0, producersCreated.get(), "no dead letter, no dead-letter producer");
        try (JsonLinesClickSink next = JsonLinesClickSink.open(dataDir)) {
            assertTrue(next.claim(new TopicPartition(app.config().topic(), 0)), "the sink let go of its files");
        }
    }

    @Test
    void a_stopped_consumer_is_neither_live_nor_ready() throws Exception {
        ClickConsumerApp app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir),
                new MockConsumer<>("none"),
                () -> new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()));
        assertTrue(app.health().live(), "a loop that just started is live");

        app.close();

        ClickConsumerApp.Health health = app.health();
        assertFalse(health.live() || health.ready(), health.toString());
        assertEquals("stopped", health.problem());
    }

    private ClickConsumerConfig config() {
        return ClickConsumerConfig.resolve(Map.of(ClickConsumerConfig.DATA_DIR_ENV_VARIABLE, dataDir.toString()));
    }
}
