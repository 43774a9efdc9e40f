package ${package}.shared;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The listener settings of the {@code kafka} service in docker-compose.broker.yml, with the values of
 * {@code .env} filled in as compose does, and the mistakes that break clients on one side of the network.
 *
 * <p>The network checks of the doctor only see what the broker advertises to the listener they reached;
 * this file shows the other side too (from the host it catches an INSIDE listener advertised as
 * localhost, which only containers would notice), and a broker that does not start at all. It reads the
 * file line by line, as generated (no YAML library in the apps' images).
 */
public final class BrokerComposeFile {

    public static final String FILE_NAME = "docker-compose.broker.yml";

    /**
     * A compose variable reference: NAME, NAME:-default or NAME-default in dollar-braces, a bare dollar-NAME,
     * or two dollars for one.
     */
    private static final Pattern VARIABLE =
            Pattern.compile("\\$(?:\\$|\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\\}|([A-Za-z_][A-Za-z0-9_]*))");
    private static final Pattern MAP_ENTRY = Pattern.compile("^\\s+([A-Z][A-Z0-9_]*):\\s*(.*?)\\s*$");
    private static final Pattern LIST_ENTRY = Pattern.compile("^\\s+-\\s+(.*?)\\s*$");

    private final Path file;
    private final Map<String, String> environment;
    private final List<String> ports;
    private final ListenerDiagnosis.Layout layout;

    BrokerComposeFile(Path file, Map<String, String> environment, List<String> ports, ListenerDiagnosis.Layout layout) {
        this.file = file;
        this.environment = environment;
        this.ports = ports;
        this.layout = layout;
    }

    /** The compose file in {@code dir} or its parent (the doctor may run from a module), if there is one. */
    public static Optional<BrokerComposeFile> find(Path dir, Map<String, String> processEnvironment) throws IOException {
        for (Path candidate = dir.toAbsolutePath(); candidate != null; candidate = candidate.getParent()) {
            if (Files.isRegularFile(candidate.resolve(FILE_NAME))) {
                return Optional.of(read(candidate, processEnvironment));
            }
            if (!candidate.equals(dir.toAbsolutePath())) {
                break;
            }
        }
        return Optional.empty();
    }

    /** Reads the compose file and .env of a project directory; the process environment wins over .env, as in compose. */
    public static BrokerComposeFile read(Path projectDir, Map<String, String> processEnvironment) throws IOException {
        Map<String, String> variables = new LinkedHashMap<>();
        Path envFile = projectDir.resolve(".env");
        if (Files.isRegularFile(envFile)) {
            variables.putAll(parseEnvFile(Files.readAllLines(envFile)));
        }
        variables.putAll(processEnvironment);
        Function<String, String> substitute = text -> substitute(text, variables);

        Map<String, String> environment = new LinkedHashMap<>();
        List<String> ports = new ArrayList<>();
        String block = null;
        boolean inKafka = false;
        for (String line : Files.readAllLines(projectDir.resolve(FILE_NAME))) {
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            int indent = line.length() - line.stripLeading().length();
            if (indent <= 2) {
                inKafka = indent == 2 && line.strip().equals("kafka:");
                block = null;
                continue;
            }
            if (!inKafka) {
                continue;
            }
            if (indent == 4) {
                block = line.strip();
                continue;
            }
            if ("environment:".equals(block)) {
                Matcher entry = MAP_ENTRY.matcher(line);
                Matcher item = LIST_ENTRY.matcher(line);
                if (entry.matches()) {
                    environment.put(entry.group(1), substitute.apply(unquote(entry.group(2))));
                } else if (item.matches() && item.group(1).contains("=")) {
                    String pair = unquote(item.group(1));
                    environment.put(pair.substring(0, pair.indexOf('=')), substitute.apply(pair.substring(pair.indexOf('=') + 1)));
                }
            } else if ("ports:".equals(block)) {
                Matcher item = LIST_ENTRY.matcher(line);
                if (item.matches()) {
                    ports.add(substitute.apply(unquote(item.group(1))));
                }
            }
        }
        return new BrokerComposeFile(projectDir.resolve(FILE_NAME), environment, ports,
                ListenerDiagnosis.Layout.GENERATED.with(variables));
    }

    public Path file() {
        return file;
    }

    public ListenerDiagnosis.Layout layout() {
        return layout;
    }

    public Map<String, String> environment() {
        return environment;
    }

    /** Every listener mistake in the file; empty when the listener contract holds. */
    public List<ListenerDiagnosis.Finding> findings() {
        List<ListenerDiagnosis.Finding> findings = new ArrayList<>();
        if (environment.isEmpty()) {
            findings.add(new ListenerDiagnosis.Finding("found no environment for the kafka service in " + file,
                    "keep the broker's settings under services: kafka: environment: as generated"));
            return findings;
        }
        Map<String, BrokerAddress> bound = listeners(environment.get("KAFKA_LISTENERS"));
        Map<String, BrokerAddress> advertised = listeners(environment.get("KAFKA_ADVERTISED_LISTENERS"));
        Set<String> mapped = new LinkedHashSet<>();
        for (String pair : split(environment.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"))) {
            mapped.add(pair.contains(":") ? pair.substring(0, pair.indexOf(':')).trim() : pair.trim());
        }
        Set<String> named = new LinkedHashSet<>(bound.keySet());
        named.addAll(advertised.keySet());
        named.addAll(split(environment.get("KAFKA_INTER_BROKER_LISTENER_NAME")));
        named.addAll(split(environment.get("KAFKA_CONTROLLER_LISTENER_NAMES")));
        for (String name : named) {
            if (!mapped.contains(name)) {
                findings.add(new ListenerDiagnosis.Finding("listener " + name
                        + " is missing from KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: the broker will not start.",
                        "add " + name + ":PLAINTEXT to KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"));
            }
        }

        for (String name : List.of("INSIDE", "OUTSIDE")) {
            BrokerAddress bind = bound.get(name);
            if (bind == null) {
                findings.add(new ListenerDiagnosis.Finding("KAFKA_LISTENERS has no " + name + " listener.",
                        "add " + name + "://0.0.0.0:" + (name.equals("INSIDE") ? layout.insidePort() : layout.outsidePort())
                                + " to KAFKA_LISTENERS"));
            } else if (bind.isLoopback()) {
                findings.add(new ListenerDiagnosis.Finding("KAFKA_LISTENERS binds " + name + " to " + bind.host()
                        + ", the container's own loopback: "
                        + (name.equals("OUTSIDE") ? "the published port" : "other containers") + " cannot reach it.",
                        "bind every interface: " + name + "://0.0.0.0:" + bind.port() + " in KAFKA_LISTENERS"));
            }
            BrokerAddress told = advertised.get(name);
            if (told == null) {
                findings.add(new ListenerDiagnosis.Finding("KAFKA_ADVERTISED_LISTENERS has no " + name + " address.",
                        "add " + name + "://" + (name.equals("INSIDE") ? layout.inside() : layout.outside())
                                + " to KAFKA_ADVERTISED_LISTENERS"));
                continue;
            }
            if (bind != null && bind.port() != told.port()) {
                findings.add(new ListenerDiagnosis.Finding(name + " listens on port " + bind.port()
                        + " but is advertised with port " + told.port() + ".",
                        "use the same port for " + name + " in KAFKA_LISTENERS and KAFKA_ADVERTISED_LISTENERS"));
            }
        }
        BrokerAddress inside = advertised.get("INSIDE");
        if (inside != null && !inside.host().equals(layout.service())) {
            findings.add(new ListenerDiagnosis.Finding("INSIDE is advertised as " + inside
                    + (inside.isLoopback() ? ": a container that connects there reaches itself, not the broker."
                    : ": containers on the compose network know the broker as " + layout.service() + "."),
                    "set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + layout.service() + ":" + inside.port()));
        }
        BrokerAddress outside = advertised.get("OUTSIDE");
        if (outside != null && outside.host().equals(layout.service())) {
            findings.add(new ListenerDiagnosis.Finding("OUTSIDE is advertised as " + outside + ", and "
                    + layout.service() + " resolves only on the compose network, not on the host.",
                    "set OUTSIDE in KAFKA_ADVERTISED_LISTENERS to OUTSIDE://" + layout.outsideHost() + ":" + outside.port()
                            + " (KAFKA_OUTSIDE_HOST in .env)"));
        }
        if (outside != null) {
            findings.addAll(publishedPortFindings(outside, bound.get("OUTSIDE")));
        }
        return findings;
    }

    private List<ListenerDiagnosis.Finding> publishedPortFindings(BrokerAddress outside, BrokerAddress bind) {
        int containerPort = bind == null ? outside.port() : bind.port();
        String wanted = "\"127.0.0.1:" + outside.port() + ":" + outside.port() + "\"";
        for (String entry : ports) {
            String[] parts = entry.replaceAll("/(tcp|udp)$", "").split(":");
            if (parts.length < 2) {
                continue;
            }
            int target = Integer.parseInt(parts[parts.length - 1].trim());
            int published = Integer.parseInt(parts[parts.length - 2].trim());
            if (target == containerPort) {
                if (published != outside.port()) {
                    return List.of(new ListenerDiagnosis.Finding("the host port " + published
                            + " is published to the broker's port " + target + ", but OUTSIDE is advertised as "
                            + outside + ": a client on the host bootstraps on " + published
                            + " and is then sent to " + outside.port() + ".",
                            "publish the OUTSIDE port with the same number on both sides, " + wanted
                                    + " (KAFKA_OUTSIDE_PORT in .env sets both)"));
                }
                return List.of();
            }
        }
        return List.of(new ListenerDiagnosis.Finding("no published port reaches the OUTSIDE listener's port "
                + containerPort + ": clients on the host cannot connect.",
                "publish it under ports of the kafka service: " + wanted));
    }

    /** {@code NAME://host:port,...} to a map by listener name; an empty host means every interface. */
    static Map<String, BrokerAddress> listeners(String value) {
        Map<String, BrokerAddress> listeners = new LinkedHashMap<>();
        for (String item : split(value)) {
            int scheme = item.indexOf("://");
            if (scheme < 0) {
                continue;
            }
            String hostPort = item.substring(scheme + 3);
            try {
                BrokerAddress address = hostPort.startsWith(":")
                        ? new BrokerAddress("0.0.0.0", Integer.parseInt(hostPort.substring(1)))
                        : BrokerAddress.parse(hostPort);
                listeners.put(item.substring(0, scheme).trim(), address);
            } catch (IllegalArgumentException e) {
                // An unparsable entry shows up as a missing listener, which names the fix.
            }
        }
        return listeners;
    }

    private static List<String> split(String value) {
        List<String> items = new ArrayList<>();
        if (value != null) {
            for (String item : value.split(",")) {
                if (!item.isBlank()) {
                    items.add(item.trim());
                }
            }
        }
        return items;
    }

    static Map<String, String> parseEnvFile(List<String> lines) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : lines) {
            String trimmed = line.strip();
            int equals = trimmed.indexOf('=');
            if (trimmed.isEmpty() || trimmed.startsWith("#") || equals <= 0) {
                continue;
            }
            values.put(trimmed.substring(0, equals).strip(), unquote(trimmed.substring(equals + 1).strip()));
        }
        return values;
    }

    /** Compose's interpolation of variable references, with the same default rules. */
    static String substitute(String text, Map<String, String> variables) {
        Matcher matcher = VARIABLE.matcher(text);
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            String replacement;
            if (matcher.group().equals("$" + "$")) {
                replacement = "$";
            } else {
                String name = matcher.group(1) != null ? matcher.group(1) : matcher.group(4);
                String value = variables.get(name);
                String operator = matcher.group(2);
                boolean useDefault = operator != null
                        && (value == null || (operator.equals(":-") && value.isEmpty()));
                replacement = useDefault ? matcher.group(3) : value == null ? "" : value;
            }
            matcher.appendReplacement(result, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(result);
        return result.toString();
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                || value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }
}
