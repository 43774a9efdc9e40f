package ${package}.dev;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Where and how {@link LocalKafkaBroker} runs its nodes. Start from {@link #forTests} or {@link #forDevMode}.
 *
 * @param dataDir      the broker's data: for one node, its log.dirs, server.properties and broker.log; for a
 *                     cluster, the same per node in {@code node-<id>/}
 * @param nodes        the listeners of node 1, 2, ...: one, or the three of a KRaft cluster
 * @param maxHeap      each node's -Xmx
 * @param overrides    more broker settings, applied last (they win)
 * @param startTimeout how long {@link LocalKafkaBroker#start} and the restarts wait for the nodes
 */
public record BrokerSettings(Path dataDir, List<BrokerListeners> nodes, String maxHeap, Map<String, String> overrides,
                             Duration startTimeout) {

    /** Room for the tests' loads and for a restart's log recovery, with the log cleaner's buffer kept small (below). */
    public static final String DEFAULT_MAX_HEAP = "256m";

    public BrokerSettings {
        dataDir = dataDir.toAbsolutePath();
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a broker needs at least one node");
        }
        overrides = Map.copyOf(overrides);
    }

    /**
     * {@link LocalKafkaBroker#NODES} nodes on free ports, loopback only ({@link BrokerListeners#onFreePorts}). A
     * killed node's registration lingers until its session times out (9 s by default): its restart waits for
     * that, and so do the clients of the partitions it led. Tests that kill nodes want 3 s.
     */
    public static BrokerSettings forTests(Path dataDir) {
        return new BrokerSettings(dataDir, BrokerListeners.onFreePorts(LocalKafkaBroker.NODES), DEFAULT_MAX_HEAP,
                Map.of("broker.session.timeout.ms", "3000", "broker.heartbeat.interval.ms", "500"),
                startTimeout(LocalKafkaBroker.NODES));
    }

    /** The generated ports ({@link BrokerListeners#generated}), where the apps and an IDE expect them. */
    public static BrokerSettings forDevMode(Path dataDir) {
        List<BrokerListeners> nodes = IntStream.rangeClosed(1, LocalKafkaBroker.NODES)
                .mapToObj(BrokerListeners::generated).toList();
        return new BrokerSettings(dataDir, nodes, DEFAULT_MAX_HEAP, Map.of(),
                startTimeout(LocalKafkaBroker.NODES).plusSeconds(30));
    }

    /** Nodes start side by side on a machine that may have two cores: each more one takes longer. */
    private static Duration startTimeout(int nodes) {
        return Duration.ofSeconds(60L + 30L * (nodes - 1));
    }

    public BrokerSettings withMaxHeap(String heap) {
        return new BrokerSettings(dataDir, nodes, heap, overrides, startTimeout);
    }

    /** The listeners of node {@code nodeId} (1, 2, ...). */
    public BrokerListeners listeners(int nodeId) {
        return nodes.get(nodeId - 1);
    }

    /** Node {@code nodeId}'s directory: the data directory itself for a single node. */
    public Path nodeDir(int nodeId) {
        return nodes.size() == 1 ? dataDir : dataDir.resolve("node-" + nodeId);
    }

    /** What a topic gets by default, and the click topics get: a replica on every node. */
    public int replicationFactor() {
        return nodes.size();
    }

    /**
     * Node {@code nodeId}'s configuration: the settings of docker-compose.broker.yml, as server.properties. A
     * cluster has those of the three-node file: three replicas of everything, two in sync before a write counts,
     * so one node may be down without stopping writes or losing an acknowledged one.
     */
    public String serverProperties(int nodeId) {
        int replicas = replicationFactor();
        String minInSync = String.valueOf(Math.max(1, replicas - 1));
        Map<String, String> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", String.valueOf(nodeId));
        config.put("controller.quorum.voters", IntStream.rangeClosed(1, nodes.size())
                .mapToObj(id -> listeners(id).voter(id)).collect(Collectors.joining(",")));
        config.putAll(listeners(nodeId).serverProperties());
        config.put("default.replication.factor", String.valueOf(replicas));
        config.put("min.insync.replicas", minInSync);
        config.put("unclean.leader.election.enable", "false");
        config.put("offsets.topic.replication.factor", String.valueOf(replicas));
        config.put("transaction.state.log.replication.factor", String.valueOf(replicas));
        config.put("transaction.state.log.min.isr", minInSync);
        config.put("share.coordinator.state.topic.replication.factor", String.valueOf(replicas));
        config.put("share.coordinator.state.topic.min.isr", minInSync);
        config.put("group.initial.rebalance.delay.ms", "0");
        // Topics are created on purpose (LocalKafkaBroker#createClickTopics), never by a client's first use.
        config.put("auto.create.topics.enable", "false");
        // The log cleaner takes its dedupe buffer (128 MiB by default) from the heap in one piece as it starts: half of
        // DEFAULT_MAX_HEAP. A node restarted after SIGKILL under load starts it right after recovering its logs, and
        // once that ended in "OutOfMemoryError: Java heap space" (BrokerSigkillFaultIT). Here the cleaner only
        // compacts the small internal topics (__consumer_offsets): 32 MiB is plenty.
        config.put("log.cleaner.dedupe.buffer.size", String.valueOf(32 << 20));
        // forward slashes: a backslash is an escape character in .properties files
        config.put("log.dirs", nodeDir(nodeId).resolve("log").toString().replace('\\', '/'));
        config.putAll(new TreeMap<>(overrides));
        StringBuilder text = new StringBuilder("# written by LocalKafkaBroker at each start; edits are lost\n");
        config.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        return text.toString();
    }
}
