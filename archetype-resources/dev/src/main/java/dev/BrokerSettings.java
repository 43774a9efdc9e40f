package ${package}.dev;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where and how {@link LocalKafkaBroker} runs. Start from {@link #forTests} or {@link #forDevMode}.
 *
 * @param dataDir      the broker's data (log.dirs below it), its server.properties and broker.log
 * @param listeners    its ports, and what it binds and advertises
 * @param maxHeap      the child JVM's -Xmx
 * @param overrides    more broker settings, applied last (they win)
 * @param startTimeout how long {@link LocalKafkaBroker#start} and {@link LocalKafkaBroker#restart} wait for it
 */
public record BrokerSettings(Path dataDir, BrokerListeners listeners, String maxHeap, Map<String, String> overrides,
                             Duration startTimeout) {

    /** The least that works is 192m (the log cleaner takes 128 MiB); this leaves room for the tests' loads. */
    public static final String DEFAULT_MAX_HEAP = "256m";
    /** num.partitions, for topics created on first use: what compose's KAFKA_NUM_PARTITIONS gives. */
    public static final int PARTITIONS = 3;

    public BrokerSettings {
        dataDir = dataDir.toAbsolutePath();
        overrides = Map.copyOf(overrides);
    }

    /**
     * Free ports, loopback only ({@link BrokerListeners#onFreePorts()}). A killed broker's registration lingers
     * until its session times out (9 s by default) and its restart waits for that; tests that kill it want 3 s.
     */
    public static BrokerSettings forTests(Path dataDir) {
        return new BrokerSettings(dataDir, BrokerListeners.onFreePorts(), DEFAULT_MAX_HEAP,
                Map.of("broker.session.timeout.ms", "3000", "broker.heartbeat.interval.ms", "500"),
                Duration.ofSeconds(60));
    }

    /** The generated ports ({@link BrokerListeners#generated()}), where the apps and an IDE expect them. */
    public static BrokerSettings forDevMode(Path dataDir) {
        return new BrokerSettings(dataDir, BrokerListeners.generated(), DEFAULT_MAX_HEAP, Map.of(),
                Duration.ofSeconds(90));
    }

    public BrokerSettings withMaxHeap(String heap) {
        return new BrokerSettings(dataDir, listeners, heap, overrides, startTimeout);
    }

    /** The broker's configuration: the settings of docker-compose.broker.yml, as server.properties. */
    public String serverProperties() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.putAll(listeners.serverProperties());
        config.put("offsets.topic.replication.factor", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("num.partitions", String.valueOf(PARTITIONS));
        // forward slashes: a backslash is an escape character in .properties files
        config.put("log.dirs", dataDir.resolve("log").toString().replace('\\', '/'));
        config.putAll(new TreeMap<>(overrides));
        StringBuilder text = new StringBuilder("# written by LocalKafkaBroker at each start; edits are lost\n");
        config.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        return text.toString();
    }
}
