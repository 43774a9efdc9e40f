package ${package}.consumer;

import ${package}.doctor.BootstrapServers;
import ${package}.doctor.KafkaClientProperties;
import ${package}.shared.ClickTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the consumer needs, from environment variables ({@link #fromEnvironment()}) or from a test.
 *
 * @param bootstrap         where the broker is, and why there
 * @param topic             the click topic; undecodable records go to {@link ClickTopic#deadLetter(String)}
 * @param groupId           the consumer group: consumers sharing it split the partitions between them
 * @param dataDir           where {@link JsonLinesClickSink} writes; one consumer process per directory
 * @param consumerOverrides extra {@link ConsumerConfig} settings (timeouts in tests, security on a real cluster);
 *                          the settings that delivery depends on cannot be overridden
 * @param clientProperties  settings for every client from {@code KAFKA_CLIENT_PROPERTIES} (security on a real
 *                          cluster); overrides win over them
 */
public record ClickConsumerConfig(
        BootstrapServers bootstrap,
        String topic,
        String groupId,
        Path dataDir,
        Map<String, Object> consumerOverrides,
        KafkaClientProperties clientProperties) {

    public static final String GROUP_ENV_VARIABLE = "CLICK_CONSUMER_GROUP";
    /** The consumer's status port (/livez, /readyz, /metrics); no clicks come in there. */
    public static final String PORT_ENV_VARIABLE = "CONSUMER_PORT";
    /** The port chosen when the project was generated; {@code CONSUMER_PORT} replaces it, 0 picks a free one. */
    public static final int DEFAULT_PORT = ${consumerPort};
    public static final String DEFAULT_GROUP = "${artifactId}-consumer";
    public static final String DATA_DIR_ENV_VARIABLE = "CLICK_DATA_DIR";
    /** Relative to the working directory; docker-compose.yml sets /data, a volume. */
    public static final String DEFAULT_DATA_DIR = "data";
    /**
     * Optional static group membership ({@code group.instance.id}): a consumer restarted with the same id gets
     * its partitions back at once, instead of after the session timeout of the one that died (45 s by default).
     * Each running consumer of the group needs its own id.
     */
    public static final String INSTANCE_ID_ENV_VARIABLE = "CLICK_CONSUMER_INSTANCE_ID";

    /** Set by the consumer itself: changing them would break "stored exactly once" (see ClickConsumerApp). */
    static final Set<String> FIXED_SETTINGS = Set.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            ConsumerConfig.GROUP_ID_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);

    public ClickConsumerConfig {
        Objects.requireNonNull(bootstrap, "bootstrap");
        Objects.requireNonNull(dataDir, "dataDir");
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("the topic is empty: set " + ClickTopic.ENV_VARIABLE
                    + " or leave it unset for " + ClickTopic.DEFAULT);
        }
        if (groupId == null || groupId.isBlank()) {
            throw new IllegalArgumentException("the consumer group is empty: set " + GROUP_ENV_VARIABLE
                    + " or leave it unset for " + DEFAULT_GROUP);
        }
        consumerOverrides = consumerOverrides == null ? Map.of() : Map.copyOf(consumerOverrides);
        clientProperties = clientProperties == null ? KafkaClientProperties.none() : clientProperties;
        for (String key : consumerOverrides.keySet()) {
            if (FIXED_SETTINGS.contains(key)) {
                throw new IllegalArgumentException("the consumer setting " + key
                        + " cannot be overridden: the consumer sets it so that every click is stored exactly once");
            }
        }
    }

    /** Without client properties (tests, and a plain-text broker). */
    public ClickConsumerConfig(BootstrapServers bootstrap, String topic, String groupId, Path dataDir,
                               Map<String, Object> consumerOverrides) {
        this(bootstrap, topic, groupId, dataDir, consumerOverrides, KafkaClientProperties.none());
    }

    /**
     * Reads {@code KAFKA_BOOTSTRAP_SERVERS}, {@code CLICK_TOPIC}, {@code CLICK_CONSUMER_GROUP}, {@code CLICK_DATA_DIR},
     * {@code CLICK_CONSUMER_INSTANCE_ID} and {@code KAFKA_CLIENT_PROPERTIES}.
     */
    public static ClickConsumerConfig fromEnvironment() {
        return resolve(System.getenv());
    }

    public static ClickConsumerConfig resolve(Map<String, String> environment) {
        String instanceId = valueOr(environment, INSTANCE_ID_ENV_VARIABLE, "");
        return new ClickConsumerConfig(
                BootstrapServers.resolve(environment),
                ClickTopic.resolve(environment),
                valueOr(environment, GROUP_ENV_VARIABLE, DEFAULT_GROUP),
                Path.of(valueOr(environment, DATA_DIR_ENV_VARIABLE, DEFAULT_DATA_DIR)),
                instanceId.isEmpty() ? Map.of() : Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId),
                KafkaClientProperties.resolve(environment));
    }

    /** {@code CONSUMER_PORT}, else the generated default. */
    public static int portFrom(Map<String, String> environment) {
        String value = environment.get(PORT_ENV_VARIABLE);
        if (value == null || value.isBlank()) {
            return DEFAULT_PORT;
        }
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException(PORT_ENV_VARIABLE + " must be a port number (1-65535, or 0 for any free"
                + " one), got '" + value + "': fix or unset it (unset means " + DEFAULT_PORT + ")");
    }

    private static String valueOr(Map<String, String> environment, String name, String fallback) {
        String value = environment.get(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
