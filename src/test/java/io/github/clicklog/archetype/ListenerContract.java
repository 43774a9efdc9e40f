package io.github.clicklog.archetype;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The listener contract of the generated compose files (issue 2), checked against the values the project was
 * generated with. Returns every violation as a sentence naming the file, the key, what was expected and what
 * is there; an empty list means the contract holds.
 *
 * <p>Why each rule: a client bootstraps from one address, then connects to whatever the broker advertises
 * for the listener it came in on. So INSIDE must advertise the service name on the compose network, OUTSIDE
 * the host name and the very port that is published on the host.
 */
public final class ListenerContract {
    static final String PUBLISHED_OUTSIDE_PORT = "${KAFKA_OUTSIDE_BIND:-127.0.0.1}:${KAFKA_OUTSIDE_PORT}:${KAFKA_OUTSIDE_PORT}";
    private static final Set<String> ALL_INTERFACES = Set.of("0.0.0.0", "", "[::]");

    private final ComposeProject compose;
    private final ArchetypeProperties expected;
    private final List<String> violations = new ArrayList<>();

    private ListenerContract(ComposeProject compose, ArchetypeProperties expected) {
        this.compose = compose;
        this.expected = expected;
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
        if (services == null || !services.containsKey("kafka")) {
            violation(file, "has no service named 'kafka': containers resolve the INSIDE address kafka:<port> by that name");
            return;
        }
        Map<String, Object> kafka = ComposeProject.cast(services.get("kafka"));
        if (kafka.containsKey("hostname") && !"kafka".equals(kafka.get("hostname"))) {
            violation(file, "kafka.hostname is '" + kafka.get("hostname") + "', not kafka");
        }
        Map<String, String> env = ComposeProject.environment(kafka);

        Map<String, String> listeners = listenerMap(file, "KAFKA_LISTENERS", env.get("KAFKA_LISTENERS"));
        Map<String, String> wantedBind = new LinkedHashMap<>();
        wantedBind.put("INSIDE", String.valueOf(expected.insidePort()));
        wantedBind.put("OUTSIDE", String.valueOf(expected.outsidePort()));
        if (expected.kraft()) {
            wantedBind.put("CONTROLLER", String.valueOf(expected.controllerPort()));
        }
        if (!listeners.keySet().equals(wantedBind.keySet())) {
            violation(file, "KAFKA_LISTENERS names " + listeners.keySet() + ", expected " + wantedBind.keySet());
        }
        wantedBind.forEach((name, port) -> {
            String address = listeners.get(name);
            if (address != null) {
                int colon = address.lastIndexOf(':');
                String host = address.substring(0, colon);
                String actualPort = address.substring(colon + 1);
                if (!ALL_INTERFACES.contains(host) || !port.equals(actualPort)) {
                    violation(file, "KAFKA_LISTENERS binds " + name + " to " + address
                            + ", expected every interface of the container on port " + port + " (0.0.0.0:" + port + ")");
                }
            }
        });

        Map<String, String> advertised = listenerMap(file, "KAFKA_ADVERTISED_LISTENERS", env.get("KAFKA_ADVERTISED_LISTENERS"));
        Map<String, String> wantedAdvertised = Map.of(
                "INSIDE", "kafka:" + expected.insidePort(),
                "OUTSIDE", expected.outsideHost() + ":" + expected.outsidePort());
        if (!advertised.equals(wantedAdvertised)) {
            violation(file, "KAFKA_ADVERTISED_LISTENERS is " + env.get("KAFKA_ADVERTISED_LISTENERS")
                    + ", expected exactly INSIDE://kafka:" + expected.insidePort() + " and OUTSIDE://"
                    + expected.outsideHost() + ":" + expected.outsidePort() + " (the controller is never advertised)");
        }

        Map<String, String> protocols = new LinkedHashMap<>();
        String protocolMap = env.getOrDefault("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "");
        for (String entry : protocolMap.split(",")) {
            String[] parts = entry.strip().split(":", 2);
            if (parts.length == 2) {
                protocols.put(parts[0], parts[1]);
            }
        }
        if (!protocols.keySet().equals(listeners.keySet())) {
            violation(file, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP names " + protocols.keySet()
                    + " but the listeners are " + listeners.keySet() + ": every listener needs a protocol");
        }
        expectEnv(file, env, "KAFKA_INTER_BROKER_LISTENER_NAME", "INSIDE");
        expectEnv(file, env, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1");
        expectEnv(file, env, "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1");
        expectEnv(file, env, "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1");
        if (expected.kraft()) {
            expectEnv(file, env, "KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER");
            String voters = env.getOrDefault("KAFKA_CONTROLLER_QUORUM_VOTERS", "");
            if (!voters.matches("\\d+@[^:,]+:" + expected.controllerPort())) {
                violation(file, "KAFKA_CONTROLLER_QUORUM_VOTERS is '" + voters + "', expected <node id>@<host>:"
                        + expected.controllerPort());
            }
            if (env.getOrDefault("CLUSTER_ID", "").isBlank()) {
                violation(file, "CLUSTER_ID is empty: the apache/kafka image cannot format its storage without it");
            }
        } else {
            expectEnv(file, env, "KAFKA_ZOOKEEPER_CONNECT", "zookeeper:" + expected.zookeeperPort());
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

        checkPublishedPorts(file, ComposeProject.cast(ComposeProject.<Map<String, Object>>cast(raw.get("services")).get("kafka")), kafka);
        checkHealthcheck(file, kafka);
        checkNetwork(file, tree, kafka);
        checkVolume(file, tree, kafka, env.get("KAFKA_LOG_DIRS"));
    }

    private void checkPublishedPorts(String file, Map<String, Object> rawKafka, Map<String, Object> kafka) {
        List<Object> rawPorts = ComposeProject.cast(rawKafka.get("ports"));
        if (rawPorts == null || rawPorts.size() != 1 || !PUBLISHED_OUTSIDE_PORT.equals(String.valueOf(rawPorts.get(0)))) {
            violation(file, "kafka.ports is " + rawPorts + ", expected exactly [\"" + PUBLISHED_OUTSIDE_PORT
                    + "\"]: only OUTSIDE is published, with the advertised number on both sides, on the host"
                    + " interface .env chooses");
            return;
        }
        String bind = compose.env().getOrDefault("KAFKA_OUTSIDE_BIND", "127.0.0.1");
        String wanted = bind + ":" + expected.outsidePort() + ":" + expected.outsidePort();
        List<Object> ports = ComposeProject.cast(kafka.get("ports"));
        if (!wanted.equals(String.valueOf(ports.get(0)))) {
            violation(file, "kafka.ports becomes " + ports.get(0) + " with .env, expected " + wanted);
        }
        if (!"127.0.0.1".equals(bind)) {
            violation(".env", "KAFKA_OUTSIDE_BIND is '" + bind + "': by default the broker is published on loopback only");
        }
    }

    private void checkHealthcheck(String file, Map<String, Object> kafka) {
        Map<String, Object> healthcheck = ComposeProject.cast(kafka.get("healthcheck"));
        String test = healthcheck == null ? "" : String.valueOf(healthcheck.get("test"));
        if (!test.contains("kafka-broker-api-versions") || !test.contains(":" + expected.insidePort())) {
            violation(file, "kafka.healthcheck.test is '" + test + "', expected the broker's own CLI"
                    + " (kafka-broker-api-versions) against the INSIDE port " + expected.insidePort());
        }
    }

    private void checkNetwork(String file, Map<String, Object> tree, Map<String, Object> kafka) {
        List<Object> networks = ComposeProject.cast(kafka.get("networks"));
        Map<String, Object> declared = ComposeProject.cast(tree.get("networks"));
        if (networks == null || networks.size() != 1 || declared == null || !declared.containsKey(String.valueOf(networks.get(0)))) {
            violation(file, "kafka.networks is " + networks + ", expected one network declared at the top level");
            return;
        }
        Map<String, Object> network = ComposeProject.cast(declared.get(String.valueOf(networks.get(0))));
        if (network == null || String.valueOf(network.get("name")).isBlank() || network.get("name") == null) {
            violation(file, "network " + networks.get(0) + " has no fixed 'name:', so another compose project cannot join it");
        }
    }

    private void checkVolume(String file, Map<String, Object> tree, Map<String, Object> kafka, String logDirs) {
        List<Object> volumes = ComposeProject.cast(kafka.get("volumes"));
        Map<String, Object> declared = ComposeProject.cast(tree.get("volumes"));
        boolean found = false;
        if (volumes != null && declared != null) {
            for (Object volume : volumes) {
                String[] parts = String.valueOf(volume).split(":");
                found |= parts.length >= 2 && declared.containsKey(parts[0]) && parts[1].equals(logDirs);
            }
        }
        if (!found) {
            violation(file, "kafka.volumes is " + volumes + ": expected a named volume mounted at KAFKA_LOG_DIRS ("
                    + logDirs + ") so the broker's data outlives the container");
        }
    }

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
        Map<String, Object> brokerServices = ComposeProject.cast(compose.interpolated(ComposeProject.BROKER_FILE).get("services"));
        Map<String, Object> brokerKafka = brokerServices == null ? null : ComposeProject.cast(brokerServices.get("kafka"));
        Object brokerNetworks = brokerKafka == null ? null : brokerKafka.get("networks");
        for (String app : List.of("web", "consumer")) {
            Map<String, Object> service = compose.service(file, app);
            Map<String, String> env = ComposeProject.environment(service);
            expectEnv(file + " " + app, env, "KAFKA_BOOTSTRAP_SERVERS", "kafka:" + expected.insidePort());
            expectEnv(file + " " + app, env, "CLICK_TOPIC", expected.topic());
            Map<String, Object> dependsOn = ComposeProject.cast(service.get("depends_on"));
            Map<String, Object> onKafka = dependsOn == null ? null : ComposeProject.cast(dependsOn.get("kafka"));
            if (onKafka == null || !"service_healthy".equals(onKafka.get("condition"))) {
                violation(file, app + ".depends_on is " + dependsOn + ", expected kafka with condition service_healthy");
            }
            if (!Objects.equals(service.get("networks"), brokerNetworks)) {
                violation(file, app + ".networks is " + service.get("networks") + ", expected the broker's " + brokerNetworks);
            }
        }
        Map<String, Object> web = compose.service(file, "web");
        String wantedWebPort = compose.env().getOrDefault("WEB_BIND", "127.0.0.1") + ":" + expected.webPort() + ":" + expected.webPort();
        List<Object> webPorts = ComposeProject.cast(web.get("ports"));
        if (webPorts == null || !webPorts.contains(wantedWebPort)) {
            violation(file, "web.ports is " + webPorts + ", expected " + wantedWebPort);
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

    private void expectEnv(String where, Map<String, String> env, String key, String wanted) {
        if (!wanted.equals(env.get(key))) {
            violation(where, key + " is '" + env.get(key) + "', expected '" + wanted + "'");
        }
    }

    private void violation(String where, String what) {
        violations.add(where + ": " + what);
    }
}
