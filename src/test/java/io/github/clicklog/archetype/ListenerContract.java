package io.github.clicklog.archetype;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The listener contract of the generated compose files (issue 2), checked against the values the project was
 * generated with. Returns every violation as a sentence naming the file, the key, what was expected and what
 * is there; an empty list means the contract holds.
 *
 * <p>The listener settings expected are not written here: they come from the generated project's own
 * statement of the rules, {@value #RULES} (which its doctor checks against too), filled in with the
 * generated values ({@link #expectedSettings}) or with the compose variables that carry them
 * ({@link #composeLines}).
 *
 * <p>Why each rule: a client bootstraps from one address, then connects to whatever the broker advertises
 * for the listener it came in on. So INSIDE must advertise the service name on the compose network, OUTSIDE
 * the host name and the very port that is published on the host.
 */
public final class ListenerContract {
    /** The statement of the listener rules, in the generated project (copied there unfiltered). */
    public static final String RULES = "doctor/src/main/resources/listener-rules.properties";
    static final String SERVICE = "kafka";
    /** The one-shot service that creates the click topics. */
    static final String TOPICS_SERVICE = "click-topics";
    /** The key of the rules that is not a broker setting but the broker service's one published port. */
    private static final String PUBLISHED_PORT = "published.port";
    private static final Set<String> ALL_INTERFACES = Set.of("0.0.0.0", "", "[::]");

    private final ComposeProject compose;
    private final ArchetypeProperties expected;
    private final List<String> violations = new ArrayList<>();

    private ListenerContract(ComposeProject compose, ArchetypeProperties expected) {
        this.compose = compose;
        this.expected = expected;
    }

    /**
     * The rules filled in for compose: each listener setting under its compose name (KAFKA_LISTENERS ...) and
     * the published port under {@value #PUBLISHED_PORT}. The node binds every interface and advertises INSIDE
     * as the service name; {@code values} fills the rest ({outsideHost}, {insidePort}, {outsidePort},
     * {controllerPort}, {publishHost}).
     */
    static Map<String, String> composeRules(Path projectDir, boolean kraft, Map<String, String> values) {
        Properties rules = new Properties();
        try (Reader in = Files.newBufferedReader(projectDir.resolve(RULES))) {
            rules.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("the generated project has no statement of its listener rules", e);
        }
        Map<String, String> filled = new LinkedHashMap<>(values);
        filled.put("bindHost", "0.0.0.0");
        filled.put("controllerHost", "0.0.0.0");
        filled.putIfAbsent("insideHost", SERVICE);
        Map<String, String> result = new LinkedHashMap<>();
        for (String key : new TreeSet<>(rules.stringPropertyNames())) {
            boolean kraftOnly = key.endsWith(".kraft");
            String setting = kraftOnly ? key.substring(0, key.length() - ".kraft".length()) : key;
            if (kraftOnly && !kraft) {
                continue;
            }
            String name = setting.equals(PUBLISHED_PORT) ? PUBLISHED_PORT
                    : "KAFKA_" + setting.toUpperCase(Locale.ROOT).replace('.', '_');
            String value = fill(rules.getProperty(key), filled);
            // sorted, a key comes before its .kraft addition
            result.merge(name, value, (base, addition) -> base + "," + addition);
        }
        return result;
    }

    /** The rules with the values the project was generated with, and the host interface .env publishes on. */
    static Map<String, String> expectedSettings(Path projectDir, ArchetypeProperties expected, String publishHost) {
        return expectedSettings(projectDir, expected, nodes(expected).get(0), publishHost);
    }

    /** The rules for one node: its service name on INSIDE, its own OUTSIDE port. */
    static Map<String, String> expectedSettings(Path projectDir, ArchetypeProperties expected, Node node, String publishHost) {
        return composeRules(projectDir, expected.kraft(), Map.of(
                "insideHost", node.service(),
                "outsideHost", expected.outsideHost(),
                "insidePort", String.valueOf(expected.insidePort()),
                "outsidePort", String.valueOf(node.outsidePort()),
                "controllerPort", String.valueOf(expected.controllerPort()),
                "publishHost", publishHost));
    }

    /** The rules as docker-compose.broker.yml writes them for a single node, with the .env variables that carry the values. */
    static Map<String, String> composeLines(Path projectDir, boolean kraft) {
        return composeLines(projectDir, kraft, new Node(1, SERVICE, "KAFKA_OUTSIDE_PORT", 0));
    }

    /** The rules as docker-compose.broker.yml writes them for one node. */
    static Map<String, String> composeLines(Path projectDir, boolean kraft, Node node) {
        return composeRules(projectDir, kraft, Map.of(
                "insideHost", node.service(),
                "outsideHost", "${KAFKA_OUTSIDE_HOST}",
                "insidePort", "${KAFKA_INSIDE_PORT}",
                "outsidePort", "${" + node.outsidePortVariable() + "}",
                "controllerPort", "${KAFKA_CONTROLLER_PORT}",
                "publishHost", "${KAFKA_OUTSIDE_BIND:-127.0.0.1}"));
    }

    /**
     * A Kafka node of the generated project: one {@code kafka} with KAFKA_OUTSIDE_PORT, or {@code kafka-n} with
     * its own KAFKA_OUTSIDE_PORT_n (the first port + 100 * (n - 1)).
     */
    record Node(int id, String service, String outsidePortVariable, int outsidePort) {
    }

    /** The nodes a project generated with {@code expected} has. */
    static List<Node> nodes(ArchetypeProperties expected) {
        if (expected.kafkaNodes() == 1) {
            return List.of(new Node(1, SERVICE, "KAFKA_OUTSIDE_PORT", expected.outsidePort()));
        }
        List<Node> nodes = new ArrayList<>();
        for (int n = 1; n <= expected.kafkaNodes(); n++) {
            nodes.add(new Node(n, SERVICE + "-" + n, "KAFKA_OUTSIDE_PORT_" + n, expected.nodeOutsidePort(n)));
        }
        return nodes;
    }

    private static String fill(String template, Map<String, String> values) {
        String filled = template;
        for (Map.Entry<String, String> value : values.entrySet()) {
            filled = filled.replace("{" + value.getKey() + "}", value.getValue());
        }
        if (filled.matches(".*\\{[A-Za-z]+}.*")) {
            throw new IllegalStateException(RULES + " uses a placeholder the contract does not fill: " + template);
        }
        return filled;
    }

    public static List<String> violations(ComposeProject compose, ArchetypeProperties expected) {
        ListenerContract contract = new ListenerContract(compose, expected);
        contract.checkBroker();
        contract.checkApps();
        return List.copyOf(contract.violations);
    }

    private void checkBroker() {
        String file = ComposeProject.BROKER_FILE;
        Map<String, Object> raw = compose.raw(file);
        if (raw.containsKey("version")) {
            violation(file, "has the obsolete top-level 'version:' key");
        }
        Map<String, Object> tree = compose.interpolated(file);
        Map<String, Object> services = ComposeProject.cast(tree.get("services"));
        Map<String, Object> rawServices = ComposeProject.cast(raw.get("services"));
        List<Node> nodes = nodes(expected);
        Map<Integer, String> outsidePorts = new LinkedHashMap<>();
        for (Node node : nodes) {
            if (services == null || !services.containsKey(node.service())) {
                violation(file, "has no service named '" + node.service() + "': containers resolve the INSIDE address "
                        + node.service() + ":<port> by that name");
                continue;
            }
            checkNode(file, tree, services, ComposeProject.cast(rawServices.get(node.service())), node, nodes);
            Map<String, String> env = ComposeProject.environment(ComposeProject.cast(services.get(node.service())));
            String outside = listenerMap(file, "KAFKA_ADVERTISED_LISTENERS", env.get("KAFKA_ADVERTISED_LISTENERS")).get("OUTSIDE");
            if (outside != null) {
                String port = outside.substring(outside.lastIndexOf(':') + 1);
                String first = outsidePorts.putIfAbsent(Integer.valueOf(port.matches("[0-9]+") ? port : "0"), node.service());
                if (first != null) {
                    violation(file, first + " and " + node.service() + " both advertise the OUTSIDE port " + port
                            + ": every node needs its own, published on the host");
                }
            }
        }
        if (nodes.size() > 1 && services != null && services.containsKey(SERVICE)) {
            violation(file, "has a service '" + SERVICE + "' next to the nodes " + nodes.stream().map(Node::service).toList());
        }
        checkTopics(file, services, nodes);
    }

    private void checkNode(String file, Map<String, Object> tree, Map<String, Object> services, Map<String, Object> rawNode,
                           Node node, List<Node> nodes) {
        String name = node.service();
        String where = nodes.size() > 1 ? file + " " + name : file;
        Map<String, Object> kafka = ComposeProject.cast(services.get(name));
        if (kafka.containsKey("hostname") && !name.equals(kafka.get("hostname"))) {
            violation(file, name + ".hostname is '" + kafka.get("hostname") + "', not " + name);
        }
        Map<String, String> env = ComposeProject.environment(kafka);

        Map<String, String> rules = expectedSettings(compose.projectDir(), expected, node,
                compose.env().getOrDefault("KAFKA_OUTSIDE_BIND", "127.0.0.1"));
        Map<String, String> listeners = listenerMap(where, "KAFKA_LISTENERS", env.get("KAFKA_LISTENERS"));
        Map<String, String> wantedBind = listenerMap(RULES, "KAFKA_LISTENERS", rules.get("KAFKA_LISTENERS"));
        if (!listeners.keySet().equals(wantedBind.keySet())) {
            violation(where, "KAFKA_LISTENERS names " + listeners.keySet() + ", expected " + wantedBind.keySet());
        }
        wantedBind.forEach((listener, wanted) -> {
            String address = listeners.get(listener);
            if (address != null) {
                String host = address.substring(0, address.lastIndexOf(':'));
                String port = address.substring(address.lastIndexOf(':') + 1);
                String wantedPort = wanted.substring(wanted.lastIndexOf(':') + 1);
                if (!ALL_INTERFACES.contains(host) || !port.equals(wantedPort)) {
                    violation(where, "KAFKA_LISTENERS binds " + listener + " to " + address
                            + ", expected every interface of the container on port " + wantedPort + " (" + wanted + ")");
                }
            }
        });

        Map<String, String> advertised = listenerMap(where, "KAFKA_ADVERTISED_LISTENERS", env.get("KAFKA_ADVERTISED_LISTENERS"));
        if (advertised.containsKey("CONTROLLER")) {
            violation(where, "KAFKA_ADVERTISED_LISTENERS advertises CONTROLLER, which is for the controllers only");
        }
        if (!advertised.equals(listenerMap(RULES, "KAFKA_ADVERTISED_LISTENERS", rules.get("KAFKA_ADVERTISED_LISTENERS")))) {
            violation(where, "KAFKA_ADVERTISED_LISTENERS is " + env.get("KAFKA_ADVERTISED_LISTENERS")
                    + ", expected exactly " + rules.get("KAFKA_ADVERTISED_LISTENERS") + " (the controller is never advertised)");
        }

        Map<String, String> protocols = protocolMap(env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"));
        if (!protocols.keySet().equals(listeners.keySet())) {
            violation(where, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP names " + protocols.keySet()
                    + " but the listeners are " + listeners.keySet() + ": every listener needs a protocol");
        } else if (!protocols.equals(protocolMap(rules.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")))) {
            violation(where, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP is " + env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
                    + ", expected " + rules.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"));
        }
        expectEnv(where, env, "KAFKA_INTER_BROKER_LISTENER_NAME", rules.get("KAFKA_INTER_BROKER_LISTENER_NAME"));
        if (rules.containsKey("KAFKA_CONTROLLER_LISTENER_NAMES")) {
            expectEnv(where, env, "KAFKA_CONTROLLER_LISTENER_NAMES", rules.get("KAFKA_CONTROLLER_LISTENER_NAMES"));
        } else if (env.containsKey("KAFKA_CONTROLLER_LISTENER_NAMES")) {
            violation(where, "KAFKA_CONTROLLER_LISTENER_NAMES is set, but a ZooKeeper-mode broker has no controller listener");
        }
        // One node: every internal topic has one replica. Three: three replicas, two in sync before a write counts,
        // and a replica that missed acknowledged writes never becomes leader.
        String replicas = String.valueOf(nodes.size());
        String inSync = nodes.size() > 1 ? "2" : "1";
        expectEnv(where, env, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", replicas);
        expectEnv(where, env, "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", replicas);
        expectEnv(where, env, "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", inSync);
        if (nodes.size() > 1) {
            expectEnv(where, env, "KAFKA_DEFAULT_REPLICATION_FACTOR", replicas);
            expectEnv(where, env, "KAFKA_MIN_INSYNC_REPLICAS", inSync);
            expectEnv(where, env, "KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE", "false");
        }
        // Topics are created on purpose (click-topics), never by a client's first use.
        expectEnv(where, env, "KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
        if (expected.kraft()) {
            expectEnv(where, env, "KAFKA_NODE_ID", String.valueOf(node.id()));
            String voters = env.getOrDefault("KAFKA_CONTROLLER_QUORUM_VOTERS", "");
            if (nodes.size() == 1) {
                if (!voters.matches("\\d+@[^:,]+:" + expected.controllerPort())) {
                    violation(where, "KAFKA_CONTROLLER_QUORUM_VOTERS is '" + voters + "', expected <node id>@<host>:"
                            + expected.controllerPort());
                }
            } else {
                String wanted = String.join(",", nodes.stream()
                        .map(voter -> voter.id() + "@" + voter.service() + ":" + expected.controllerPort()).toList());
                if (!wanted.equals(voters)) {
                    violation(where, "KAFKA_CONTROLLER_QUORUM_VOTERS is '" + voters + "', expected every node: " + wanted);
                }
            }
            if (env.getOrDefault("CLUSTER_ID", "").isBlank()) {
                violation(where, "CLUSTER_ID is empty: the apache/kafka image cannot format its storage without it");
            }
        } else {
            expectEnv(where, env, "KAFKA_ZOOKEEPER_CONNECT", "zookeeper:" + expected.zookeeperPort());
            Map<String, Object> zookeeper = ComposeProject.cast(services.get("zookeeper"));
            if (zookeeper == null) {
                violation(file, "has no service 'zookeeper', which KAFKA_ZOOKEEPER_CONNECT names");
            } else {
                expectEnv(file, ComposeProject.environment(zookeeper), "ZOOKEEPER_CLIENT_PORT",
                        String.valueOf(expected.zookeeperPort()));
                if (zookeeper.containsKey("ports")) {
                    violation(file, "publishes ZooKeeper's ports; only the broker talks to it, over the compose network");
                }
            }
        }

        checkPublishedPorts(file, node, rawNode, kafka, rules.get(PUBLISHED_PORT));
        checkHealthcheck(file, name, kafka);
        checkNetwork(file, name, tree, kafka);
        checkVolume(file, name, tree, kafka, env.get("KAFKA_LOG_DIRS"), nodes);
    }

    /**
     * The one-shot click-topics service: it waits for every node to be healthy, then creates the click topic
     * and its dead-letter topic with the partitions and replicas of .env (replicas = nodes).
     */
    private void checkTopics(String file, Map<String, Object> services, List<Node> nodes) {
        Map<String, Object> topics = services == null ? null : ComposeProject.cast(services.get(TOPICS_SERVICE));
        if (topics == null) {
            violation(file, "has no service '" + TOPICS_SERVICE + "': with automatic topic creation off, nothing"
                    + " creates the click topics");
            return;
        }
        Map<String, Object> dependsOn = ComposeProject.cast(topics.get("depends_on"));
        for (Node node : nodes) {
            Map<String, Object> on = dependsOn == null ? null : ComposeProject.cast(dependsOn.get(node.service()));
            if (on == null || !"service_healthy".equals(on.get("condition"))) {
                violation(file, TOPICS_SERVICE + ".depends_on is " + dependsOn + ", expected " + node.service()
                        + " with condition service_healthy");
            }
        }
        Map<String, Object> rawTopics = ComposeProject.cast(ComposeProject.<Map<String, Object>>cast(
                compose.raw(file).get("services")).get(TOPICS_SERVICE));
        String command = String.valueOf(rawTopics.get("command"));
        for (String part : List.of("--bootstrap-server ${KAFKA_INSIDE_BOOTSTRAP_SERVERS}", "--create --if-not-exists",
                "--partitions ${CLICK_TOPIC_PARTITIONS}", "--replication-factor ${CLICK_TOPIC_REPLICAS}",
                "\"${CLICK_TOPIC}\" \"${CLICK_TOPIC}.dlq\"")) {
            if (!command.contains(part)) {
                violation(file, TOPICS_SERVICE + ".command lacks `" + part + "`: " + command);
            }
        }
        expectEnv(".env", compose.env(), "CLICK_TOPIC_PARTITIONS", String.valueOf(expected.partitions()));
        expectEnv(".env", compose.env(), "CLICK_TOPIC_REPLICAS", String.valueOf(nodes.size()));
        if (!"no".equals(String.valueOf(topics.get("restart")))) {
            violation(file, TOPICS_SERVICE + ".restart is " + topics.get("restart") + ", expected \"no\": it runs once");
        }
    }

    private void checkPublishedPorts(String file, Node node, Map<String, Object> rawKafka, Map<String, Object> kafka, String wanted) {
        String name = node.service();
        String written = composeLines(compose.projectDir(), expected.kraft(), node).get(PUBLISHED_PORT);
        List<Object> rawPorts = ComposeProject.cast(rawKafka.get("ports"));
        if (rawPorts == null || rawPorts.size() != 1 || !written.equals(String.valueOf(rawPorts.get(0)))) {
            violation(file, name + ".ports is " + rawPorts + ", expected exactly [\"" + written
                    + "\"]: only OUTSIDE is published (never CONTROLLER), with the advertised number on both sides, on the"
                    + " host interface .env chooses");
            return;
        }
        List<Object> ports = ComposeProject.cast(kafka.get("ports"));
        if (!wanted.equals(String.valueOf(ports.get(0)))) {
            violation(file, name + ".ports becomes " + ports.get(0) + " with .env, expected " + wanted);
        }
        String bind = compose.env().getOrDefault("KAFKA_OUTSIDE_BIND", "127.0.0.1");
        if (!"127.0.0.1".equals(bind)) {
            violation(".env", "KAFKA_OUTSIDE_BIND is '" + bind + "': by default the broker is published on loopback only");
        }
    }

    private void checkHealthcheck(String file, String name, Map<String, Object> kafka) {
        Map<String, Object> healthcheck = ComposeProject.cast(kafka.get("healthcheck"));
        String test = healthcheck == null ? "" : String.valueOf(healthcheck.get("test"));
        if (!test.contains("kafka-broker-api-versions") || !test.contains(":" + expected.insidePort())) {
            violation(file, name + ".healthcheck.test is '" + test + "', expected the broker's own CLI"
                    + " (kafka-broker-api-versions) against the INSIDE port " + expected.insidePort());
        }
    }

    private void checkNetwork(String file, String name, Map<String, Object> tree, Map<String, Object> kafka) {
        List<Object> networks = ComposeProject.cast(kafka.get("networks"));
        Map<String, Object> declared = ComposeProject.cast(tree.get("networks"));
        if (networks == null || networks.size() != 1 || declared == null || !declared.containsKey(String.valueOf(networks.get(0)))) {
            violation(file, name + ".networks is " + networks + ", expected one network declared at the top level");
            return;
        }
        Map<String, Object> network = ComposeProject.cast(declared.get(String.valueOf(networks.get(0))));
        if (network == null || String.valueOf(network.get("name")).isBlank() || network.get("name") == null) {
            violation(file, "network " + networks.get(0) + " has no fixed 'name:', so another compose project cannot join it");
        }
    }

    private void checkVolume(String file, String name, Map<String, Object> tree, Map<String, Object> kafka, String logDirs,
                             List<Node> nodes) {
        List<Object> volumes = ComposeProject.cast(kafka.get("volumes"));
        Map<String, Object> declared = ComposeProject.cast(tree.get("volumes"));
        String found = null;
        if (volumes != null && declared != null) {
            for (Object volume : volumes) {
                String[] parts = String.valueOf(volume).split(":");
                if (parts.length >= 2 && declared.containsKey(parts[0]) && parts[1].equals(logDirs)) {
                    found = parts[0];
                }
            }
        }
        if (found == null) {
            violation(file, name + ".volumes is " + volumes + ": expected a named volume mounted at KAFKA_LOG_DIRS ("
                    + logDirs + ") so the broker's data outlives the container");
        } else if (nodes.size() > 1 && !dataVolumes.add(found)) {
            violation(file, name + " mounts the volume " + found + " that another node mounts: each node keeps its own log");
        }
    }

    private final java.util.Set<String> dataVolumes = new java.util.HashSet<>();

    private void checkApps() {
        String file = ComposeProject.APP_FILE;
        Map<String, Object> raw = compose.raw(file);
        if (raw.containsKey("version")) {
            violation(file, "has the obsolete top-level 'version:' key");
        }
        List<Object> include = ComposeProject.cast(raw.get("include"));
        if (include == null || !include.contains(ComposeProject.BROKER_FILE)) {
            violation(file, "does not include " + ComposeProject.BROKER_FILE + ", so `docker compose up` has no broker");
        }
        List<Node> nodes = nodes(expected);
        Map<String, Object> brokerServices = ComposeProject.cast(compose.interpolated(ComposeProject.BROKER_FILE).get("services"));
        Map<String, Object> brokerKafka = brokerServices == null ? null : ComposeProject.cast(brokerServices.get(nodes.get(0).service()));
        Object brokerNetworks = brokerKafka == null ? null : brokerKafka.get("networks");
        // Every node's INSIDE address, so the apps start while any node is up.
        String bootstrap = String.join(",", nodes.stream().map(node -> node.service() + ":" + expected.insidePort()).toList());
        for (String app : List.of("web", "consumer")) {
            Map<String, Object> service = compose.service(file, app);
            Map<String, String> env = ComposeProject.environment(service);
            expectEnv(file + " " + app, env, "KAFKA_BOOTSTRAP_SERVERS", bootstrap);
            expectEnv(file + " " + app, env, "CLICK_TOPIC", expected.topic());
            Map<String, Object> dependsOn = ComposeProject.cast(service.get("depends_on"));
            Map<String, Object> onTopics = dependsOn == null ? null : ComposeProject.cast(dependsOn.get(TOPICS_SERVICE));
            if (onTopics == null || !"service_completed_successfully".equals(onTopics.get("condition"))) {
                violation(file, app + ".depends_on is " + dependsOn + ", expected " + TOPICS_SERVICE
                        + " with condition service_completed_successfully: the apps start once the topics exist");
            }
            if (!Objects.equals(service.get("networks"), brokerNetworks)) {
                violation(file, app + ".networks is " + service.get("networks") + ", expected the broker's " + brokerNetworks);
            }
        }
        Map<String, Object> web = compose.service(file, "web");
        String wantedWebPort = compose.env().getOrDefault("WEB_BIND", "127.0.0.1") + ":" + expected.webPort() + ":" + expected.webPort();
        List<Object> webPorts = ComposeProject.cast(web.get("ports"));
        // The click port alone: the management port (/metrics, the detailed /readyz) stays on the compose network.
        if (webPorts == null || !webPorts.equals(List.of(wantedWebPort))) {
            violation(file, "web.ports is " + webPorts + ", expected exactly [" + wantedWebPort + "]: the management port "
                    + expected.webManagementPort() + " is never published");
        }
        Map<String, String> webEnv = ComposeProject.environment(web);
        expectEnv(file + " web", webEnv, "WEB_MANAGEMENT_PORT", String.valueOf(expected.webManagementPort()));
        // in the container the management port must listen beyond its loopback, for the compose network to reach it
        expectEnv(file + " web", webEnv, "WEB_MANAGEMENT_BIND", "0.0.0.0");
        // the healthcheck asks the detailed /readyz, on the management port ($$: the container's variable)
        Map<String, Object> healthcheck = ComposeProject.cast(web.get("healthcheck"));
        String test = healthcheck == null ? "" : String.valueOf(healthcheck.get("test"));
        if (!test.contains("/dev/tcp/127.0.0.1/${WEB_MANAGEMENT_PORT} ") || !test.contains("GET /readyz ")) {
            violation(file, "web.healthcheck.test is " + test + ", expected GET /readyz on the management port,"
                    + " /dev/tcp/127.0.0.1/$${WEB_MANAGEMENT_PORT}");
        }
    }

    /** NAME://host:port,... as a map NAME -> host:port; a malformed entry is a violation. */
    private Map<String, String> listenerMap(String file, String key, String value) {
        Map<String, String> result = new LinkedHashMap<>();
        if (value == null || value.isBlank()) {
            violation(file, key + " is not set");
            return result;
        }
        for (String entry : value.split(",")) {
            String[] parts = entry.strip().split("://", 2);
            if (parts.length != 2 || parts[1].lastIndexOf(':') < 0) {
                violation(file, key + " has a malformed entry '" + entry + "', expected NAME://host:port");
            } else if (result.put(parts[0], parts[1]) != null) {
                violation(file, key + " names " + parts[0] + " twice");
            }
        }
        return result;
    }

    private static Map<String, String> protocolMap(String value) {
        Map<String, String> protocols = new LinkedHashMap<>();
        for (String entry : (value == null ? "" : value).split(",")) {
            String[] parts = entry.strip().split(":", 2);
            if (parts.length == 2) {
                protocols.put(parts[0], parts[1]);
            }
        }
        return protocols;
    }

    private void expectEnv(String where, Map<String, String> env, String key, String wanted) {
        if (!wanted.equals(env.get(key))) {
            violation(where, key + " is '" + env.get(key) + "', expected '" + wanted + "'");
        }
    }

    private void violation(String where, String what) {
        violations.add(where + ": " + what);
    }
}
