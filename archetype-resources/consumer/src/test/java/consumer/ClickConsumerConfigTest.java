package ${package}.consumer;

import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClickConsumerConfigTest {

    @Test
    void with_nothing_set_the_generated_defaults_apply() {
        ClickConsumerConfig config = ClickConsumerConfig.resolve(Map.of());

        assertEquals(BootstrapServers.HOST_DEFAULT, config.bootstrap().address());
        assertEquals(ClickTopic.DEFAULT, config.topic());
        assertEquals("${artifactId}-consumer", config.groupId());
        assertEquals(Path.of("data"), config.dataDir());
        assertEquals(Map.of(), config.consumerOverrides());
    }

    @Test
    void environment_variables_override_every_default() {
        ClickConsumerConfig config = ClickConsumerConfig.resolve(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "broker.example:7777",
                "CLICK_TOPIC", "other-clicks",
                "CLICK_CONSUMER_GROUP", " reporting ",
                "CLICK_DATA_DIR", "/data"));

        assertEquals("broker.example:7777", config.bootstrap().address());
        assertEquals("other-clicks", config.topic());
        assertEquals("reporting", config.groupId());
        assertEquals(Path.of("/data"), config.dataDir());
    }

    @Test
    void an_instance_id_turns_on_static_membership_so_a_restart_gets_its_partitions_back_at_once() {
        ClickConsumerConfig config = ClickConsumerConfig.resolve(Map.of("CLICK_CONSUMER_INSTANCE_ID", "consumer-1"));

        assertEquals(Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "consumer-1"), config.consumerOverrides());
    }

    @Test
    void overriding_a_setting_that_delivery_depends_on_is_refused_with_the_reason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClickConsumerConfig(
                BootstrapServers.resolve(Map.of()), "t", "g", Path.of("data"),
                Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true)));

        assertTrue(e.getMessage().contains(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG), e.getMessage());
    }

    @Test
    void other_consumer_settings_can_be_overridden() {
        ClickConsumerConfig config = new ClickConsumerConfig(BootstrapServers.resolve(Map.of()), "t", "g",
                Path.of("data"), Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000));

        assertEquals(6000, KafkaClientSettings.consumerSettings(config).get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG));
        assertEquals(false, KafkaClientSettings.consumerSettings(config).get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG));
    }
}
