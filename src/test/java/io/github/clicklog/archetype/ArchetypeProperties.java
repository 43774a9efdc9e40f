package io.github.clicklog.archetype;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The values of one generation: the descriptor's defaults (read from archetype-metadata.xml, never copied
 * here) overlaid with what the user passed, as the archetype plugin resolves them in batch mode.
 */
public final class ArchetypeProperties {
    /** The properties that hold a port, in the order the post-generate script checks them. */
    public static final List<String> PORT_PROPERTIES =
            List.of("kafkaOutsidePort", "kafkaInsidePort", "kafkaControllerPort", "zookeeperPort", "webPort",
                    "consumerPort", "webManagementPort");

    private static final String DESCRIPTOR = "META-INF/maven/archetype-metadata.xml";
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z][A-Za-z0-9]*)}");

    private final Map<String, String> values;

    private ArchetypeProperties(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /** Defaults of the descriptor, overlaid with {@code given} (which must hold groupId and artifactId). */
    public static ArchetypeProperties of(Map<String, String> given) {
        Map<String, String> resolved = new LinkedHashMap<>(given);
        descriptorDefaults().forEach((key, defaultValue) -> {
            if (!resolved.containsKey(key)) {
                resolved.put(key, substitute(defaultValue, resolved));
            }
        });
        return new ArchetypeProperties(resolved);
    }

    /** Reads an IT's archetype.properties (the -D values of its archetype:generate). */
    public static ArchetypeProperties load(Path propertiesFile) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(propertiesFile)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> given = new LinkedHashMap<>();
        properties.stringPropertyNames().forEach(name -> given.put(name, properties.getProperty(name)));
        return of(given);
    }

    /** The required properties of the descriptor with their default values, in descriptor order. */
    public static Map<String, String> descriptorDefaults() {
        try (InputStream in = ArchetypeProperties.class.getClassLoader().getResourceAsStream(DESCRIPTOR)) {
            if (in == null) {
                throw new IllegalStateException(DESCRIPTOR + " is not on the class path: run the tests through Maven,"
                        + " which puts target/classes there");
            }
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            Document document = factory.newDocumentBuilder().parse(in);
            Map<String, String> defaults = new LinkedHashMap<>();
            NodeList properties = document.getElementsByTagNameNS("*", "requiredProperty");
            for (int i = 0; i < properties.getLength(); i++) {
                Element property = (Element) properties.item(i);
                NodeList defaultValue = property.getElementsByTagNameNS("*", "defaultValue");
                defaults.put(property.getAttribute("key"),
                        defaultValue.getLength() == 0 ? null : defaultValue.item(0).getTextContent().strip());
            }
            return defaults;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + DESCRIPTOR, e);
        }
    }

    private static String substitute(String value, Map<String, String> known) {
        if (value == null) {
            return null;
        }
        Matcher matcher = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String replacement = known.getOrDefault(matcher.group(1), matcher.group());
            matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        return matcher.appendTail(out).toString();
    }

    public String get(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("no archetype property " + name + " (have " + values.keySet() + ")");
        }
        return value;
    }

    public Map<String, String> asMap() {
        return values;
    }

    public Properties asProperties() {
        Properties properties = new Properties();
        properties.putAll(values);
        return properties;
    }

    public String artifactId() {
        return get("artifactId");
    }

    public String brokerMode() {
        return get("brokerMode");
    }

    public boolean kraft() {
        return "kraft".equals(brokerMode());
    }

    public int outsidePort() {
        return Integer.parseInt(get("kafkaOutsidePort"));
    }

    public int insidePort() {
        return Integer.parseInt(get("kafkaInsidePort"));
    }

    public int controllerPort() {
        return Integer.parseInt(get("kafkaControllerPort"));
    }

    public int zookeeperPort() {
        return Integer.parseInt(get("zookeeperPort"));
    }

    public int webPort() {
        return Integer.parseInt(get("webPort"));
    }

    public int consumerPort() {
        return Integer.parseInt(get("consumerPort"));
    }

    /** The web producer's management port (/metrics, the detailed /readyz): never published. */
    public int webManagementPort() {
        return Integer.parseInt(get("webManagementPort"));
    }

    public String outsideHost() {
        return get("kafkaOutsideHost");
    }

    public String topic() {
        return get("topic");
    }

    /** How many Kafka nodes: 1, or 3 for the KRaft cluster. */
    public int kafkaNodes() {
        return Integer.parseInt(get("kafkaNodes"));
    }

    public int partitions() {
        return Integer.parseInt(get("partitions"));
    }

    /** Node n (from 1) of a cluster uses each Kafka port + 100 * (n - 1), as the post-generate script says. */
    public int nodeOutsidePort(int node) {
        return outsidePort() + NODE_PORT_STEP * (node - 1);
    }

    /** The step between the nodes' ports; the post-generate script's ClicklogProperties.NODE_PORT_STEP. */
    public static final int NODE_PORT_STEP = 100;

    @Override
    public String toString() {
        return values.toString();
    }
}
