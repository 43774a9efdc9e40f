package ${package}.dev;

import ${package}.dev.process.ChildJvm;
import ${package}.shared.ClickTopic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real Kafka broker (the {@code kafka_2.13} jar of the compose image's version), each node in a child JVM in
 * KRaft combined mode (broker and controller), with the listener layout of {@code docker-compose.broker.yml}
 * ({@link BrokerListeners}): one node, or for a project generated with kafkaNodes=3 a cluster of three whose
 * controllers form the quorum, with the three-node file's replication settings ({@link BrokerSettings}).
 *
 * <p>Child processes, not an embedded broker, because the fault tests SIGKILL them ({@link #kill()}, or one node
 * with {@link #kill(int)}) and restart them on the same data, and their Scala and server classes never mix with
 * the apps that dev mode runs in its own JVM. A child ends itself when this JVM goes away, even after a SIGKILL
 * (see {@link ${package}.dev.process.ParentWatchedMain}).
 *
 * <p>Node n logs to {@link #logFile(int)}; failures to start quote the end of it.
 */
public final class LocalKafkaBroker implements AutoCloseable {

    /** The ports chosen when this project was generated, the same as in .env (those of node 1). */
    public static final int OUTSIDE_PORT = ${kafkaOutsidePort};
    public static final int INSIDE_PORT = ${kafkaInsidePort};
    public static final int CONTROLLER_PORT = ${kafkaControllerPort};
    /** The host the OUTSIDE listener advertises, the same as KAFKA_OUTSIDE_HOST in .env. */
    public static final String OUTSIDE_HOST = "${kafkaOutsideHost}";
    /** The broker's nodes, chosen when this project was generated (kafkaNodes): 1, or a KRaft cluster of 3. */
    public static final int NODES = ${kafkaNodes};
    /** Node n uses each generated port + this * (n - 1): KAFKA_OUTSIDE_PORT_2 and _3 in .env. */
    public static final int NODE_PORT_STEP = 100;
    /** Partitions of the click topic and of its dead-letter topic, the same as CLICK_TOPIC_PARTITIONS in .env. */
    public static final int CLICK_TOPIC_PARTITIONS = ${partitions};

    /** Kafka's controlled shutdown moves leadership and flushes; it needs longer than an app's flush. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final BrokerSettings settings;
    /** Node n's process at index n - 1; null until started. */
    private final ChildJvm[] processes;
    private String clusterId;
    private Duration lastStartDuration = Duration.ZERO;

    private LocalKafkaBroker(BrokerSettings settings) {
        this.settings = settings;
        this.processes = new ChildJvm[settings.nodes().size()];
    }

    /**
     * Formats the data directories that are new, starts every node and waits until each has joined the cluster
     * (all of them at once: a cluster's controllers need a majority of the quorum to start at all).
     *
     * @throws IllegalStateException if they are not ready within {@link BrokerSettings#startTimeout()}; the
     *         message holds the end of the log of the node that failed
     */
    public static LocalKafkaBroker start(BrokerSettings settings) throws IOException {
        LocalKafkaBroker broker = new LocalKafkaBroker(settings);
        broker.launchAndAwaitReady(broker.nodeIds());
        return broker;
    }

    /** The OUTSIDE addresses of every node, for clients on the host: what KAFKA_BOOTSTRAP_SERVERS would be. */
    public String bootstrapServers() {
        return nodeIds().stream().map(id -> settings.listeners(id).outsideAddress()).collect(Collectors.joining(","));
    }

    /** The INSIDE addresses as advertised (reachable where {@link BrokerListeners#insideHost()} resolves). */
    public String insideBootstrapServers() {
        return nodeIds().stream().map(id -> settings.listeners(id).insideAddress()).collect(Collectors.joining(","));
    }

    public BrokerSettings settings() {
        return settings;
    }

    /** The node ids: 1 to the number of nodes. */
    public List<Integer> nodeIds() {
        return IntStream.rangeClosed(1, processes.length).boxed().toList();
    }

    /** Node {@code nodeId}'s log. */
    public Path logFile(int nodeId) {
        return settings.nodeDir(nodeId).resolve("broker.log");
    }

    /** Every node's log, node 1 first. */
    public List<Path> logFiles() {
        return nodeIds().stream().map(this::logFile).toList();
    }

    /** Whether any node's process is alive: false after {@link #close()} or {@link #kill()}. */
    public synchronized boolean isRunning() {
        return nodeIds().stream().anyMatch(this::isRunning);
    }

    public synchronized boolean isRunning(int nodeId) {
        ChildJvm process = processes[nodeId - 1];
        return process != null && process.isAlive();
    }

    /** Node {@code nodeId}'s process id. */
    public synchronized long pid(int nodeId) {
        return started(nodeId).pid();
    }

    /** Every node's process id, node 1 first: a stall or a CPU measurement of "the broker" covers them all. */
    public synchronized List<Long> pids() {
        return nodeIds().stream().map(this::pid).toList();
    }

    /** From launching the child JVM(s) to the node(s) answering, for the last (re)start. */
    public synchronized Duration lastStartDuration() {
        return lastStartDuration;
    }

    /**
     * Creates the click topic and its dead-letter topic as the compose file's click-topics service does:
     * {@link #CLICK_TOPIC_PARTITIONS} partitions, a replica on every node. Topics that exist are left as they are.
     */
    public void createClickTopics(String clickTopic) {
        createTopics(CLICK_TOPIC_PARTITIONS, settings.replicationFactor(), clickTopic, ClickTopic.deadLetter(clickTopic));
    }

    /** Creates topics; topics that exist already are left as they are. */
    public void createTopics(int partitions, int replicationFactor, String... topics) {
        try (Admin admin = Admin.create(adminProperties())) {
            List<NewTopic> newTopics = Arrays.stream(topics)
                    .map(t -> new NewTopic(t, partitions, (short) replicationFactor)).toList();
            for (var result : admin.createTopics(newTopics).values().entrySet()) {
                try {
                    result.getValue().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("could not create topic " + result.getKey() + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("creating topics took more than 30 s; see " + logFiles(), e);
        }
    }

    /** The node that leads {@code partition} now, or empty if none does (or the topic does not exist). */
    public OptionalInt leaderOf(TopicPartition partition) {
        try (Admin admin = Admin.create(adminProperties())) {
            TopicDescription topic = admin.describeTopics(List.of(partition.topic())).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(partition.topic());
            return topic.partitions().stream().filter(p -> p.partition() == partition.partition())
                    .filter(p -> p.leader() != null && !p.leader().isEmpty())
                    .mapToInt(p -> p.leader().id()).findFirst();
        } catch (ExecutionException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking for the leader of " + partition, e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("no answer about " + partition + " within 30 s", e);
        }
    }

    /** The node whose controller leads the KRaft quorum (the active controller). */
    public int activeController() {
        try (Admin admin = Admin.create(adminProperties())) {
            return admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not ask for the active controller: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking for the active controller", e);
        }
    }

    /**
     * SIGTERM to every node at once, then up to 30 s for Kafka's controlled shutdown, then SIGKILL. At once: a
     * cluster's last node stopping alone would wait for a quorum that is gone. Does nothing if stopped.
     */
    public synchronized void stop() {
        for (ChildJvm process : processes) {
            if (process != null && process.isAlive()) {
                process.sigterm();
            }
        }
        for (ChildJvm process : processes) {
            if (process != null) {
                process.stop(STOP_TIMEOUT);
            }
        }
    }

    /** SIGKILL to every node, as a crash would: no controlled shutdown, no flush. Waits until they are gone. */
    public synchronized void kill() {
        nodeIds().forEach(this::kill);
    }

    /** SIGKILL to node {@code nodeId} only. Waits until it is gone. */
    public synchronized void kill(int nodeId) {
        started(nodeId).sigkill();
    }

    /**
     * Starts every node again on the same data directories and ports (stopping them first if they run), and
     * waits until they answer. After {@link #kill()} this includes Kafka's log recovery.
     */
    public synchronized void restart() throws IOException {
        stop();
        launchAndAwaitReady(nodeIds());
    }

    /**
     * Starts node {@code nodeId} again on its data (stopping it first if it runs) and waits until it is back in
     * the cluster.
     */
    public synchronized void restart(int nodeId) throws IOException {
        started(nodeId).stop(STOP_TIMEOUT);
        launchAndAwaitReady(List.of(nodeId));
    }

    @Override
    public void close() {
        stop();
    }

    /** The last lines of node {@code nodeId}'s log, for error messages. */
    public String logTail(int nodeId, int lines) {
        ChildJvm process = processes[nodeId - 1];
        return process == null ? "(node " + nodeId + " was never started)" : process.logTail(lines);
    }

    /**
     * {@code count} distinct ports nobody listens on right now and none of {@code taken}, for tests that choose
     * several before anything listens on them. Each socket stays open until all are chosen: asked one at a time,
     * with each socket closed before the next ask, the system may hand out one port twice.
     */
    public static List<Integer> freePorts(int count, Collection<Integer> taken) {
        List<ServerSocket> held = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        try {
            for (int tries = 0; ports.size() < count; tries++) {
                if (tries > 100 * count) {
                    throw new IllegalStateException("no " + count + " free local ports apart from " + taken);
                }
                ServerSocket socket = new ServerSocket(0);
                held.add(socket);
                if (!taken.contains(socket.getLocalPort())) {
                    ports.add(socket.getLocalPort());
                }
            }
            return List.copyOf(ports);
        } catch (IOException e) {
            throw new UncheckedIOException("no free local port", e);
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // only ever bound, never accepted on: nothing to lose
                }
            }
        }
    }

    /** A port nobody listens on right now, for tests; {@link #freePorts} when choosing several at once. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free local port", e);
        }
    }

    private synchronized void launchAndAwaitReady(List<Integer> nodes) throws IOException {
        Instant started = Instant.now();
        if (clusterId == null) {
            clusterId = clusterId();
        }
        for (int nodeId : nodes) {
            processes[nodeId - 1] = launch(nodeId);
        }
        awaitReady(nodes, started.plus(settings.startTimeout()));
        lastStartDuration = Duration.between(started, Instant.now());
    }

    private ChildJvm launch(int nodeId) throws IOException {
        Path nodeDir = settings.nodeDir(nodeId);
        Files.createDirectories(nodeDir);
        Path serverProperties = nodeDir.resolve("server.properties");
        Files.writeString(serverProperties, settings.serverProperties(nodeId));
        return ChildJvm.of(processes.length == 1 ? "Kafka broker" : "Kafka node " + nodeId,
                        BrokerProcessMain.class.getName())
                .arguments(serverProperties.toString(), clusterId)
                .jvmOptions(List.of("-Xmx" + settings.maxHeap(), "-XX:+ExitOnOutOfMemoryError",
                        "-Djava.awt.headless=true",
                        // slf4j-simple writes to stderr, which goes to broker.log; these beat simplelogger.properties
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                        "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info",
                        "-Dorg.slf4j.simpleLogger.showDateTime=true",
                        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss.SSS"))
                .log(logFile(nodeId))
                .start();
    }

    /**
     * The id the data directories were formatted with, or a new one for new directories: formatting checks it
     * even with --ignore-formatted, so a second run on the same data must pass the same id, and every node of a
     * cluster must have the same.
     */
    private String clusterId() throws IOException {
        for (int nodeId : nodeIds()) {
            Path meta = settings.nodeDir(nodeId).resolve("log").resolve("meta.properties");
            if (Files.exists(meta)) {
                Properties properties = new Properties();
                try (InputStream in = Files.newInputStream(meta)) {
                    properties.load(in);
                }
                String id = properties.getProperty("cluster.id");
                if (id != null && !id.isBlank()) {
                    return id.trim();
                }
            }
        }
        return Uuid.randomUuid().toString();
    }

    /**
     * First each node's OUTSIDE port opens (checked quietly), then the cluster's metadata must list every one of
     * {@code nodes} as a live broker.
     */
    private void awaitReady(List<Integer> nodes, Instant deadline) {
        for (int nodeId : nodes) {
            BrokerListeners listeners = settings.listeners(nodeId);
            while (!canConnect(listeners.outsideHost(), listeners.outsidePort())) {
                failIfExited(nodes);
                failIfPast(nodes, deadline, "the OUTSIDE port " + listeners.outsideAddress() + " of node " + nodeId
                        + " did not open");
                pause(100);
            }
        }
        Object lastAnswer = "no answer yet";
        try (Admin admin = Admin.create(adminProperties())) {
            while (true) {
                failIfExited(nodes);
                try {
                    Set<Integer> live = admin.describeCluster(new DescribeClusterOptions().timeoutMs(2_000)).nodes()
                            .get().stream().map(Node::id).collect(Collectors.toSet());
                    if (live.containsAll(nodes)) {
                        return;
                    }
                    lastAnswer = "live nodes " + new TreeSet<>(live);
                } catch (ExecutionException e) {
                    lastAnswer = e.getCause();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the broker", e);
                }
                failIfPast(nodes, deadline, "node(s) " + nodes + " did not join the cluster over OUTSIDE ("
                        + bootstrapServers() + "; " + lastAnswer + ")");
                pause(100);
            }
        }
    }

    private void failIfExited(List<Integer> nodes) {
        for (int nodeId : nodes) {
            ChildJvm process = processes[nodeId - 1];
            if (!process.isAlive()) {
                throw new IllegalStateException("Kafka node " + nodeId + " exited with code " + process.exitCode()
                        + " while starting. Last lines of " + logFile(nodeId) + ":" + System.lineSeparator()
                        + logTail(nodeId, 30));
            }
        }
    }

    private void failIfPast(List<Integer> nodes, Instant deadline, String what) {
        if (Instant.now().isAfter(deadline)) {
            nodes.forEach(nodeId -> processes[nodeId - 1].sigkill());
            int first = nodes.get(0);
            throw new IllegalStateException("the Kafka broker was not ready within "
                    + settings.startTimeout().toSeconds() + " s: " + what + ". Last lines of " + logFile(first) + ":"
                    + System.lineSeparator() + logTail(first, 30));
        }
    }

    private static boolean canConnect(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Properties adminProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "local-kafka-broker");
        // short timeouts: a broker that does not answer is an error to report, not a reason to hang
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return props;
    }

    private ChildJvm started(int nodeId) {
        if (nodeId < 1 || nodeId > processes.length) {
            throw new IllegalArgumentException("no node " + nodeId + ": the nodes are " + nodeIds());
        }
        ChildJvm process = processes[nodeId - 1];
        if (process == null) {
            throw new IllegalStateException("node " + nodeId + " was never started");
        }
        return process;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
    }
}
