package ${package}.web;

import ${package}.doctor.BootstrapServers;
import ${package}.doctor.KafkaClientProperties;
import ${package}.shared.ClickTopic;

import java.util.Map;
import java.util.Objects;

/**
 * What the web producer needs: where the broker is, which topic, which HTTP ports, what its clients may cost,
 * which proxies report clients, and any Kafka producer settings that replace the defaults of
 * {@link KafkaClickPublisher} (tests and benchmarks use them).
 *
 * @param port   the public HTTP port; 0 picks a free one (tests), see {@link WebProducerApp#port()}
 * @param limits connections, body size, memory for unfinished requests and timeouts; {@link HttpLimits#DEFAULT}
 *               unless tests say otherwise
 * @param allowedOrigins the pages that may post clicks from a browser, and the web producer's own origin;
 *                       {@link AllowedOrigins#DEFAULT} if null
 * @param clientProperties settings for every Kafka client from {@code KAFKA_CLIENT_PROPERTIES} (security);
 *                         {@code producerOverrides} win over them
 * @param management where the management port listens (/metrics, the detailed /readyz); never the public port
 * @param trustedProxies the reverse proxies whose X-Forwarded-For (or Forwarded) names the client; none if null
 */
public record WebProducerConfig(
        BootstrapServers bootstrap,
        String topic,
        int port,
        HttpLimits limits,
        AllowedOrigins allowedOrigins,
        Map<String, Object> producerOverrides,
        KafkaClientProperties clientProperties,
        Management management,
        TrustedProxies trustedProxies) {

    public static final String PORT_VARIABLE = "WEB_PORT";
    /** The most connections open at once; more get 503 (and the process needs a file descriptor for each). */
    public static final String MAX_CONNECTIONS_VARIABLE = "WEB_MAX_CONNECTIONS";
    /** The most connections one client may have open at once; more get 429. */
    public static final String MAX_CLIENT_CONNECTIONS_VARIABLE = "WEB_MAX_CLIENT_CONNECTIONS";
    /** The memory all unfinished requests may hold together, in bytes, or with k, m (KiB, MiB) as the JVM writes it. */
    public static final String REQUEST_MEMORY_VARIABLE = "WEB_REQUEST_MEMORY";
    public static final String MANAGEMENT_PORT_VARIABLE = "WEB_MANAGEMENT_PORT";
    public static final String MANAGEMENT_BIND_VARIABLE = "WEB_MANAGEMENT_BIND";
    /** The port chosen when the project was generated; {@code WEB_PORT} replaces it. */
    public static final int DEFAULT_PORT = ${webPort};
    /** The management port chosen when the project was generated; {@code WEB_MANAGEMENT_PORT} replaces it. */
    public static final int DEFAULT_MANAGEMENT_PORT = ${webManagementPort};

    /**
     * Where the management port listens.
     *
     * @param bindAddress the address it binds: {@code 127.0.0.1} (the default) lets only this machine, or this
     *                    container, in; {@code 0.0.0.0} the compose network too (compose sets it; the port is not
     *                    published)
     * @param port        0 picks a free one (tests)
     */
    public record Management(String bindAddress, int port) {
        /** On a free port of the loopback interface: what tests and dev mode's children use. */
        public static final Management ANY_FREE_PORT = new Management("127.0.0.1", 0);

        public Management {
            if (bindAddress == null || bindAddress.isBlank()) {
                throw new IllegalArgumentException(MANAGEMENT_BIND_VARIABLE + " is empty: give the address the"
                        + " management port binds (127.0.0.1 for this machine only, 0.0.0.0 for every interface)");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(MANAGEMENT_PORT_VARIABLE + " " + port + " is not a TCP port: use"
                        + " 1-65535, or 0 for any free port");
            }
        }
    }

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
        management = management == null ? Management.ANY_FREE_PORT : management;
        trustedProxies = trustedProxies == null ? TrustedProxies.none() : trustedProxies;
        if (port != 0 && port == management.port()) {
            throw new IllegalArgumentException(MANAGEMENT_PORT_VARIABLE + " and " + PORT_VARIABLE + " are both " + port
                    + ": the management port must differ from the public one (unset means " + DEFAULT_MANAGEMENT_PORT
                    + ")");
        }
    }

    /** Without client properties (tests, and a plain-text broker); the management port on a free port. */
    public WebProducerConfig(BootstrapServers bootstrap, String topic, int port, HttpLimits limits,
                             AllowedOrigins allowedOrigins, Map<String, Object> producerOverrides) {
        this(bootstrap, topic, port, limits, allowedOrigins, producerOverrides, KafkaClientProperties.none(), null,
                null);
    }

    /** With the default limits. */
    public WebProducerConfig(BootstrapServers bootstrap, String topic, int port,
                             Map<String, Object> producerOverrides) {
        this(bootstrap, topic, port, HttpLimits.DEFAULT, null, producerOverrides);
    }

    /**
     * Reads {@code KAFKA_BOOTSTRAP_SERVERS}, {@code CLICK_TOPIC}, {@code WEB_PORT}, {@code WEB_MANAGEMENT_PORT},
     * {@code WEB_MANAGEMENT_BIND}, {@code WEB_MAX_CONNECTIONS}, {@code WEB_MAX_CLIENT_CONNECTIONS},
     * {@code WEB_REQUEST_MEMORY}, {@code CLICK_ALLOWED_ORIGINS}, {@code WEB_PUBLIC_ORIGIN},
     * {@code WEB_TRUSTED_PROXIES}, {@code WEB_TRUSTED_PROXY_HEADER} and {@code KAFKA_CLIENT_PROPERTIES}, with the
     * generated defaults.
     */
    public static WebProducerConfig fromEnvironment() {
        return resolve(System.getenv());
    }

    /** The same as {@link #fromEnvironment()}, from a given environment. */
    public static WebProducerConfig resolve(Map<String, String> environment) {
        HttpLimits limits = HttpLimits.DEFAULT
                .withMaxConnections(
                        positive(environment, MAX_CONNECTIONS_VARIABLE, HttpLimits.DEFAULT.maxConnections()),
                        positive(environment, MAX_CLIENT_CONNECTIONS_VARIABLE, HttpLimits.DEFAULT.maxClientConnections()))
                .withRequestMemory(bytes(environment, REQUEST_MEMORY_VARIABLE, HttpLimits.DEFAULT.requestMemoryBytes()));
        return new WebProducerConfig(
                BootstrapServers.resolve(environment),
                ClickTopic.resolve(environment),
                portFrom(environment, PORT_VARIABLE, DEFAULT_PORT),
                limits,
                AllowedOrigins.resolve(environment),
                Map.of(),
                KafkaClientProperties.resolve(environment),
                new Management(environment.getOrDefault(MANAGEMENT_BIND_VARIABLE, "").isBlank() ? "127.0.0.1"
                        : environment.get(MANAGEMENT_BIND_VARIABLE).trim(),
                        portFrom(environment, MANAGEMENT_PORT_VARIABLE, DEFAULT_MANAGEMENT_PORT)),
                TrustedProxies.resolve(environment));
    }

    /** The same settings on other ports (tests use 0). */
    public WebProducerConfig withPorts(int otherPort, int otherManagementPort) {
        return new WebProducerConfig(bootstrap, topic, otherPort, limits, allowedOrigins, producerOverrides,
                clientProperties, new Management(management.bindAddress(), otherManagementPort), trustedProxies);
    }

    /** The same settings with another broker that speaks plain text (dev mode's own): no client properties. */
    public WebProducerConfig withPlainTextBroker(BootstrapServers otherBootstrap) {
        return new WebProducerConfig(otherBootstrap, topic, port, limits, allowedOrigins, producerOverrides,
                KafkaClientProperties.none(), management, trustedProxies);
    }

    /** The same settings with other limits (tests use short timeouts). */
    public WebProducerConfig withLimits(HttpLimits otherLimits) {
        return new WebProducerConfig(bootstrap, topic, port, otherLimits, allowedOrigins, producerOverrides,
                clientProperties, management, trustedProxies);
    }

    /** The same settings with another CORS allowlist (browser tests serve their pages from another origin). */
    public WebProducerConfig withAllowedOrigins(AllowedOrigins otherOrigins) {
        return new WebProducerConfig(bootstrap, topic, port, limits, otherOrigins, producerOverrides,
                clientProperties, management, trustedProxies);
    }

    /** The same settings trusting other proxies. */
    public WebProducerConfig withTrustedProxies(TrustedProxies otherProxies) {
        return new WebProducerConfig(bootstrap, topic, port, limits, allowedOrigins, producerOverrides,
                clientProperties, management, otherProxies);
    }

    private static int positive(Map<String, String> environment, String variable, int unset) {
        String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            return unset;
        }
        try {
            int number = Integer.parseInt(value.trim());
            if (number >= 1) {
                return number;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException(variable + " must be a whole number of at least 1, got '" + value
                + "': fix or unset it (unset means " + unset + ")");
    }

    /** A size in bytes: {@code 16777216}, {@code 16384k} or {@code 16m}, as the JVM's options write sizes. */
    private static long bytes(Map<String, String> environment, String variable, long unset) {
        String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            return unset;
        }
        String text = value.trim().toLowerCase(java.util.Locale.ROOT);
        long unit = text.endsWith("k") ? 1024 : text.endsWith("m") ? 1024 * 1024 : 1;
        try {
            long number = Long.parseLong(unit == 1 ? text : text.substring(0, text.length() - 1));
            if (number >= 1) {
                return number * unit;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException(variable + " must be a size such as 16m (MiB), 16384k (KiB) or 16777216"
                + " (bytes), got '" + value + "': fix or unset it (unset means " + unset / (1024 * 1024) + "m, an eighth"
                + " of the heap)");
    }

    private static int portFrom(Map<String, String> environment, String variable, int unset) {
        String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            return unset;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(variable + " must be a port number (1-65535), got '" + value
                    + "': fix or unset it (unset means " + unset + ")");
        }
    }
}
