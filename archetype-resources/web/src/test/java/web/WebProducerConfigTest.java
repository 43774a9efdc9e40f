package ${package}.web;

import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickTopic;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebProducerConfigTest {

    @Test
    void with_nothing_set_the_generated_defaults_apply() {
        WebProducerConfig config = WebProducerConfig.resolve(Map.of());

        assertEquals(BootstrapServers.HOST_DEFAULT, config.bootstrap().address());
        assertEquals(ClickTopic.DEFAULT, config.topic());
        assertEquals(WebProducerConfig.DEFAULT_PORT, config.port());
        assertTrue(config.producerOverrides().isEmpty());
    }

    @Test
    void environment_variables_replace_the_defaults() {
        WebProducerConfig config = WebProducerConfig.resolve(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "kafka:1234", "CLICK_TOPIC", "other-clicks", "WEB_PORT", " 4321 "));

        assertEquals("kafka:1234", config.bootstrap().address());
        assertEquals("other-clicks", config.topic());
        assertEquals(4321, config.port());
    }

    @Test
    void a_WEB_PORT_that_is_not_a_number_is_named_in_the_error() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> WebProducerConfig.resolve(Map.of("WEB_PORT", "http")));

        assertTrue(error.getMessage().contains("WEB_PORT must be a port number"), error.getMessage());
    }

    @Test
    void a_port_out_of_range_is_refused() {
        assertThrows(IllegalArgumentException.class, () -> WebProducerConfig.resolve(Map.of("WEB_PORT", "70000")));
    }
}
