package io.github.clicklog.archetype.listeners;

import io.github.clicklog.archetype.ComposeProject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

/**
 * The broker services of docker-compose.broker.yml ({@code kafka}, or the nodes {@code kafka-1}..{@code kafka-3}
 * of a cluster), each started the way its image starts it, in the namespace that stands for its container.
 *
 * <p>Each service's environment (after .env substitution) goes unchanged to the converter the image runs,
 * {@code kafka.docker.KafkaDockerWrapper setup}, from kafka_2.13 of the image's Kafka version; the
 * server.properties it writes is what the broker starts with. One value is changed: the log directory,
 * a named volume in compose, points into this run's work directory.
 *
 * <p>ZooKeeper mode, honestly: the Confluent images (cp-kafka 7.9, Kafka 3.9) do not run
 * KafkaDockerWrapper; they have their own converter (/etc/confluent/docker/configure), which follows the
 * same naming rule (KAFKA_FOO_BAR becomes foo.bar). The wrapper of Kafka 3.9 stands in for it here: it
 * writes server.properties, then tries to format KRaft storage and fails for want of a CLUSTER_ID, which a
 * ZooKeeper-mode broker does not need; that one failure is expected. ZooKeeper runs in its own namespace,
 * from the ZooKeeper jars that Kafka 3.9 brings, configured from the zookeeper service's environment by the
 * cp-zookeeper rule (ZOOKEEPER_CLIENT_PORT becomes clientPort).
 */
final class ComposeBroker {

    static final String ZOOKEEPER_SERVICE = "zookeeper";
    private static final Pattern STARTED = Pattern.compile("Kafka Server started|\\[KafkaServer id=\\d+\\] started");
    private static final String NO_CLUSTER_ID = "CLUSTER_ID environment variable is not set";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    /** Whether the broker came up, and if not, why (the end of its log). */
    record Outcome(boolean started, String why) {
    }

    private ComposeBroker() {
    }

    static boolean zookeeperMode(Map<String, String> brokerEnvironment) {
        return !brokerEnvironment.containsKey("KAFKA_PROCESS_ROLES");
    }

    /**
     * The broker nodes of docker-compose.broker.yml, in file order: every service whose environment the
     * image's converter turns into a broker configuration ({@code kafka}, or {@code kafka-1}..{@code kafka-3}).
     */
    static List<String> nodes(ComposeProject compose) {
        Object services = compose.interpolated(ComposeProject.BROKER_FILE).get("services");
        List<String> nodes = new ArrayList<>();
        if (services instanceof Map<?, ?> all) {
            all.forEach((name, service) -> {
                if (service instanceof Map<?, ?> && ComposeProject.environment(cast(service))
                        .containsKey("KAFKA_ADVERTISED_LISTENERS")) {
                    nodes.add(String.valueOf(name));
                }
            });
        }
        if (nodes.isEmpty()) {
            throw new AssertionError(ComposeProject.BROKER_FILE + " has no broker service (none sets KAFKA_ADVERTISED_LISTENERS)");
        }
        return nodes;
    }

    /**
     * Converts and starts every node (and ZooKeeper first, in ZooKeeper mode), each in its own container
     * namespace; returns once every node logged that it started, or once it is clear that one will not.
     * The nodes of a KRaft cluster start together: none finishes starting before a quorum of controllers is up.
     */
    static Outcome start(ComposeProject compose, List<String> nodes, ComposeNetwork network, String classpath,
                         Path workDir) throws Exception {
        // The converters first, in parallel: each is a JVM that also formats the node's storage.
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size());
        Map<String, Future<String>> conversions = new LinkedHashMap<>();
        try {
            for (String node : nodes) {
                conversions.put(node, pool.submit(() -> convert(compose, node, network, classpath, workDir)));
            }
            for (Map.Entry<String, Future<String>> conversion : conversions.entrySet()) {
                String problem = conversion.getValue().get();
                if (problem != null) {
                    return new Outcome(false, conversion.getKey() + ": " + problem);
                }
            }
        } finally {
            pool.shutdownNow();
        }

        if (zookeeperMode(ComposeProject.environment(compose.service(ComposeProject.BROKER_FILE, nodes.get(0))))) {
            Outcome zookeeper = startZookeeper(compose, network, classpath, workDir);
            if (!zookeeper.started()) {
                return zookeeper;
            }
        }

        // C1 only: these brokers live for a minute and carry a few records; C2's compiler threads would compete
        // for the CPU with three brokers starting at once.
        Map<String, Process> brokers = new LinkedHashMap<>();
        for (String node : nodes) {
            brokers.put(node, network.start(node, List.of(java(), "-Xmx384m", "-Xms64m", "-XX:+UseSerialGC",
                            "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.showDateTime=true",
                            "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS", "-cp", classpath,
                            "kafka.Kafka", workDir.resolve(node + "-config/final/server.properties").toString()),
                    Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), workDir, log(workDir, node)));
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        List<String> waiting = new ArrayList<>(nodes);
        while (!waiting.isEmpty() && System.nanoTime() < deadline) {
            for (String node : List.copyOf(waiting)) {
                if (STARTED.matcher(Files.readString(log(workDir, node))).find()) {
                    waiting.remove(node);
                } else if (!brokers.get(node).isAlive()) {
                    return new Outcome(false, node + ": the broker exited with " + brokers.get(node).exitValue() + ":\n"
                            + tail(log(workDir, node)));
                }
            }
            Thread.sleep(200);
        }
        if (!waiting.isEmpty()) {
            return new Outcome(false, waiting + " did not log that they started within " + START_TIMEOUT.toSeconds()
                    + " s:\n" + tail(log(workDir, waiting.get(0))));
        }
        return new Outcome(true, "started");
    }

    static Path log(Path workDir, String node) {
        return workDir.resolve(node + ".log");
    }

    /**
     * The image's converter on one node's environment, exactly as the service gives it (after .env
     * substitution) but for the log directory; null when it worked, else why not.
     */
    private static String convert(ComposeProject compose, String node, ComposeNetwork network, String classpath,
                                  Path workDir) throws IOException, InterruptedException {
        Map<String, String> environment = ComposeProject.environment(compose.service(ComposeProject.BROKER_FILE, node));
        Path data = workDir.resolve(node + "-data");
        Path configs = workDir.resolve(node + "-config");
        for (String dir : List.of("default", "mounted", "final")) {
            Files.createDirectories(configs.resolve(dir));
        }
        Files.createDirectories(data);
        Map<String, String> converterEnvironment = new LinkedHashMap<>(environment);
        converterEnvironment.put("KAFKA_LOG_DIRS", data.toString());
        converterEnvironment.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));

        Path converterLog = workDir.resolve(node + "-docker-wrapper.log");
        int converted = network.run(node, List.of(java(), "-XX:TieredStopAtLevel=1", "-cp", classpath,
                        "kafka.docker.KafkaDockerWrapper", "setup",
                        "--default-configs-dir", configs.resolve("default").toString(),
                        "--mounted-configs-dir", configs.resolve("mounted").toString(),
                        "--final-configs-dir", configs.resolve("final").toString()),
                converterEnvironment, workDir, converterLog, Duration.ofSeconds(90));
        boolean expectedZookeeperFailure = zookeeperMode(environment) && converted == 1
                && Files.readString(converterLog).contains(NO_CLUSTER_ID);
        if ((converted != 0 && !expectedZookeeperFailure) || !Files.isRegularFile(configs.resolve("final/server.properties"))) {
            return "KafkaDockerWrapper setup exited with " + converted + ":\n" + tail(converterLog);
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object service) {
        return (Map<String, Object>) service;
    }

    private static Outcome startZookeeper(ComposeProject compose, ComposeNetwork network, String classpath,
                                          Path workDir) throws IOException, InterruptedException {
        Map<String, String> environment = ComposeProject.environment(
                compose.service(ComposeProject.BROKER_FILE, ZOOKEEPER_SERVICE));
        StringBuilder config = new StringBuilder();
        int clientPort = -1;
        for (Map.Entry<String, String> entry : environment.entrySet()) {
            if (entry.getKey().startsWith("ZOOKEEPER_")) {
                String key = camelCase(entry.getKey().substring("ZOOKEEPER_".length()));
                config.append(key).append('=').append(entry.getValue()).append('\n');
                if (key.equals("clientPort")) {
                    clientPort = Integer.parseInt(entry.getValue().trim());
                }
            }
        }
        if (clientPort < 0) {
            return new Outcome(false, "the zookeeper service sets no ZOOKEEPER_CLIENT_PORT");
        }
        // The two data volumes of the zookeeper service, in this run's work directory.
        Path data = Files.createDirectories(workDir.resolve("zookeeper-data"));
        Path dataLog = Files.createDirectories(workDir.resolve("zookeeper-log"));
        config.append("dataDir=").append(data).append('\n').append("dataLogDir=").append(dataLog).append('\n');
        Path file = workDir.resolve("zookeeper.properties");
        Files.writeString(file, config.toString());
        Path log = workDir.resolve("zookeeper.log");
        network.start(ZOOKEEPER_SERVICE, List.of(java(), "-Xmx128m", "-XX:+UseSerialGC", "-cp", classpath,
                        "org.apache.zookeeper.server.quorum.QuorumPeerMain", file.toString()),
                Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), workDir, log);
        if (!network.awaitPort(ZOOKEEPER_SERVICE, network.address(ZOOKEEPER_SERVICE), clientPort, Duration.ofSeconds(60))) {
            return new Outcome(false, "ZooKeeper did not accept connections on " + clientPort + ":\n" + tail(log));
        }
        return new Outcome(true, "started");
    }

    /** cp-zookeeper's rule: CLIENT_PORT becomes clientPort. */
    static String camelCase(String upperSnake) {
        StringBuilder key = new StringBuilder();
        for (String word : upperSnake.toLowerCase(Locale.ROOT).split("_")) {
            key.append(key.length() == 0 ? word : Character.toUpperCase(word.charAt(0)) + word.substring(1));
        }
        return key.toString();
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String tail(Path log) throws IOException {
        if (!Files.isRegularFile(log)) {
            return "(no log)";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
    }
}
