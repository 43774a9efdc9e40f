package ${package}.dev;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded broker is configured like the compose broker of this project: every setting of
 * docker-compose.broker.yml that is not about where a node listens (those follow the doctor's listener rules)
 * has the same value in each node's server.properties, and the node count is the compose file's.
 */
class BrokerSettingsTest {

    /** Where a node listens, its id and its data: per node and per machine, checked elsewhere or not at all. */
    private static final Set<String> PER_NODE = Set.of("node.id", "broker.id", "listeners", "advertised.listeners",
            "listener.security.protocol.map", "inter.broker.listener.name", "controller.listener.names",
            "controller.quorum.voters", "log.dirs", "zookeeper.connect");

    @TempDir
    Path dataDir;

    @Test
    void every_node_has_the_settings_of_the_compose_broker() throws IOException {
        List<Map<String, Object>> composeNodes = composeBrokerEnvironments();
        assertEquals(LocalKafkaBroker.NODES, composeNodes.size(),
                "docker-compose.broker.yml and the embedded broker must have the same number of nodes");
        BrokerSettings settings = BrokerSettings.forTests(dataDir);
        List<String> differences = new ArrayList<>();
        for (int node = 1; node <= LocalKafkaBroker.NODES; node++) {
            Properties embedded = new Properties();
            embedded.load(new StringReader(settings.serverProperties(node)));
            for (Map.Entry<String, Object> variable : composeNodes.get(node - 1).entrySet()) {
                String setting = settingOf(variable.getKey());
                if (setting == null || PER_NODE.contains(setting)) {
                    continue;
                }
                String wanted = String.valueOf(variable.getValue());
                if (!wanted.equals(embedded.getProperty(setting))) {
                    differences.add("node " + node + ": " + setting + " is " + embedded.getProperty(setting)
                            + ", docker-compose.broker.yml says " + wanted);
                }
            }
        }
        assertTrue(differences.isEmpty(), String.join("\n", differences));
    }

    @Test
    void topics_are_never_created_on_first_use_and_every_node_is_a_voter() throws IOException {
        BrokerSettings settings = BrokerSettings.forTests(dataDir);
        for (int node = 1; node <= LocalKafkaBroker.NODES; node++) {
            Properties embedded = new Properties();
            embedded.load(new StringReader(settings.serverProperties(node)));
            assertEquals("false", embedded.getProperty("auto.create.topics.enable"));
            assertEquals(String.valueOf(node), embedded.getProperty("node.id"));
            assertEquals(LocalKafkaBroker.NODES, embedded.getProperty("controller.quorum.voters").split(",").length);
            assertEquals(String.valueOf(LocalKafkaBroker.NODES), embedded.getProperty("default.replication.factor"));
        }
    }

    @Test
    void dev_mode_gives_node_n_each_generated_port_plus_100_times_n_minus_1() {
        BrokerSettings settings = BrokerSettings.forDevMode(dataDir);
        for (int node = 1; node <= LocalKafkaBroker.NODES; node++) {
            BrokerListeners listeners = settings.listeners(node);
            int step = 100 * (node - 1);
            assertEquals(LocalKafkaBroker.OUTSIDE_PORT + step, listeners.outsidePort());
            assertEquals(LocalKafkaBroker.INSIDE_PORT + step, listeners.insidePort());
            assertEquals(LocalKafkaBroker.CONTROLLER_PORT + step, listeners.controllerPort());
        }
        Set<Path> nodeDirs = new HashSet<>();
        for (int node = 1; node <= LocalKafkaBroker.NODES; node++) {
            nodeDirs.add(settings.nodeDir(node));
        }
        assertEquals(LocalKafkaBroker.NODES, nodeDirs.size(), "each node needs a data directory of its own");
    }

    /** KAFKA_FOO_BAR is foo.bar, as the Kafka images read it; other variables are no broker setting. */
    private static String settingOf(String variable) {
        return variable.startsWith("KAFKA_") ? variable.substring(6).toLowerCase(Locale.ROOT).replace('_', '.') : null;
    }

    /** The environment of each broker service (kafka, or kafka-1, kafka-2, ...), in node order. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> composeBrokerEnvironments() throws IOException {
        Path file = Path.of(System.getProperty("user.dir")).resolve("../docker-compose.broker.yml");
        Map<String, Object> compose = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        List<Map<String, Object>> environments = new ArrayList<>();
        services.keySet().stream().filter(name -> name.matches("kafka(-[0-9]+)?")).sorted()
                .forEach(name -> environments.add(
                        (Map<String, Object>) ((Map<String, Object>) services.get(name)).get("environment")));
        return environments;
    }
}
