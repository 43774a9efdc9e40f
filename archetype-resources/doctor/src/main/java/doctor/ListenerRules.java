package ${package}.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;

/**
 * The listener settings one broker node must have, from where it listens: the rules of
 * {@value #STATEMENT} (the one statement of them) filled in with a layout. The doctor checks compose files
 * against {@link #composeEnvironment()}; the embedded broker of the dev module writes
 * {@link #brokerSettings(String, String, String)} into its server.properties.
 *
 * @param controllerPort the KRaft controller's port; empty in ZooKeeper mode, where the node has no
 *                       controller listener
 */
public record ListenerRules(ListenerDiagnosis.Layout layout, OptionalInt controllerPort) {

    public static final String INSIDE = "INSIDE";
    public static final String OUTSIDE = "OUTSIDE";
    public static final String CONTROLLER = "CONTROLLER";
    /** Where a container binds its listeners: every interface, or the published port finds nothing. */
    public static final String EVERY_INTERFACE = "0.0.0.0";
    /** Where compose publishes the OUTSIDE port unless .env says otherwise. */
    public static final String LOOPBACK = "127.0.0.1";
    /** The resource that states the rules, shared with the archetype's own contract check. */
    public static final String STATEMENT = "listener-rules.properties";

    private static final String KRAFT_SUFFIX = ".kraft";
    private static final String PUBLISHED_PORT = "published.port";

    public static ListenerRules kraft(ListenerDiagnosis.Layout layout, int controllerPort) {
        return new ListenerRules(layout, OptionalInt.of(controllerPort));
    }

    public static ListenerRules zookeeper(ListenerDiagnosis.Layout layout) {
        return new ListenerRules(layout, OptionalInt.empty());
    }

    /**
     * The listener settings of the broker, by Kafka name ({@code listeners}, {@code advertised.listeners},
     * {@code listener.security.protocol.map}, {@code inter.broker.listener.name}, and in KRaft mode
     * {@code controller.listener.names}).
     *
     * @param bindHost       the interface INSIDE and OUTSIDE bind
     * @param insideHost     the name INSIDE is advertised as: the service name under compose
     * @param controllerHost the interface CONTROLLER binds (unused in ZooKeeper mode)
     */
    public Map<String, String> brokerSettings(String bindHost, String insideHost, String controllerHost) {
        Map<String, String> values = Map.of(
                "bindHost", bindHost,
                "controllerHost", controllerHost,
                "insideHost", insideHost,
                "outsideHost", layout.outsideHost(),
                "insidePort", String.valueOf(layout.insidePort()),
                "outsidePort", String.valueOf(layout.outsidePort()),
                "controllerPort", controllerPort.isPresent() ? String.valueOf(controllerPort.getAsInt()) : "");
        Map<String, String> settings = new LinkedHashMap<>();
        for (String key : List.of("listeners", "advertised.listeners", "listener.security.protocol.map",
                "inter.broker.listener.name", "controller.listener.names")) {
            String value = rule(key);
            if (controllerPort.isPresent() && rule(key + KRAFT_SUFFIX) != null) {
                value = value == null ? rule(key + KRAFT_SUFFIX) : value + "," + rule(key + KRAFT_SUFFIX);
            }
            if (value != null) {
                settings.put(key, fill(value, values));
            }
        }
        return settings;
    }

    /** The same settings as docker-compose.broker.yml writes them: KAFKA_ names, every interface, the service name. */
    public Map<String, String> composeEnvironment() {
        Map<String, String> environment = new LinkedHashMap<>();
        brokerSettings(EVERY_INTERFACE, layout.service(), EVERY_INTERFACE)
                .forEach((key, value) -> environment.put(composeName(key), value));
        return environment;
    }

    /** The one published port of the broker service, e.g. {@code 127.0.0.1:P:P} for a loopback {@code publishHost}. */
    public String publishedPort(String publishHost) {
        return fill(rule(PUBLISHED_PORT), Map.of("publishHost", publishHost,
                "outsidePort", String.valueOf(layout.outsidePort())));
    }

    /** The environment variable the Kafka images turn into a setting: {@code listeners} is {@code KAFKA_LISTENERS}. */
    public static String composeName(String setting) {
        return "KAFKA_" + setting.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    private static String rule(String key) {
        return Statement.RULES.getProperty(key);
    }

    private static String fill(String template, Map<String, String> values) {
        String filled = template;
        for (Map.Entry<String, String> value : values.entrySet()) {
            filled = filled.replace("{" + value.getKey() + "}", value.getValue());
        }
        if (filled.contains("{")) {
            throw new IllegalStateException(STATEMENT + " uses a placeholder this class does not fill: " + template);
        }
        return filled;
    }

    /** Loaded once, on first use. */
    private static final class Statement {
        static final Properties RULES = load();

        private static Properties load() {
            Properties rules = new Properties();
            try (InputStream in = ListenerRules.class.getResourceAsStream("/" + STATEMENT)) {
                if (in == null) {
                    throw new IllegalStateException(STATEMENT + " is not on the classpath");
                }
                rules.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return rules;
        }
    }
}
