package ${package}.doctor;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The listener settings of the broker service in docker-compose.broker.yml, as compose sees them (the YAML
 * parsed, then interpolated with {@code .env} and the process environment), checked against
 * {@link ListenerRules}.
 *
 * <p>The network checks of the doctor only see what the broker advertises to the listener they reached;
 * this file shows the other side too (from the host it catches an INSIDE listener advertised as
 * localhost, which only containers would notice), and a broker that does not start at all.
 */
public final class BrokerComposeFile {

    public static final String FILE_NAME = "docker-compose.broker.yml";

    private static final String LISTENERS = "KAFKA_LISTENERS";
    private static final String ADVERTISED = "KAFKA_ADVERTISED_LISTENERS";
    private static final String PROTOCOL_MAP = "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP";

    private final Path file;
    private final Map<String, String> environment;
    private final List<String> ports;
    private final ListenerRules rules;
    private final Set<String> unsetVariables;

    BrokerComposeFile(Path file, Map<String, String> environment, List<String> ports, ListenerRules rules,
                      Set<String> unsetVariables) {
        this.file = file;
        this.environment = environment;
        this.ports = ports;
        this.rules = rules;
        this.unsetVariables = unsetVariables;
    }

    /** The compose file in {@code dir} or its parent (the doctor may run from a module), if there is one. */
    public static Optional<BrokerComposeFile> find(Path dir, Map<String, String> processEnvironment) throws IOException {
        Path here = dir.toAbsolutePath();
        for (Path candidate : new Path[] {here, here.getParent()}) {
            if (candidate != null && Files.isRegularFile(candidate.resolve(FILE_NAME))) {
                return Optional.of(read(candidate, processEnvironment));
            }
        }
        return Optional.empty();
    }

    /**
     * Reads the compose file and {@code .env} of a project directory; the process environment wins over
     * {@code .env}, as in compose.
     *
     * @throws IOException when the file cannot be read, is not YAML, or compose would refuse its variables
     */
    public static BrokerComposeFile read(Path projectDir, Map<String, String> processEnvironment) throws IOException {
        Map<String, String> variables = DotEnv.composeVariables(projectDir, processEnvironment);
        Path file = projectDir.resolve(FILE_NAME);
        ListenerDiagnosis.Layout layout = ListenerDiagnosis.Layout.GENERATED.with(variables);
        Map<?, ?> service;
        try {
            Object tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
            Map<?, ?> services = tree instanceof Map<?, ?> top && top.get("services") instanceof Map<?, ?> all ? all : Map.of();
            service = services.get(layout.service()) instanceof Map<?, ?> broker ? broker : Map.of();
        } catch (YAMLException e) {
            throw new IOException(file + " is not valid YAML: " + e.getMessage(), e);
        }
        ComposeInterpolation interpolation = new ComposeInterpolation(variables);
        try {
            Map<String, String> environment = environment(service.get("environment"), interpolation);
            List<String> ports = new ArrayList<>();
            if (service.get("ports") instanceof List<?> list) {
                for (Object entry : list) {
                    ports.add(port(entry, interpolation));
                }
            }
            return new BrokerComposeFile(file, environment, ports, rules(layout, environment, variables),
                    interpolation.missing());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": compose would refuse it: " + e.getMessage(), e);
        }
    }

    /** The service's environment in either form compose allows: a mapping, or a list of NAME=value. */
    private static Map<String, String> environment(Object node, ComposeInterpolation interpolation) {
        Map<String, String> environment = new LinkedHashMap<>();
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> environment.put(String.valueOf(key),
                    value == null ? "" : interpolation.apply(String.valueOf(value))));
        } else if (node instanceof List<?> list) {
            for (Object item : list) {
                String pair = interpolation.apply(String.valueOf(item));
                int equals = pair.indexOf('=');
                if (equals > 0) {
                    environment.put(pair.substring(0, equals), pair.substring(equals + 1));
                }
            }
        }
        return environment;
    }

    /** A port entry as [host_ip:]published:target, from the short or the long form. */
    private static String port(Object entry, ComposeInterpolation interpolation) {
        if (entry instanceof Map<?, ?> longForm) {
            Object hostIp = longForm.get("host_ip");
            Object published = longForm.get("published");
            return (hostIp == null ? "" : interpolation.apply(String.valueOf(hostIp)) + ":")
                    + (published == null ? "" : interpolation.apply(String.valueOf(published)) + ":")
                    + interpolation.apply(String.valueOf(longForm.get("target")));
        }
        return interpolation.apply(String.valueOf(entry));
    }

    /** KRaft mode when the node has process roles; the controller port from its CONTROLLER listener, or .env. */
    private static ListenerRules rules(ListenerDiagnosis.Layout layout, Map<String, String> environment,
                                       Map<String, String> variables) {
        if (!environment.containsKey("KAFKA_PROCESS_ROLES")) {
            return ListenerRules.zookeeper(layout);
        }
        BrokerAddress controller = listeners(environment.get(LISTENERS)).get(ListenerRules.CONTROLLER);
        return ListenerRules.kraft(layout, controller != null ? controller.port()
                : number(variables.get("KAFKA_CONTROLLER_PORT")).orElse(${kafkaControllerPort}));
    }

    public Path file() {
        return file;
    }

    public ListenerDiagnosis.Layout layout() {
        return rules.layout();
    }

    public ListenerRules rules() {
        return rules;
    }

    public Map<String, String> environment() {
        return environment;
    }

    /** Every way the file breaks the listener rules; empty when it keeps them. */
    public List<ListenerDiagnosis.Finding> findings() {
        List<ListenerDiagnosis.Finding> findings = new ArrayList<>();
        ListenerDiagnosis.Layout layout = rules.layout();
        if (environment.isEmpty()) {
            findings.add(new ListenerDiagnosis.Finding("found no environment for the " + layout.service()
                    + " service in " + file, "keep the broker's settings under services: " + layout.service()
                    + ": environment: as generated"));
            return findings;
        }
        for (String variable : unsetVariables) {
            findings.add(new ListenerDiagnosis.Finding(variable + " is set neither in .env nor in the environment,"
                    + " so compose puts an empty string where " + FILE_NAME + " uses it.", "set " + variable + " in .env"));
        }
        Map<String, String> wanted = rules.composeEnvironment();
        Map<String, BrokerAddress> wantedBind = listeners(wanted.get(LISTENERS));
        Map<String, BrokerAddress> wantedAdvertised = listeners(wanted.get(ADVERTISED));
        Map<String, String> wantedProtocols = protocols(wanted.get(PROTOCOL_MAP));
        Map<String, BrokerAddress> bound = listeners(environment.get(LISTENERS));
        Map<String, BrokerAddress> advertised = listeners(environment.get(ADVERTISED));

        Set<String> named = new LinkedHashSet<>(bound.keySet());
        named.addAll(advertised.keySet());
        named.addAll(split(environment.get("KAFKA_INTER_BROKER_LISTENER_NAME")));
        named.addAll(split(environment.get("KAFKA_CONTROLLER_LISTENER_NAMES")));
        Map<String, String> mapped = protocols(environment.get(PROTOCOL_MAP));
        for (String name : named) {
            if (!mapped.containsKey(name)) {
                findings.add(new ListenerDiagnosis.Finding("listener " + name + " is missing from " + PROTOCOL_MAP
                        + ": the broker will not start.", "add " + name + ":"
                        + wantedProtocols.getOrDefault(name, "PLAINTEXT") + " to " + PROTOCOL_MAP));
            }
        }

        wantedBind.forEach((name, want) -> {
            BrokerAddress bind = bound.get(name);
            if (bind == null) {
                findings.add(new ListenerDiagnosis.Finding(LISTENERS + " has no " + name + " listener.",
                        "add " + name + "://" + want + " to " + LISTENERS));
            } else if (bind.isLoopback()) {
                findings.add(new ListenerDiagnosis.Finding(LISTENERS + " binds " + name + " to " + bind.host()
                        + ", the container's own loopback: "
                        + (name.equals(ListenerRules.OUTSIDE) ? "the published port" : "other containers")
                        + " cannot reach it.",
                        "bind every interface: " + name + "://" + ListenerRules.EVERY_INTERFACE + ":" + bind.port()
                                + " in " + LISTENERS));
            }
        });
        wantedAdvertised.forEach((name, want) -> {
            BrokerAddress told = advertised.get(name);
            BrokerAddress bind = bound.get(name);
            if (told == null) {
                findings.add(new ListenerDiagnosis.Finding(ADVERTISED + " has no " + name + " address.",
                        "add " + name + "://" + want + " to " + ADVERTISED));
            } else if (bind != null && bind.port() != told.port()) {
                findings.add(new ListenerDiagnosis.Finding(name + " listens on port " + bind.port()
                        + " but is advertised with port " + told.port() + ".",
                        "use the same port for " + name + " in " + LISTENERS + " and " + ADVERTISED));
            } else if (!told.equals(want)) {
                findings.add(advertisedElsewhere(name, told, want));
            }
        });
        for (String key : List.of("KAFKA_INTER_BROKER_LISTENER_NAME", "KAFKA_CONTROLLER_LISTENER_NAMES")) {
            String want = wanted.get(key);
            if (want != null && !want.equals(environment.getOrDefault(key, "").strip())) {
                findings.add(new ListenerDiagnosis.Finding(key + " is '" + environment.getOrDefault(key, "")
                        + "', not " + want + ".", "set " + key + " to " + want));
            }
        }
        BrokerAddress outside = advertised.get(ListenerRules.OUTSIDE);
        if (outside != null) {
            findings.addAll(publishedPortFindings(outside, bound.get(ListenerRules.OUTSIDE)));
        }
        return findings;
    }

    /** An advertised address other than the rules': the sentence says who cannot connect, and why. */
    private ListenerDiagnosis.Finding advertisedElsewhere(String name, BrokerAddress told, BrokerAddress want) {
        String service = rules.layout().service();
        String fix = "set " + name + " in " + ADVERTISED + " to " + name + "://" + want;
        if (name.equals(ListenerRules.INSIDE)) {
            return new ListenerDiagnosis.Finding("INSIDE is advertised as " + told
                    + (told.isLoopback() ? ": a container that connects there reaches itself, not the broker."
                    : ": containers on the compose network know the broker as " + want + "."), fix);
        }
        if (name.equals(ListenerRules.OUTSIDE) && told.host().equals(service)) {
            return new ListenerDiagnosis.Finding("OUTSIDE is advertised as " + told + ", and " + service
                    + " resolves only on the compose network, not on the host.", fix + " (KAFKA_OUTSIDE_HOST in .env)");
        }
        return new ListenerDiagnosis.Finding(name + " is advertised as " + told + ", not " + want
                + " as .env says.", fix + " (the values come from .env)");
    }

    private List<ListenerDiagnosis.Finding> publishedPortFindings(BrokerAddress outside, BrokerAddress bind) {
        int containerPort = bind == null ? outside.port() : bind.port();
        String wanted = "\"" + rules.publishedPort(ListenerRules.LOOPBACK) + "\"";
        for (String entry : ports) {
            String[] parts = entry.replaceAll("/(tcp|udp)$", "").split(":");
            OptionalInt target = number(parts[parts.length - 1]);
            OptionalInt published = parts.length < 2 ? target : number(parts[parts.length - 2]);
            if (target.isEmpty() || published.isEmpty() || target.getAsInt() != containerPort) {
                continue;
            }
            if (published.getAsInt() != outside.port()) {
                return List.of(new ListenerDiagnosis.Finding("the host port " + published.getAsInt()
                        + " is published to the broker's port " + containerPort + ", but OUTSIDE is advertised as "
                        + outside + ": a client on the host bootstraps on " + published.getAsInt()
                        + " and is then sent to " + outside.port() + ".",
                        "publish the OUTSIDE port with the same number on both sides, " + wanted
                                + " (KAFKA_OUTSIDE_PORT in .env sets both)"));
            }
            return List.of();
        }
        return List.of(new ListenerDiagnosis.Finding("no published port reaches the OUTSIDE listener's port "
                + containerPort + ": clients on the host cannot connect.",
                "publish it under ports of the " + rules.layout().service() + " service: " + wanted));
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
                        ? new BrokerAddress(ListenerRules.EVERY_INTERFACE, Integer.parseInt(hostPort.substring(1)))
                        : BrokerAddress.parse(hostPort);
                listeners.put(item.substring(0, scheme).trim(), address);
            } catch (IllegalArgumentException e) {
                // An unparsable entry shows up as a missing listener, which names the fix.
            }
        }
        return listeners;
    }

    /** {@code NAME:PROTOCOL,...} to a map by listener name. */
    private static Map<String, String> protocols(String value) {
        Map<String, String> protocols = new LinkedHashMap<>();
        for (String pair : split(value)) {
            int colon = pair.indexOf(':');
            protocols.put(colon < 0 ? pair : pair.substring(0, colon).trim(), colon < 0 ? "" : pair.substring(colon + 1).trim());
        }
        return protocols;
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

    private static OptionalInt number(String value) {
        try {
            return value == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
