package ${package}.web;

import ${package}.shared.BootstrapServers;
import ${package}.shared.ClickTopic;

import java.util.Map;
import java.util.Objects;

/**
 * What the web producer needs: where the broker is, which topic, which HTTP port, and any Kafka producer
 * settings that replace the defaults of {@link KafkaClickPublisher} (tests and benchmarks use them).
 *
 * @param port the HTTP port; 0 picks a free one (tests), see {@link WebProducerApp#port()}
 */
public record WebProducerConfig(
        BootstrapServers bootstrap,
        String topic,
        int port,
        Map<String, Object> producerOverrides) {

    public static final String PORT_VARIABLE = "WEB_PORT";
    /** The port chosen when the project was generated; {@code WEB_PORT} replaces it. */
    public static final int DEFAULT_PORT = ${webPort};

    public WebProducerConfig {
        Objects.requireNonNull(bootstrap, "bootstrap");
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("the topic name is empty: set " + ClickTopic.ENV_VARIABLE
                    + " or leave it unset for " + ClickTopic.DEFAULT);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not a TCP port: use 1-65535, or 0 for any free port");
        }
        producerOverrides = producerOverrides == null ? Map.of() : Map.copyOf(producerOverrides);
    }

    /** Reads {@code KAFKA_BOOTSTRAP_SERVERS}, {@code CLICK_TOPIC} and {@code WEB_PORT}, with the generated defaults. */
    public static WebProducerConfig fromEnvironment() {
        return resolve(System.getenv());
    }

    /** The same as {@link #fromEnvironment()}, from a given environment. */
    public static WebProducerConfig resolve(Map<String, String> environment) {
        return new WebProducerConfig(
                BootstrapServers.resolve(environment),
                ClickTopic.resolve(environment),
                portFrom(environment.get(PORT_VARIABLE)),
                Map.of());
    }

    /** The same settings on another port (tests use 0). */
    public WebProducerConfig withPort(int otherPort) {
        return new WebProducerConfig(bootstrap, topic, otherPort, producerOverrides);
    }

    private static int portFrom(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_PORT;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PORT_VARIABLE + " must be a port number (1-65535), got '" + value
                    + "': fix or unset it (unset means " + DEFAULT_PORT + ")");
        }
    }
}
