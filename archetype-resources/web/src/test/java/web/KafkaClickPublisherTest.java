package ${package}.web;

import ${package}.doctor.BootstrapServers;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaClickPublisherTest {

    private static final BootstrapServers BROKER = new BootstrapServers("localhost:1", "the test");

    @Test
    void a_click_counts_as_written_only_when_all_replicas_have_it_once() {
        Map<String, Object> settings = KafkaClickPublisher.producerSettings(BROKER, Map.of());

        assertEquals("all", settings.get(ProducerConfig.ACKS_CONFIG));
        assertEquals(true, settings.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
    }

    @Test
    void every_wait_is_bounded_so_a_dead_broker_gives_an_answer_within_seconds() {
        Map<String, Object> settings = KafkaClickPublisher.producerSettings(BROKER, Map.of());
        int linger = (int) settings.get(ProducerConfig.LINGER_MS_CONFIG);
        int request = (int) settings.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
        int delivery = (int) settings.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
        int block = (int) settings.get(ProducerConfig.MAX_BLOCK_MS_CONFIG);

        assertTrue(delivery >= linger + request, "Kafka refuses delivery.timeout.ms < linger.ms + request.timeout.ms");
        assertTrue(delivery <= 10_000 && block <= 5_000, "a client waits seconds, not minutes");
    }

    @Test
    void overrides_replace_single_settings() {
        Map<String, Object> settings = KafkaClickPublisher.producerSettings(BROKER,
                Map.of(ProducerConfig.LINGER_MS_CONFIG, 0));

        assertEquals(0, settings.get(ProducerConfig.LINGER_MS_CONFIG));
        assertEquals("all", settings.get(ProducerConfig.ACKS_CONFIG));
    }
}
