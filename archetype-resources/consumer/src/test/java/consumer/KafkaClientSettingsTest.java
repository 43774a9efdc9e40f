package ${package}.consumer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class KafkaClientSettingsTest {

    @Test
    void the_consumer_commits_itself_and_never_resets_an_offset_silently() {
        Properties props = KafkaClientSettings.consumerSettings(ClickConsumerConfig.resolve(Map.of()));

        assertEquals(false, props.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG));
        assertEquals("none", props.get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG));
        for (String fixed : ClickConsumerConfig.FIXED_SETTINGS) {
            assertEquals(true, props.containsKey(fixed), fixed + " is set by the consumer");
        }
    }

    @Test
    void dead_letters_are_acknowledged_by_all_replicas_and_written_once() {
        Properties props = KafkaClientSettings.deadLetterProducerSettings(ClickConsumerConfig.resolve(Map.of()));

        assertEquals("all", props.get(ProducerConfig.ACKS_CONFIG));
        assertEquals(true, props.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
    }

    @Test
    void the_dead_letter_producer_gets_the_consumers_credentials_but_not_its_other_overrides() {
        ClickConsumerConfig defaults = ClickConsumerConfig.resolve(Map.of());
        ClickConsumerConfig config = new ClickConsumerConfig(defaults.bootstrap(), "t", "g", Path.of("data"),
                Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000));

        Properties props = KafkaClientSettings.deadLetterProducerSettings(config);

        assertEquals("SASL_SSL", props.get("security.protocol"));
        assertEquals("PLAIN", props.get("sasl.mechanism"));
        assertFalse(props.containsKey(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), props::toString);
    }
}
