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
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The listener settings of the Kafka node services in docker-compose.broker.yml (one {@code kafka}, or the
 * nodes {@code kafka-1}, {@code kafka-2}, ... of a cluster), as compose sees them (the YAML parsed, then
 * interpolated with {@code .env} and the process environment), each checked against {@link ListenerRules}
 * with its own service name and OUTSIDE port; then what the nodes must not share, and the INSIDE bootstrap
 * list the apps of docker-compose.yml use.
 *
 * <p>The network checks of the doctor only see what the broker advertises to the listener they reached;
 * this file shows the other side too (from the host it catches an INSIDE listener advertised as
 * localhost, which only containers would notice), and a broker that does not start at all.
 */
public final class BrokerComposeFile {

    public static final String FILE_NAME = "docker-compose.broker.yml";
    /** The apps' compose file, which includes {@value #FILE_NAME}. */
    public static final String APP_FILE_NAME = "docker-compose.yml";

    private static final String LISTENERS = "KAFKA_LISTENERS";
    private static final String ADVERTISED = "KAFKA_ADVERTISED_LISTENERS";
    private static final String PROTOCOL_MAP = "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP";
    private static final String VOTERS = "KAFKA_CONTROLLER_QUORUM_VOTERS";
    /** A Kafka node's service: {@code kafka}, or {@code kafka-<n>} in a cluster. */
    private static final Pattern NODE_SERVICE = Pattern.compile("kafka(?:-([0-9]+))?");

    /**
     * One Kafka node service of the file.
     *
     * @param id    its node id (KAFKA_NODE_ID, or KAFKA_BROKER_ID in ZooKeeper mode)
     * @param rules the listener rules filled in with this node's service name and OUTSIDE port
     */
    public record Node(int id, Map<String, String> environment, List<String> ports, ListenerRules rules) {

        public String service() {
            return rules.layout().service();
        }

        public ListenerDiagnosis.Layout layout() {
            return rules.layout();
        }
    }

    private final Path file;
    private final List<Node> nodes;
    private final Set<String> unsetVariables;
    /** KAFKA_BOOTSTRAP_SERVERS of each app service of docker-compose.yml, when that file is there. */
    private final Map<String, String> appBootstrap;

    BrokerComposeFile(Path file, List<Node> nodes, Set<String> unsetVariables, Map<String, String> appBootstrap) {
        this.file = file;
        this.nodes = List.copyOf(nodes);
        this.unsetVariables = unsetVariables;
        this.appBootstrap = appBootstrap;
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
     * Reads the compose file and {@code .env} of a project directory, and docker-compose.yml when it is
     * there; the process environment wins over {@code .env}, as in compose.
     *
     * @throws IOException when the file cannot be read, is not YAML, or compose would refuse its variables
     */
    public static BrokerComposeFile read(Path projectDir, Map<String, String> processEnvironment) throws IOException {
        Map<String, String> variables = DotEnv.composeVariables(projectDir, processEnvironment);
        Path file = projectDir.resolve(FILE_NAME);
        ComposeInterpolation interpolation = new ComposeInterpolation(variables);
        try {
            // Sorted by the number in the name, so kafka-10 comes after kafka-9.
            Map<Integer, Map<?, ?>> services = new TreeMap<>();
            services(file).forEach((name, service) -> {
                Matcher node = NODE_SERVICE.matcher(String.valueOf(name));
                if (node.matches() && service instanceof Map<?, ?> map) {
                    services.put(node.group(1) == null ? 0 : Integer.parseInt(node.group(1)), map);
                }
            });
            List<Node> nodes = new ArrayList<>();
            for (Map.Entry<Integer, Map<?, ?>> entry : services.entrySet()) {
                String name = entry.getKey() == 0 ? "kafka" : "kafka-" + entry.getKey();
                Map<?, ?> service = entry.getValue();
                Map<String, String> environment = environment(service.get("environment"), interpolation);
                List<String> ports = new ArrayList<>();
                if (service.get("ports") instanceof List<?> list) {
                    for (Object entryPort : list) {
                        ports.add(port(entryPort, interpolation));
                    }
                }
                ListenerDiagnosis.Layout layout = ListenerDiagnosis.Layout.GENERATED_NODES.values().stream()
                        .filter(generated -> generated.service().equals(name)).findFirst()
                        .orElse(ListenerDiagnosis.Layout.GENERATED).forService(name, variables);
                int id = number(environment.getOrDefault("KAFKA_NODE_ID", environment.get("KAFKA_BROKER_ID")))
                        .orElse(Math.max(1, entry.getKey()));
                nodes.add(new Node(id, environment, ports, rules(layout, environment, variables)));
            }
            if (nodes.isEmpty()) {
                // No node service at all: one empty node under the generated name, whose finding names the fix.
                ListenerDiagnosis.Layout layout = ListenerDiagnosis.Layout.GENERATED.with(variables);
                nodes.add(new Node(1, Map.of(), List.of(), rules(layout, Map.of(), variables)));
            }
            Map<String, String> appBootstrap = new LinkedHashMap<>();
            Path appFile = projectDir.resolve(APP_FILE_NAME);
            if (Files.isRegularFile(appFile)) {
                services(appFile).forEach((name, service) -> {
                    if (service instanceof Map<?, ?> map) {
                        String bootstrap = environment(map.get("environment"), interpolation).get(BootstrapServers.ENV_VARIABLE);
                        if (bootstrap != null) {
                            appBootstrap.put(String.valueOf(name), bootstrap);
                        }
                    }
                });
            }
            return new BrokerComposeFile(file, nodes, interpolation.missing(), appBootstrap);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": compose would refuse it: " + e.getMessage(), e);
        }
    }

    /** The services of a compose file, parsed (YAML anchors and merge keys resolved) but not interpolated. */
    private static Map<?, ?> services(Path file) throws IOException {
        try {
            Object tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
            return tree instanceof Map<?, ?> top && top.get("services") instanceof Map<?, ?> all ? all : Map.of();
        } catch (YAMLException e) {
            throw new IOException(file + " is not valid YAML: " + e.getMessage(), e);
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

    /** The Kafka node services, in the order of their names (kafka-1, kafka-2, ...). */
    public List<Node> nodes() {
        return nodes;
    }

    /** Every node's layout by node id, for the network side of the doctor. */
    public Map<Integer, ListenerDiagnosis.Layout> layouts() {
        Map<Integer, ListenerDiagnosis.Layout> layouts = new LinkedHashMap<>();
        nodes.forEach(node -> layouts.putIfAbsent(node.id(), node.layout()));
        return layouts;
    }

    /** The first node's layout: the only one of a single node. */
    public ListenerDiagnosis.Layout layout() {
        return nodes.get(0).layout();
    }

    /** The first node's rules. */
    public ListenerRules rules() {
        return nodes.get(0).rules();
    }

    /** The first node's environment. */
    public Map<String, String> environment() {
        return nodes.get(0).environment();
    }

    private boolean cluster() {
        return nodes.size() > 1;
    }

    /** Every way the file breaks the listener rules; empty when it keeps them. */
    public List<ListenerDiagnosis.Finding> findings() {
        List<ListenerDiagnosis.Finding> findings = new ArrayList<>();
        for (Node node : nodes) {
            if (node.environment().isEmpty()) {
                // Nothing else can be checked without the node's settings.
                return nodeFindings(node);
            }
        }
        for (String variable : unsetVariables) {
            findings.add(new ListenerDiagnosis.Finding(variable + " is set neither in .env nor in the environment,"
                    + " so compose puts an empty string where " + FILE_NAME + " uses it.", "set " + variable + " in .env"));
        }
        for (Node node : nodes) {
            for (ListenerDiagnosis.Finding finding : nodeFindings(node)) {
                // In a cluster every sentence says which node it is about.
                findings.add(cluster() ? new ListenerDiagnosis.Finding(node.service() + ": " + finding.problem(),
                        finding.fix()) : finding);
            }
        }
        findings.addAll(sharedOutsidePorts());
        findings.addAll(voterFindings());
        findings.addAll(appBootstrapFindings());
        return findings;
    }

    private List<ListenerDiagnosis.Finding> nodeFindings(Node node) {
        List<ListenerDiagnosis.Finding> findings = new ArrayList<>();
        ListenerRules rules = node.rules();
        Map<String, String> environment = node.environment();
        ListenerDiagnosis.Layout layout = rules.layout();
        if (environment.isEmpty()) {
            findings.add(new ListenerDiagnosis.Finding("found no environment for the " + layout.service()
                    + " service in " + file, "keep the broker's settings under services: " + layout.service()
                    + ": environment: as generated"));
            return findings;
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
        if (advertised.containsKey(ListenerRules.CONTROLLER)) {
            findings.add(new ListenerDiagnosis.Finding(ADVERTISED + " advertises the CONTROLLER listener, which"
                    + " is for the controllers among themselves, never for clients.",
                    "remove CONTROLLER from " + ADVERTISED + ": " + wanted.get(ADVERTISED)));
        }
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
                findings.add(advertisedElsewhere(layout, name, told, want));
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
            findings.addAll(publishedPortFindings(node, outside, bound.get(ListenerRules.OUTSIDE)));
        }
        return findings;
    }

    /** An advertised address other than the rules': the sentence says who cannot connect, and why. */
    private ListenerDiagnosis.Finding advertisedElsewhere(ListenerDiagnosis.Layout layout, String name,
                                                          BrokerAddress told, BrokerAddress want) {
        String service = layout.service();
        String fix = "set " + name + " in " + ADVERTISED + " to " + name + "://" + want;
        Optional<Node> other = nodes.stream().filter(node -> !node.service().equals(service)
                && node.service().equals(told.host())).findFirst();
        if (other.isPresent()) {
            return new ListenerDiagnosis.Finding(name + " is advertised as " + told + ", the service name of another"
                    + " node: clients sent to " + service + "'s partitions reach " + other.get().service()
                    + ", which does not lead them.", fix + " (each node advertises its own service name)");
        }
        if (name.equals(ListenerRules.INSIDE)) {
            return new ListenerDiagnosis.Finding("INSIDE is advertised as " + told
                    + (told.isLoopback() ? ": a container that connects there reaches itself, not the broker."
                    : ": containers on the compose network know the broker as " + want + "."), fix);
        }
        if (name.equals(ListenerRules.OUTSIDE) && NODE_SERVICE.matcher(told.host()).matches()) {
            return new ListenerDiagnosis.Finding("OUTSIDE is advertised as " + told + ", and " + told.host()
                    + " resolves only on the compose network, not on the host.", fix + " (KAFKA_OUTSIDE_HOST in .env)");
        }
        return new ListenerDiagnosis.Finding(name + " is advertised as " + told + ", not " + want
                + " as .env says.", fix + " (the values come from .env)");
    }

    private List<ListenerDiagnosis.Finding> publishedPortFindings(Node node, BrokerAddress outside, BrokerAddress bind) {
        ListenerRules rules = node.rules();
        String variable = rules.layout().outsidePortVariable();
        int containerPort = bind == null ? outside.port() : bind.port();
        String wanted = "\"" + rules.publishedPort(ListenerRules.LOOPBACK) + "\"";
        for (String entry : node.ports()) {
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
                                + " (" + variable + " in .env sets both)"));
            }
            return List.of();
        }
        return List.of(new ListenerDiagnosis.Finding("no published port reaches the OUTSIDE listener's port "
                + containerPort + ": clients on the host cannot connect.",
                "publish it under ports of the " + rules.layout().service() + " service: " + wanted));
    }

    /**
     * Two nodes advertising the same OUTSIDE port: on one host only one of them can publish it, and a client
     * sent to the other's partitions reaches the wrong node.
     */
    private List<ListenerDiagnosis.Finding> sharedOutsidePorts() {
        List<ListenerDiagnosis.Finding> findings = new ArrayList<>();
        Map<Integer, Node> owners = new LinkedHashMap<>();
        for (Node node : nodes) {
            BrokerAddress outside = listeners(node.environment().get(ADVERTISED)).get(ListenerRules.OUTSIDE);
            if (outside == null) {
                continue;
            }
            Node first = owners.putIfAbsent(outside.port(), node);
            if (first != null) {
                ListenerDiagnosis.Layout layout = node.layout();
                findings.add(new ListenerDiagnosis.Finding(first.service() + " and " + node.service()
                        + " both advertise the OUTSIDE port " + outside.port() + ": only one of them can publish it on"
                        + " the host, and a client sent to " + node.service() + "'s partitions reaches "
                        + first.service() + ".",
                        "give every node its own OUTSIDE port: " + node.service() + " advertises OUTSIDE://"
                                + layout.outside() + " and publishes \"" + node.rules().publishedPort(ListenerRules.LOOPBACK)
                                + "\" (" + layout.outsidePortVariable() + " in .env sets both)"));
            }
        }
        return findings;
    }

    /** In a KRaft cluster every node's controller quorum lists every node, by id, service name and CONTROLLER port. */
    private List<ListenerDiagnosis.Finding> voterFindings() {
        List<ListenerDiagnosis.Finding> findings = new ArrayList<>();
        if (!cluster()) {
            return findings;
        }
        List<String> wanted = new ArrayList<>();
        for (Node node : nodes) {
            if (node.rules().controllerPort().isEmpty()) {
                return findings;
            }
            wanted.add(node.id() + "@" + node.service() + ":" + node.rules().controllerPort().getAsInt());
        }
        for (Node node : nodes) {
            List<String> voters = split(node.environment().get(VOTERS));
            List<String> missing = wanted.stream().filter(voter -> !voters.contains(voter)).toList();
            if (!missing.isEmpty()) {
                findings.add(new ListenerDiagnosis.Finding(node.service() + ": " + VOTERS + " is '"
                        + node.environment().getOrDefault(VOTERS, "") + "', without " + String.join(", ", missing)
                        + ": the controllers cannot form their quorum, so the cluster does not start.",
                        "set " + VOTERS + " to " + String.join(",", wanted) + " on every node"));
            }
        }
        return findings;
    }

    /**
     * The apps of docker-compose.yml bootstrap from every node's INSIDE address, so they start while any
     * node is up, and from nothing else.
     */
    private List<ListenerDiagnosis.Finding> appBootstrapFindings() {
        List<ListenerDiagnosis.Finding> findings = new ArrayList<>();
        List<String> wanted = nodes.stream().map(node -> node.layout().inside().toString()).toList();
        Map<String, List<String>> appsByValue = new LinkedHashMap<>();
        appBootstrap.forEach((app, value) -> appsByValue.computeIfAbsent(value, v -> new ArrayList<>()).add(app));
        appsByValue.forEach((value, apps) -> {
            List<String> given = new ArrayList<>();
            for (String item : split(value)) {
                try {
                    given.add(BrokerAddress.parse(item).toString());
                } catch (IllegalArgumentException e) {
                    given.add(item);
                }
            }
            List<String> missing = wanted.stream().filter(address -> !given.contains(address)).toList();
            List<String> extra = given.stream().filter(address -> !wanted.contains(address)).toList();
            if (missing.isEmpty() && extra.isEmpty()) {
                return;
            }
            String problem = APP_FILE_NAME + ": " + String.join(" and ", apps) + " bootstrap from " + value
                    + " (" + BootstrapServers.ENV_VARIABLE + ")";
            if (!missing.isEmpty()) {
                problem += ", which leaves out " + String.join(", ", missing)
                        + ": while the nodes it lists are down, the apps cannot start";
            }
            if (!extra.isEmpty()) {
                problem += (missing.isEmpty() ? ", which" : "; it") + " names " + String.join(", ", extra)
                        + ", no node's INSIDE address in " + FILE_NAME;
            }
            findings.add(new ListenerDiagnosis.Finding(problem + ".",
                    "list every node's INSIDE address: KAFKA_INSIDE_BOOTSTRAP_SERVERS=" + String.join(",", wanted)
                            + " in .env, which docker-compose.yml passes to the apps"));
        });
        return findings;
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
