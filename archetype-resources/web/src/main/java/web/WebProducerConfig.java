package ${package}.web;

import ${package}.doctor.BootstrapServers;
import ${package}.doctor.KafkaClientProperties;
import ${package}.shared.ClickTopic;

import java.util.Map;
import java.util.Objects;

/**
 * What the web producer needs: where the broker is, which topic, which HTTP port, what one client may cost,
 * and any Kafka producer settings that replace the defaults of {@link KafkaClickPublisher} (tests and
 * benchmarks use them).
 *
 * @param port   the HTTP port; 0 picks a free one (tests), see {@link WebProducerApp#port()}
 * @param limits connections, body size and timeouts; {@link HttpLimits#DEFAULT} unless tests say otherwise
 * @param allowedOrigins the pages that may post clicks from a browser; {@link AllowedOrigins#DEFAULT} if null
 * @param clientProperties settings for every Kafka client from {@code KAFKA_CLIENT_PROPERTIES} (security);
 *                         {@code producerOverrides} win over them
 */
public record WebProducerConfig(
        BootstrapServers bootstrap,
        String topic,
        int port,
        HttpLimits limits,
        AllowedOrigins allowedOrigins,
        Map<String, Object> producerOverrides,
        KafkaClientProperties clientProperties) {

    public static final String PORT_VARIABLE = "WEB_PORT";
    /** The most connections open at once; more get 503 (and the process needs a file descriptor for each). */
    public static final String MAX_CONNECTIONS_VARIABLE = "WEB_MAX_CONNECTIONS";
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
        limits = limits == null ? HttpLimits.DEFAULT : limits;
        allowedOrigins = allowedOrigins == null ? AllowedOrigins.parse(AllowedOrigins.DEFAULT) : allowedOrigins;
        producerOverrides = producerOverrides == null ? Map.of() : Map.copyOf(producerOverrides);
        clientProperties = clientProperties == null ? KafkaClientProperties.none() : clientProperties;
    }

    /** Without client properties (tests, and a plain-text broker). */
    public WebProducerConfig(BootstrapServers bootstrap, String topic, int port, HttpLimits limits,
                             AllowedOrigins allowedOrigins, Map<String, Object> producerOverrides) {
        this(bootstrap, topic, port, limits, allowedOrigins, producerOverrides, KafkaClientProperties.none());
    }

    /** With the default limits. */
    public WebProducerConfig(BootstrapServers bootstrap, String topic, int port,
                             Map<String, Object> producerOverrides) {
        this(bootstrap, topic, port, HttpLimits.DEFAULT, null, producerOverrides);
    }

    /**
     * Reads {@code KAFKA_BOOTSTRAP_SERVERS}, {@code CLICK_TOPIC}, {@code WEB_PORT}, {@code WEB_MAX_CONNECTIONS},
     * {@code CLICK_ALLOWED_ORIGINS} and {@code KAFKA_CLIENT_PROPERTIES}, with the generated defaults.
     */
    public static WebProducerConfig fromEnvironment() {
        return resolve(System.getenv());
    }

    /** The same as {@link #fromEnvironment()}, from a given environment. */
    public static WebProducerConfig resolve(Map<String, String> environment) {
        return new WebProducerConfig(
                BootstrapServers.resolve(environment),
                ClickTopic.resolve(environment),
                portFrom(environment.get(PORT_VARIABLE)),
                HttpLimits.DEFAULT.withMaxConnections(maxConnectionsFrom(environment.get(MAX_CONNECTIONS_VARIABLE))),
                AllowedOrigins.resolve(environment),
                Map.of(),
                KafkaClientProperties.resolve(environment));
    }

    /** The same settings on another port (tests use 0). */
    public WebProducerConfig withPort(int otherPort) {
        return new WebProducerConfig(bootstrap, topic, otherPort, limits, allowedOrigins, producerOverrides,
                clientProperties);
    }

    /** The same settings with other limits (tests use short timeouts). */
    public WebProducerConfig withLimits(HttpLimits otherLimits) {
        return new WebProducerConfig(bootstrap, topic, port, otherLimits, allowedOrigins, producerOverrides,
                clientProperties);
    }

    /** The same settings with another CORS allowlist (browser tests serve their pages from another origin). */
    public WebProducerConfig withAllowedOrigins(AllowedOrigins otherOrigins) {
        return new WebProducerConfig(bootstrap, topic, port, limits, otherOrigins, producerOverrides,
                clientProperties);
    }

    private static int maxConnectionsFrom(String value) {
        if (value == null || value.isBlank()) {
            return HttpLimits.DEFAULT.maxConnections();
        }
        try {
            int connections = Integer.parseInt(value.trim());
            if (connections >= 1) {
                return connections;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException(MAX_CONNECTIONS_VARIABLE + " must be a whole number of at least 1, got '"
                + value + "': fix or unset it (unset means " + HttpLimits.DEFAULT.maxConnections() + ")");
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
