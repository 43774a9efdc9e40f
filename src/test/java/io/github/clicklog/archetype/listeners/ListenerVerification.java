package io.github.clicklog.archetype.listeners;

import io.github.clicklog.archetype.ComposeProject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Proves a generated project's compose files on a real broker from both sides of the network, without
 * Docker (issue 4; the three-node cluster, issue 12): the compose files as compose reads them, the image's own
 * config converter, each broker node a real broker in a namespace standing for its container, the click-topics
 * service run as compose runs it, the apps' containers in another namespace, each node's OUTSIDE port
 * published like Docker publishes it, and real clients with short timeouts that write to and read from every
 * partition, so every node's advertised addresses are used. Then the same with each {@link BrokenVariant} of
 * the compose file, which must fail, and the listener doctor from both vantage points, which must name the fix.
 *
 * <p>Needs root, iproute2 and socat. Without them it skips with the reason; with {@code CI=true} a skip is a
 * failure. Everything it starts or creates is removed at the end, also after a failure.
 */
public final class ListenerVerification {

    private static final String APPS = "apps";
    /** The topic of the verification's own probes; the click topic is left to the apps. */
    private static final String PROBE_TOPIC = "listener-verification";
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(50);
    private static final Duration DOCTOR_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLICK_TIMEOUT = Duration.ofSeconds(45);
    private static final Pattern EVENT = Pattern.compile("(?m)^EVENT (\\d+) (\\S+)$");
    private static final Pattern LEADERS = Pattern.compile("(?m)^LEADERS (.*)$");

    private final Path project;
    private final String javaPackage;
    private final Path workDir;
    private final ComposeProject compose;
    private final String brokerClasspath;
    private final String probeClasspath;
    private final Layout layout;
    private final List<String> report = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    /**
     * The listener values of the generated .env and broker file: what every expectation below is written in.
     * A single broker is the node {@code kafka} with KAFKA_OUTSIDE_PORT; the nodes of a cluster, {@code kafka-n}
     * with KAFKA_OUTSIDE_PORT_n.
     */
    record Layout(String outsideHost, List<Node> nodes, int insidePort, String insideBootstrap, String topic,
                  int partitions, int replicas) {

        record Node(String service, int outsidePort) {
        }

        static Layout of(ComposeProject compose) {
            Map<String, String> env = compose.env();
            List<String> services = ComposeBroker.nodes(compose);
            List<Node> nodes = new ArrayList<>();
            for (int n = 1; n <= services.size(); n++) {
                String port = services.size() == 1 ? env.get("KAFKA_OUTSIDE_PORT") : env.get("KAFKA_OUTSIDE_PORT_" + n);
                if (port == null) {
                    throw new AssertionError(".env has no OUTSIDE port for " + services.get(n - 1));
                }
                nodes.add(new Node(services.get(n - 1), Integer.parseInt(port)));
            }
            int insidePort = Integer.parseInt(env.get("KAFKA_INSIDE_PORT"));
            String insideBootstrap = env.getOrDefault("KAFKA_INSIDE_BOOTSTRAP_SERVERS", String.join(",",
                    services.stream().map(service -> service + ":" + insidePort).toList()));
            return new Layout(env.get("KAFKA_OUTSIDE_HOST"), List.copyOf(nodes), insidePort, insideBootstrap,
                    env.get("CLICK_TOPIC"), Integer.parseInt(env.getOrDefault("CLICK_TOPIC_PARTITIONS", "1")),
                    Integer.parseInt(env.getOrDefault("CLICK_TOPIC_REPLICAS", "1")));
        }

        /** Every node's OUTSIDE address: the bootstrap list of a client on the host. */
        String outside() {
            return String.join(",", nodes.stream().map(this::outside).toList());
        }

        String outside(Node node) {
            return outsideHost + ":" + node.outsidePort();
        }

        /** Every node's INSIDE address: the bootstrap list of the apps' containers. */
        String inside() {
            return insideBootstrap;
        }

        Node first() {
            return nodes.get(0);
        }

        boolean cluster() {
            return nodes.size() > 1;
        }

        @Override
        public String toString() {
            return nodes.size() + (cluster() ? " nodes" : " node") + ", OUTSIDE " + outside() + ", INSIDE " + inside()
                    + ", topic " + topic + " (" + partitions + " partitions, " + replicas + (replicas == 1 ? " replica)" : " replicas)");
        }
    }

    private ListenerVerification(Path project, String javaPackage, Path workDir, String brokerClasspath) {
        this.project = project;
        this.javaPackage = javaPackage;
        this.workDir = workDir;
        this.compose = new ComposeProject(project);
        this.brokerClasspath = brokerClasspath;
        this.probeClasspath = brokerClasspath + ":" + codeSource(ClientProbe.class);
        this.layout = Layout.of(compose);
    }

    /**
     * Runs the whole verification on a generated and built project ({@code mvn package} done) and throws an
     * AssertionError listing every failure. The report also goes to {@code workDir/report.txt}.
     *
     * @param javaPackage    the generated project's package (the doctor is {@code <package>.doctor.ListenerDoctor})
     * @param brokenVariants whether to run the broken variants too
     */
    public static void verify(Path project, String javaPackage, Versions versions, Path workDir, boolean brokenVariants)
            throws Exception {
        String whyNot = cannotRunHere();
        if (whyNot != null) {
            String message = "listener verification of " + project + " SKIPPED: " + whyNot;
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(message + ". In CI (CI=true) a skip is a failure: .ci/run must run"
                        + " the build as root with iproute2 and socat installed.");
            }
            System.out.println("\n" + "!".repeat(100) + "\n!! " + message + "\n" + "!".repeat(100) + "\n");
            return;
        }
        ComposeNetwork.deleteTree(workDir);
        Files.createDirectories(workDir);
        long start = System.nanoTime();
        ComposeProject generated = new ComposeProject(project);
        Map<String, String> kafkaEnvironment = ComposeProject.environment(
                generated.service(ComposeProject.BROKER_FILE, ComposeBroker.nodes(generated).get(0)));
        String kafkaVersion = ComposeBroker.zookeeperMode(kafkaEnvironment) ? versions.kafkaZookeeperMode() : versions.kafka();
        String classpath = BrokerClasspath.resolve(kafkaVersion, versions, workDir);

        ListenerVerification verification = new ListenerVerification(project, javaPackage, workDir, classpath);
        verification.say("Listener verification of " + project + " ("
                + (ComposeBroker.zookeeperMode(kafkaEnvironment) ? "ZooKeeper mode" : "KRaft") + ", broker and converter"
                + " from kafka_2.13 " + kafkaVersion + "; " + verification.layout + ")");
        verification.checkImageVersion(kafkaVersion, ComposeBroker.zookeeperMode(kafkaEnvironment));
        verification.scenario(null);
        if (brokenVariants) {
            for (BrokenVariant variant : BrokenVariant.forNodes(verification.layout.nodes().size())) {
                verification.scenario(variant);
            }
        }
        verification.say(String.format("Run time: %.0f s", (System.nanoTime() - start) / 1e9));
        Files.writeString(workDir.resolve("report.txt"), String.join("\n", verification.report) + "\n");
        if (!verification.failures.isEmpty()) {
            throw new AssertionError("listener verification of " + project + " failed:\n  - "
                    + String.join("\n  - ", verification.failures) + "\n\nReport:\n" + String.join("\n", verification.report));
        }
    }

    /** Null when this machine can run the verification, else the reason it cannot. */
    static String cannotRunHere() {
        try {
            if (!"0".equals(run("id", "-u").strip())) {
                return "network namespaces need root";
            }
            for (String tool : List.of("ip", "socat")) {
                if (run("sh", "-c", "command -v " + tool).isBlank()) {
                    return tool + " is not installed (apt-get install iproute2 socat)";
                }
            }
            run("ip", "netns", "list");
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static String run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0 && !command[0].equals("sh")) {
                throw new IOException(String.join(" ", command) + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return output;
    }

    /** The broker run here must be the image's Kafka: apache/kafka:&lt;version&gt; is that version. */
    private void checkImageVersion(String kafkaVersion, boolean zookeeperMode) {
        String image = compose.env().get("KAFKA_IMAGE");
        if (!zookeeperMode && !image.endsWith(":" + kafkaVersion)) {
            fail("the image " + image + " is not Kafka " + kafkaVersion + ", which this verification runs");
        }
        if (zookeeperMode && !kafkaVersion.startsWith("3.9.")) {
            fail("ZooKeeper mode needs Kafka 3.9.x (the Confluent 7.9 images' line), not " + kafkaVersion);
        }
    }

    /** One start of the broker nodes with the generated compose file (variant null) or a broken copy of it. */
    private void scenario(BrokenVariant variant) throws Exception {
        String name = variant == null ? "good" : variant.name().toLowerCase().replace('_', '-');
        Path dir = Files.createDirectories(workDir.resolve(name));
        int otherPort = freePort();
        String composeText = Files.readString(project.resolve(ComposeProject.BROKER_FILE));
        Files.writeString(dir.resolve(ComposeProject.BROKER_FILE), variant == null ? composeText : variant.applyTo(composeText, otherPort));
        Files.copy(project.resolve(".env"), dir.resolve(".env"));
        ComposeProject copy = new ComposeProject(dir);
        say("");
        say(variant == null ? "== the generated compose files" : "== broken: " + variant.description);

        // One container per node, answering to its service name (and host name); ZooKeeper's; the apps'; and
        // the one-shot click-topics service's. Compose's DNS answers every service name on the network.
        List<String> nodes = ComposeBroker.nodes(copy);
        Map<String, List<String>> containers = new LinkedHashMap<>();
        for (String node : nodes) {
            Object hostname = copy.service(ComposeProject.BROKER_FILE, node).get("hostname");
            containers.put(node, hostname == null || hostname.equals(node) ? List.of(node) : List.of(node, String.valueOf(hostname)));
        }
        boolean zookeeperMode = ComposeBroker.zookeeperMode(
                ComposeProject.environment(copy.service(ComposeProject.BROKER_FILE, nodes.get(0))));
        if (zookeeperMode) {
            containers.put(ComposeBroker.ZOOKEEPER_SERVICE, List.of(ComposeBroker.ZOOKEEPER_SERVICE));
        }
        containers.put(APPS, List.of("web", "consumer"));
        containers.put(ComposeTopics.SERVICE, List.of(ComposeTopics.SERVICE));
        long start = System.nanoTime();
        try (ComposeNetwork network = ComposeNetwork.create(containers, dir)) {
            for (String node : nodes) {
                Object ports = copy.service(ComposeProject.BROKER_FILE, node).get("ports");
                List<?> entries = ports instanceof List<?> list ? list : List.of();
                if (entries.isEmpty()) {
                    say("  " + node + " publishes no port");
                }
                for (Object entry : entries) {
                    int[] mapping = portMapping(String.valueOf(entry));
                    requireFreeHostPort(mapping[0]);
                    network.publish(node, mapping[0], mapping[1]);
                    say("  published 127.0.0.1:" + mapping[0] + " -> " + node + "'s address, port " + mapping[1] + " (" + entry + ")");
                }
            }
            ComposeBroker.Outcome broker = ComposeBroker.start(copy, nodes, network, brokerClasspath, dir);
            say(String.format("  %s: %s after %.1f s", nodes.size() == 1 ? "broker" : String.join(", ", nodes),
                    broker.started() ? "started" : "did not start", (System.nanoTime() - start) / 1e9));
            if (!broker.started()) {
                say("    " + broker.why().replace("\n", "\n    "));
            }
            convertedSettings(nodes, dir);
            if (variant == null && !broker.started()) {
                fail("the broker of the generated compose file did not start: " + broker.why());
                return;
            }
            if (broker.started()) {
                topics(variant, copy, network, nodes, dir);
            }

            Map<Check, String[]> results = clientChecks(network, nodes, dir);
            if (variant == null) {
                results.forEach((check, result) -> {
                    if (Check.Result.ofExitStatus(Integer.parseInt(result[0])) != check.whenCorrect) {
                        fail(check.label() + ": " + Check.Result.ofExitStatus(Integer.parseInt(result[0]))
                                + ", expected " + check.whenCorrect);
                    }
                });
                if (layout.cluster()) {
                    leadersSpread("the probes' topic " + PROBE_TOPIC + " (as the host's client saw it)",
                            leaders(results.get(Check.HOST_OUTSIDE)[2]));
                }
                clicksEndToEnd(network, dir);
            } else {
                Map<Check, Check.Result> outcome = new EnumMap<>(Check.class);
                results.forEach((check, result) -> outcome.put(check, Check.Result.ofExitStatus(Integer.parseInt(result[0]))));
                boolean caught = outcome.entrySet().stream().anyMatch(e -> e.getValue() != e.getKey().whenCorrect);
                if (!caught) {
                    fail(variant + ": every check passed, the broken compose file went unnoticed");
                } else if (outcome.get(variant.caughtBy) == variant.caughtBy.whenCorrect) {
                    fail(variant + ": " + variant.caughtBy.label() + " should have caught it but gave "
                            + outcome.get(variant.caughtBy));
                }
                say("  => the check fails, as it must: " + (caught ? "yes" : "NO"));
            }
            doctor(variant, network, dir, otherPort);
        }
    }

    /** What the image's converter made of each node's environment: the listener lines of its server.properties. */
    private void convertedSettings(List<String> nodes, Path dir) throws IOException {
        for (String node : nodes) {
            Path file = dir.resolve(node + "-config/final/server.properties");
            if (!Files.isRegularFile(file)) {
                continue;
            }
            java.util.Properties settings = new java.util.Properties();
            try (var reader = Files.newBufferedReader(file)) {
                settings.load(reader);
            }
            StringBuilder line = new StringBuilder("  " + node + " (server.properties):");
            for (String key : List.of("node.id", "broker.id", "listeners", "advertised.listeners",
                    "listener.security.protocol.map")) {
                if (settings.getProperty(key) != null) {
                    line.append(' ').append(key).append('=').append(settings.getProperty(key));
                }
            }
            say(line.toString());
            if (node.equals(nodes.get(nodes.size() - 1)) && settings.getProperty("controller.quorum.voters") != null) {
                say("    controller.quorum.voters=" + settings.getProperty("controller.quorum.voters"));
            }
        }
    }

    /**
     * The click-topics service as compose runs it once every node is healthy, and the probes' topic. For the
     * generated files the service must work and, on a cluster, give every node the leadership of a partition.
     */
    private void topics(BrokenVariant variant, ComposeProject copy, ComposeNetwork network, List<String> nodes, Path dir)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<ComposeTopics.Outcome> service = pool.submit(() -> ComposeTopics.runService(copy, network, brokerClasspath, dir));
            // The probes write to every partition: at least one per node, so that every node leads one.
            Future<ComposeTopics.Outcome> probeTopic = pool.submit(() -> ComposeTopics.create(network, nodes.get(0),
                    layout.insidePort(), PROBE_TOPIC, Math.max(layout.partitions(), nodes.size()), layout.replicas(),
                    brokerClasspath, dir));
            ComposeTopics.Outcome clickTopics = service.get();
            String leaders = clickTopics.leaders().entrySet().stream().map(e -> e.getKey() + "->" + e.getValue())
                    .reduce((a, b) -> a + " " + b).orElse("none");
            say("  " + ComposeTopics.SERVICE + ": exit " + clickTopics.exitStatus() + "; " + layout.topic()
                    + " partition->leader: " + leaders);
            if (!clickTopics.worked()) {
                say("    " + abbreviate(clickTopics.output().strip()));
                if (variant == null) {
                    fail("the " + ComposeTopics.SERVICE + " service failed (exit " + clickTopics.exitStatus() + "):\n"
                            + clickTopics.output());
                }
            } else if (variant == null && layout.cluster()) {
                leadersSpread("the click topic " + layout.topic() + " (created by " + ComposeTopics.SERVICE + ")",
                        clickTopics.leaders());
            }
            ComposeTopics.Outcome probes = probeTopic.get();
            if (!probes.worked()) {
                // the exit status too: once (CI run at 2ddbc9e) this failed with no output at all
                fail("could not create the probes' topic " + PROBE_TOPIC + " from inside " + nodes.get(0) + " (exit "
                        + probes.exitStatus() + "):\n" + probes.output());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Each node leads at least one partition: a client that writes to every partition then talks to every node. */
    private void leadersSpread(String what, Map<Integer, Integer> leaders) {
        java.util.Set<Integer> distinct = new java.util.TreeSet<>(leaders.values());
        say("  leaders of " + what + ": " + leaders + (distinct.size() == layout.nodes().size() ? ", every node leads one" : ""));
        if (distinct.size() != layout.nodes().size()) {
            fail("the leaders of " + what + " are " + leaders + ": not every one of the " + layout.nodes().size()
                    + " nodes leads a partition, so the checks would not reach every node");
        }
    }

    private static Map<Integer, Integer> leaders(String probeOutput) {
        Map<Integer, Integer> leaders = new java.util.TreeMap<>();
        Matcher line = LEADERS.matcher(probeOutput);
        if (line.find()) {
            for (String pair : line.group(1).split(",")) {
                String[] parts = pair.split("=");
                if (parts.length == 2 && parts[1].matches("-?\\d+")) {
                    leaders.put(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
                }
            }
        }
        return leaders;
    }

    /** The four client checks, in parallel: each is a child JVM with a real producer and consumer. */
    private Map<Check, String[]> clientChecks(ComposeNetwork network, List<String> nodes, Path dir) throws Exception {
        Map<Check, String> bootstrap = new EnumMap<>(Check.class);
        bootstrap.put(Check.HOST_OUTSIDE, layout.outside());
        bootstrap.put(Check.CONTAINER_INSIDE, layout.inside());
        bootstrap.put(Check.CONTAINER_LOCALHOST, "localhost:" + layout.first().outsidePort());
        bootstrap.put(Check.CONTAINER_KAFKA_OUTSIDE, nodes.get(0) + ":" + layout.first().outsidePort());
        Map<Check, Future<String[]>> running = new EnumMap<>(Check.class);
        ExecutorService pool = Executors.newFixedThreadPool(Check.values().length);
        try {
            bootstrap.forEach((check, address) -> running.put(check, pool.submit(() ->
                    probe(network, check.side.equals("host") ? null : APPS, address, dir))));
            Map<Check, String[]> results = new EnumMap<>(Check.class);
            for (Map.Entry<Check, Future<String[]>> entry : running.entrySet()) {
                String[] outcome = entry.getValue().get();
                results.put(entry.getKey(), outcome);
                say(String.format("  %-9s -> %-45s %-22s %s", entry.getKey().side, bootstrap.get(entry.getKey()),
                        Check.Result.ofExitStatus(Integer.parseInt(outcome[0])), outcome[1]));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Exit status, the probe's last line (with what was advertised), and its whole output. */
    private String[] probe(ComposeNetwork network, String container, String bootstrap, Path dir) throws Exception {
        Path log = dir.resolve("probe-" + (container == null ? "host" : container) + "-"
                + bootstrap.split(",")[0].replace(':', '-') + ".log");
        int status = network.run(container, List.of(ComposeBroker.java(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", probeClasspath,
                        ClientProbe.class.getName(), "roundtrip", bootstrap, PROBE_TOPIC),
                Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), dir, log, PROBE_TIMEOUT);
        String output = Files.readString(log);
        List<String> lines = output.lines()
                .filter(line -> line.matches("^(OK|ADVERTISED|BOOTSTRAP_FAILED|PRODUCE_FAILED|CONSUME_FAILED) .*")).toList();
        String advertised = lines.stream().filter(l -> l.startsWith("ADVERTISED ")).findFirst()
                .map(l -> "(advertises " + l.substring("ADVERTISED ".length()) + ") ").orElse("");
        String last = lines.isEmpty() ? "(no result, see " + log + ")" : lines.get(lines.size() - 1);
        return new String[] {String.valueOf(status), advertised + abbreviate(last), output};
    }

    /**
     * The generated web producer and consumer carry a click end to end: first in the apps' container
     * namespace with the environment docker-compose.yml gives them, then on the host with none (the dev case).
     */
    private void clicksEndToEnd(ComposeNetwork network, Path dir) throws Exception {
        Path web = project.resolve("web/target");
        Path consumer = project.resolve("consumer/target");
        if (!Files.isRegularFile(web.resolve("web.jar")) || !Files.isRegularFile(consumer.resolve("consumer.jar"))) {
            fail("web/target/web.jar or consumer/target/consumer.jar is missing: build the generated project first");
            return;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");

        // In containers: the environment of docker-compose.yml; the /data volume is a directory of this run.
        Path volume = Files.createDirectories(dir.resolve("click-data-volume"));
        Map<String, String> webEnvironment = appEnvironment("web", path, volume);
        Map<String, String> consumerEnvironment = appEnvironment("consumer", path, volume);
        int webPort = Integer.parseInt(webEnvironment.get("WEB_PORT"));
        Process webApp = network.start(APPS, List.of(ComposeBroker.java(), "-Xmx256m", "-jar", "web.jar"),
                webEnvironment, web, dir.resolve("web-container.log"));
        Process consumerApp = network.start(APPS, List.of(ComposeBroker.java(), "-Xmx256m", "-jar", "consumer.jar"),
                consumerEnvironment, consumer, dir.resolve("consumer-container.log"));
        try {
            click("apps in containers (" + ComposeProject.APP_FILE + " environment: KAFKA_BOOTSTRAP_SERVERS="
                            + webEnvironment.get("KAFKA_BOOTSTRAP_SERVERS") + ")",
                    network, APPS, "http://web:" + webPort + "/api/clicks", volume, dir);
        } finally {
            ComposeNetwork.stopGracefully(webApp);
            ComposeNetwork.stopGracefully(consumerApp);
        }

        // On the host, no environment at all: the apps fall back to the OUTSIDE listener. Only the web port
        // is set if the generated one is taken on this machine, and the consumer's data lands in its
        // working directory, as in dev.
        Map<String, String> hostEnvironment = new LinkedHashMap<>();
        hostEnvironment.put("PATH", path);
        Path hostData = Files.createDirectories(dir.resolve("host-consumer"));
        Map<String, String> hostWebEnvironment = new LinkedHashMap<>(hostEnvironment);
        int hostWebPort = webPort;
        if (!portFree(webPort)) {
            hostWebPort = freePort();
            hostWebEnvironment.put("WEB_PORT", String.valueOf(hostWebPort));
            say("  (port " + webPort + " is taken on this machine: the host's web producer gets WEB_PORT=" + hostWebPort + ")");
        }
        int managementPort = Integer.parseInt(webEnvironment.get("WEB_MANAGEMENT_PORT"));
        if (!portFree(managementPort)) {
            int hostManagementPort = freePort();
            hostWebEnvironment.put("WEB_MANAGEMENT_PORT", String.valueOf(hostManagementPort));
            say("  (port " + managementPort + " is taken on this machine: the host's web producer gets WEB_MANAGEMENT_PORT="
                    + hostManagementPort + ")");
        }
        Map<String, String> hostConsumerEnvironment = new LinkedHashMap<>(hostEnvironment);
        int consumerPort = Integer.parseInt(consumerEnvironment.get("CONSUMER_PORT"));
        if (!portFree(consumerPort)) {
            int hostConsumerPort = freePort();
            hostConsumerEnvironment.put("CONSUMER_PORT", String.valueOf(hostConsumerPort));
            say("  (port " + consumerPort + " is taken on this machine: the host's consumer gets CONSUMER_PORT="
                    + hostConsumerPort + ")");
        }
        webApp = network.start(null, List.of(ComposeBroker.java(), "-Xmx256m", "-jar", web.resolve("web.jar").toString()),
                hostWebEnvironment, dir, dir.resolve("web-host.log"));
        consumerApp = network.start(null, List.of(ComposeBroker.java(), "-Xmx256m", "-jar", consumer.resolve("consumer.jar").toString()),
                hostConsumerEnvironment, hostData, dir.resolve("consumer-host.log"));
        try {
            click("apps on the host (no KAFKA_BOOTSTRAP_SERVERS)", network, null,
                    "http://localhost:" + hostWebPort + "/api/clicks", hostData, dir);
        } finally {
            ComposeNetwork.stopGracefully(webApp);
            ComposeNetwork.stopGracefully(consumerApp);
        }
    }

    private Map<String, String> appEnvironment(String service, String path, Path volume) {
        Map<String, String> environment = new LinkedHashMap<>(
                ComposeProject.environment(compose.service(ComposeProject.APP_FILE, service)));
        environment.replaceAll((name, value) -> name.equals("CLICK_DATA_DIR") ? volume.toString() : value);
        environment.put("PATH", path);
        return environment;
    }

    /**
     * POSTs one click per partition of the click topic (a user for each, so every partition's leader is
     * written to), each until the web producer answers 202, then waits for every eventId in the consumer's
     * file of that partition.
     */
    private void click(String what, ComposeNetwork network, String container, String url, Path dataDir, Path dir)
            throws Exception {
        long start = System.nanoTime();
        Path log = dir.resolve("clicks-" + (container == null ? "host" : container) + ".log");
        int status = network.run(container, List.of(ComposeBroker.java(), "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                        probeClasspath, ClientProbe.class.getName(), "clicks", url, String.valueOf(layout.partitions()),
                        String.valueOf(CLICK_TIMEOUT.toSeconds())),
                Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), dir, log,
                CLICK_TIMEOUT.plusSeconds(20));
        String output = Files.readString(log);
        Map<Integer, String> events = new java.util.TreeMap<>();
        Matcher event = EVENT.matcher(output);
        while (event.find()) {
            events.put(Integer.parseInt(event.group(1)), event.group(2));
        }
        if (status != 0 || events.size() < layout.partitions()) {
            fail(what + ": the web producer did not answer 202 for a click on every one of the " + layout.partitions()
                    + " partitions within " + CLICK_TIMEOUT.toSeconds() + " s: " + abbreviate(output.strip()));
            return;
        }
        long deadline = System.nanoTime() + CLICK_TIMEOUT.toNanos();
        Map<Integer, String> waiting = new java.util.TreeMap<>(events);
        while (!waiting.isEmpty() && System.nanoTime() < deadline) {
            // the files of partition p: <topic>/dt=.../hour=.../<topic>-<p>-<first offset>.jsonl
            waiting.entrySet().removeIf(e -> fileContains(dataDir, Pattern.compile(Pattern.quote(layout.topic() + "-"
                    + e.getKey() + "-") + "[0-9]+\\.jsonl"), e.getValue()));
            if (!waiting.isEmpty()) {
                Thread.sleep(300);
            }
        }
        if (!waiting.isEmpty()) {
            fail(what + ": clicks " + waiting + " (partition=eventId) were accepted (202) but never reached the consumer's"
                    + " file of their partition under " + dataDir);
            return;
        }
        say(String.format("  %s: one click per partition (%s) reached the consumer's files %s-0..%d-*.jsonl in %.1f s",
                what, events.keySet(), layout.topic(), layout.partitions() - 1, (System.nanoTime() - start) / 1e9));
    }

    /** Whether a file whose name matches, anywhere under {@code dir} (the hour folders), holds the text. */
    private static boolean fileContains(Path dir, Pattern name, String text) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(p -> name.matcher(p.getFileName().toString()).matches()).toList()) {
                if (Files.readString(file).contains(text)) {
                    return true;
                }
            }
            return false;
        } catch (IOException | java.io.UncheckedIOException e) {
            return false; // being written: look again
        }
    }

    /** One doctor run: from where, with which bootstrap address, and what it must say (every one of the texts). */
    private record DoctorRun(String container, String bootstrap, boolean shouldPass, String... mustSay) {
    }

    /**
     * The listener doctor from the host (next to the compose file, so it reads it too) and from the apps'
     * container, for the good files and each broken variant.
     */
    private void doctor(BrokenVariant variant, ComposeNetwork network, Path dir, int otherPort) throws Exception {
        String inside = layout.inside();
        Layout.Node first = layout.first();
        List<DoctorRun> runs = new ArrayList<>();
        if (variant == null) {
            runs.add(new DoctorRun(null, null, true, "Diagnosis: OK"));
            runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
            runs.add(new DoctorRun(APPS, "localhost:" + first.outsidePort(), false, "KAFKA_BOOTSTRAP_SERVERS=" + inside));
            runs.add(new DoctorRun(APPS, first.service() + ":" + first.outsidePort(), false, "you reached the OUTSIDE listener"));
            runs.add(new DoctorRun(null, first.service() + ":" + layout.insidePort(), false,
                    "use the OUTSIDE listener, " + layout.outside()));
        } else {
            switch (variant) {
                case INSIDE_ADVERTISED_AS_LOCALHOST -> {
                    runs.add(new DoctorRun(APPS, null, false, "set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + inside));
                    runs.add(new DoctorRun(null, null, false, "set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + inside));
                }
                case OUTSIDE_ADVERTISED_AS_KAFKA -> {
                    runs.add(new DoctorRun(null, null, false,
                            "set OUTSIDE in KAFKA_ADVERTISED_LISTENERS to OUTSIDE://" + layout.outside()));
                    runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
                }
                case OUTSIDE_MISSING_FROM_PROTOCOL_MAP -> {
                    runs.add(new DoctorRun(null, null, false, "add OUTSIDE:PLAINTEXT to KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"));
                    runs.add(new DoctorRun(APPS, null, false, "docker compose -f docker-compose.broker.yml logs kafka"));
                }
                case OUTSIDE_BOUND_TO_LOOPBACK -> {
                    runs.add(new DoctorRun(null, null, false, "OUTSIDE://0.0.0.0:" + first.outsidePort()));
                    runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
                }
                case PUBLISHED_PORT_DIFFERS -> {
                    runs.add(new DoctorRun(null, null, false, "same number on both sides"));
                    runs.add(new DoctorRun(null, "localhost:" + otherPort, false, "differs from the advertised one"));
                    runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
                }
                case OUTSIDE_PORT_OF_ANOTHER_NODE -> {
                    Layout.Node second = layout.nodes().get(1);
                    runs.add(new DoctorRun(null, null, false, second.service(), "OUTSIDE://" + layout.outside(second)));
                    runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
                }
                case OUTSIDE_PORT_NOT_PUBLISHED -> {
                    Layout.Node third = layout.nodes().get(2);
                    runs.add(new DoctorRun(null, null, false, third.service(),
                            "\"" + compose.env().getOrDefault("KAFKA_OUTSIDE_BIND", "127.0.0.1") + ":" + third.outsidePort()
                                    + ":" + third.outsidePort() + "\""));
                    runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
                }
                case INSIDE_NAME_OF_ANOTHER_NODE -> {
                    Layout.Node third = layout.nodes().get(2);
                    runs.add(new DoctorRun(null, null, false, third.service(), "INSIDE://" + third.service() + ":" + layout.insidePort()));
                    runs.add(new DoctorRun(APPS, null, false, third.service()));
                }
                default -> throw new IllegalStateException("no doctor expectation for " + variant);
            }
        }
        for (DoctorRun run : runs) {
            runDoctor(run, network, dir);
        }
        if (variant == null) {
            documentedHostCommand(network, dir);
        }
    }

    /** The doctor exactly as the generated README tells a user on the host to run it, from the project root. */
    private void documentedHostCommand(ComposeNetwork network, Path dir) throws Exception {
        List<String> command = List.of("./mvnw", "-q", "-pl", "doctor", "compile", "exec:java");
        Map<String, String> environment = new LinkedHashMap<>(System.getenv());
        environment.remove("KAFKA_BOOTSTRAP_SERVERS");
        environment.remove("MAVEN_ARGS");
        Path log = dir.resolve("doctor-host-mvnw.log");
        long start = System.nanoTime();
        int status = network.run(null, command, environment, project, log, Duration.ofMinutes(3));
        String output = Files.readString(log);
        say(String.format("  doctor (host, %s): exit %d in %.1f s", String.join(" ", command), status,
                (System.nanoTime() - start) / 1e9));
        if (status != 0 || !output.contains("Diagnosis: OK")) {
            fail("the documented host command " + String.join(" ", command) + " gave exit " + status + ":\n" + output);
        }
    }

    private void runDoctor(DoctorRun run, ComposeNetwork network, Path dir) throws Exception {
        Path web = project.resolve("web/target");
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        if (run.container() != null) {
            // what `docker compose exec web ...` sees: the service's environment from docker-compose.yml
            environment.putAll(ComposeProject.environment(compose.service(ComposeProject.APP_FILE, "web")));
        }
        if (run.bootstrap() != null) {
            environment.put("KAFKA_BOOTSTRAP_SERVERS", run.bootstrap());
        }
        String where = (run.container() == null ? "host" : "container") + ", KAFKA_BOOTSTRAP_SERVERS="
                + (environment.containsKey("KAFKA_BOOTSTRAP_SERVERS") ? environment.get("KAFKA_BOOTSTRAP_SERVERS") : "(unset)");
        Path log = dir.resolve("doctor-" + (run.container() == null ? "host" : "container") + "-"
                + (run.bootstrap() == null ? "default" : run.bootstrap().replace(':', '-')) + ".log");
        // The container command of the generated README; on the host the same class, from the project's
        // build output, in the directory of the (possibly broken) compose file.
        List<String> command = List.of(ComposeBroker.java(), "-cp", "web.jar:lib/*", javaPackage + ".doctor.ListenerDoctor");
        long start = System.nanoTime();
        int status;
        if (run.container() != null) {
            status = network.run(run.container(), command, environment, web, log, DOCTOR_TIMEOUT);
        } else {
            status = network.run(null, List.of(ComposeBroker.java(), "-cp", web.resolve("web.jar") + ":" + web.resolve("lib") + "/*",
                    javaPackage + ".doctor.ListenerDoctor"), environment, dir, log, DOCTOR_TIMEOUT);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String output = Files.readString(log);
        boolean statusRight = run.shouldPass() ? status == 0 : status != 0 && status != -1;
        boolean saysIt = java.util.Arrays.stream(run.mustSay()).allMatch(output::contains);
        String wanted = "\"" + String.join("\" and \"", run.mustSay()) + "\"";
        say(String.format("  doctor (%s): exit %d in %.1f s%s", where, status, seconds,
                statusRight && saysIt ? "" : "  <-- expected exit " + (run.shouldPass() ? "0" : "non-zero")
                        + " and " + wanted));
        output.lines().filter(line -> line.startsWith("  ") && (line.matches("^\\s+\\d+\\. .*") || line.strip().startsWith("Fix:"))
                || line.startsWith("Diagnosis")).forEach(line -> say("      " + line.strip()));
        if (!statusRight || !saysIt) {
            fail("doctor (" + where + ") in " + dir.getFileName() + ": expected exit " + (run.shouldPass() ? "0" : "non-zero")
                    + " and " + wanted + ", got exit " + status + ":\n" + output);
        }
        if (seconds > 15) {
            fail("doctor (" + where + ") took " + Math.round(seconds) + " s; it must answer in about ten");
        }
    }

    /** "[ip:]host:container[/tcp]" of the compose short syntax, as [host port, container port]. */
    static int[] portMapping(String entry) {
        String[] parts = entry.replaceAll("/(tcp|udp)$", "").split(":");
        int container = Integer.parseInt(parts[parts.length - 1].trim());
        int host = parts.length >= 2 ? Integer.parseInt(parts[parts.length - 2].trim()) : container;
        return new int[] {host, container};
    }

    private void requireFreeHostPort(int port) throws IOException, InterruptedException {
        // The previous scenario's forwarder may take a moment to let go of the port.
        for (int i = 0; i < 40 && !portFree(port); i++) {
            Thread.sleep(500);
        }
        if (!portFree(port)) {
            throw new IOException("127.0.0.1:" + port + " is taken on this machine (a broker or dev mode left"
                    + " running?); the verification publishes the OUTSIDE port there, as compose would");
        }
    }

    private static boolean portFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String text) {
        String line = text.replace('\n', ' ');
        return line.length() > 220 ? line.substring(0, 220) + "..." : line;
    }

    private void say(String line) {
        report.add(line);
        System.out.println("[listeners] " + line);
    }

    private void fail(String problem) {
        failures.add(problem);
        say("  FAILED: " + problem.lines().findFirst().orElse(problem));
    }

    /** By hand: {@code ListenerVerification <generated project> <package> <kafka> <kafka zk-mode> <slf4j> <dependency plugin> [--no-variants]}. */
    public static void main(String[] args) throws Exception {
        Path project = Path.of(args[0]).toAbsolutePath();
        verify(project, args[1], new Versions(args[2], args[3], args[4], args[5]),
                project.resolveSibling("listener-verification"), args.length < 7 || !args[6].equals("--no-variants"));
    }
}
