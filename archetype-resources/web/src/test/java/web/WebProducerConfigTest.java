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
        assertEquals(new WebProducerConfig.Management("127.0.0.1", WebProducerConfig.DEFAULT_MANAGEMENT_PORT),
                config.management(), "the management port listens on this machine only unless told otherwise");
        assertTrue(config.trustedProxies().isEmpty());
        assertTrue(config.producerOverrides().isEmpty());
    }

    @Test
    void the_edge_settings_come_from_the_environment() {
        WebProducerConfig config = WebProducerConfig.resolve(Map.of(
                "WEB_MANAGEMENT_PORT", "9100", "WEB_MANAGEMENT_BIND", "0.0.0.0", "WEB_REQUEST_MEMORY", "24m",
                "WEB_MAX_CLIENT_CONNECTIONS", "50", "WEB_TRUSTED_PROXIES", "10.0.0.0/8",
                "WEB_PUBLIC_ORIGIN", "https://Clicks.Example.com"));

        assertEquals(new WebProducerConfig.Management("0.0.0.0", 9100), config.management());
        assertEquals(24L << 20, config.limits().requestMemoryBytes());
        assertEquals(50, config.limits().maxClientConnections());
        assertTrue(config.trustedProxies().trusts(TrustedProxies.literal("10.1.2.3")));
        assertEquals("https://clicks.example.com", config.allowedOrigins().publicOrigin().orElseThrow());
    }

    @Test
    void bad_edge_settings_are_named_with_the_fix() {
        assertMessage(Map.of("WEB_REQUEST_MEMORY", "lots"), "WEB_REQUEST_MEMORY must be a size such as 16m");
        assertMessage(Map.of("WEB_MAX_CLIENT_CONNECTIONS", "0"), "WEB_MAX_CLIENT_CONNECTIONS must be a whole number");
        assertMessage(Map.of("WEB_PORT", "8100", "WEB_MANAGEMENT_PORT", "8100"),
                "WEB_MANAGEMENT_PORT and WEB_PORT are both 8100");
        assertMessage(Map.of("WEB_PUBLIC_ORIGIN", "https://clicks.example.com/"), "WEB_PUBLIC_ORIGIN");
    }

    private static void assertMessage(Map<String, String> environment, String mentions) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> WebProducerConfig.resolve(environment));
        assertTrue(error.getMessage().contains(mentions), error.getMessage());
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
