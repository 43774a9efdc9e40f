package ${package}.doctor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns what the listener doctor saw into plain sentences, each with the fix. No network here: the rules
 * are tested with made-up observations.
 *
 * <p>The two listeners, as {@link ListenerRules} states them: containers on the compose network use INSIDE,
 * advertised as {@code kafka:<inside port>}; clients on the host use OUTSIDE, advertised as
 * {@code <outside host>:<outside port>} and published to the host with the same port number. A client
 * asks its bootstrap address for metadata, then connects to the address advertised for the listener it
 * came in on, so every failure is either "cannot reach the bootstrap address" or "cannot reach what is
 * advertised".
 */
public final class ListenerDiagnosis {

    /** A problem in plain words, and what to change. */
    public record Finding(String problem, String fix) {
    }

    /**
     * Where one node's listeners are, as generated; the doctor replaces these with the values of {@code .env}
     * when it runs next to that file (that is where a user changes them later).
     *
     * @param service the node's compose service name: {@code kafka} for a single node, {@code kafka-<n>} in a
     *                cluster; containers reach its INSIDE listener under this name
     */
    public record Layout(String service, String outsideHost, int outsidePort, int insidePort) {

        /**
         * Every node of the project as generated, by node id (KAFKA_NODE_ID): one {@code kafka}, or
         * {@code kafka-1} to {@code kafka-3}, each with its own OUTSIDE port.
         */
        public static final Map<Integer, Layout> GENERATED_NODES = generatedNodes();
        /** The first node as generated: the only one of a single-node project. */
        public static final Layout GENERATED = GENERATED_NODES.get(1);

        private static Map<Integer, Layout> generatedNodes() {
            Map<Integer, Layout> nodes = new LinkedHashMap<>();
#if( $kafkaNodes == "3" )
            nodes.put(1, new Layout("kafka-1", "${kafkaOutsideHost}", ${kafkaOutsidePort}, ${kafkaInsidePort}));
            nodes.put(2, new Layout("kafka-2", "${kafkaOutsideHost}", __kafkaOutsidePort_2__, ${kafkaInsidePort}));
            nodes.put(3, new Layout("kafka-3", "${kafkaOutsideHost}", __kafkaOutsidePort_3__, ${kafkaInsidePort}));
#else
            nodes.put(1, new Layout("kafka", "${kafkaOutsideHost}", ${kafkaOutsidePort}, ${kafkaInsidePort}));
#end
            return Collections.unmodifiableMap(nodes);
        }

        public BrokerAddress outside() {
            return new BrokerAddress(outsideHost, outsidePort);
        }

        public BrokerAddress inside() {
            return new BrokerAddress(service, insidePort);
        }

        /**
         * The .env variable that sets this node's OUTSIDE port: KAFKA_OUTSIDE_PORT for the single node
         * {@code kafka}, KAFKA_OUTSIDE_PORT_<n> for node {@code kafka-<n>} of a cluster.
         */
        public String outsidePortVariable() {
            int dash = service.lastIndexOf('-');
            return dash > 0 && service.substring(dash + 1).matches("[0-9]+")
                    ? "KAFKA_OUTSIDE_PORT_" + service.substring(dash + 1) : "KAFKA_OUTSIDE_PORT";
        }

        /** The same layout with the values a {@code .env} file sets, where it sets them. */
        public Layout with(Map<String, String> env) {
            return new Layout(service,
                    env.getOrDefault("KAFKA_OUTSIDE_HOST", outsideHost),
                    intOr(env.get(outsidePortVariable()), outsidePort),
                    intOr(env.get("KAFKA_INSIDE_PORT"), insidePort));
        }

        /** The same layout under another service name (a node of a cluster), its OUTSIDE port from {@code env}. */
        public Layout forService(String otherService, Map<String, String> env) {
            return new Layout(otherService, outsideHost, outsidePort, insidePort).with(env);
        }

        private static int intOr(String value, int fallback) {
            try {
                return value == null ? fallback : Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
    }

    /** Every node of the broker, by node id; one for a single node. */
    private final Map<Integer, Layout> nodes;
    /** The node the sentences are about: the one an address belongs to, the first by default. */
    private final Layout layout;
    private final boolean onComposeNetwork;

    /**
     * A single node.
     *
     * @param onComposeNetwork whether the compose service name resolves here: true in a container on the
     *                         compose network, false on the host
     */
    public ListenerDiagnosis(Layout layout, boolean onComposeNetwork) {
        this(Map.of(1, layout), onComposeNetwork);
    }

    /**
     * Every node of the broker (a cluster: kafka-1, kafka-2, ...), by node id.
     *
     * @param onComposeNetwork whether the first node's service name resolves here: true in a container on the
     *                         compose network, false on the host
     */
    public ListenerDiagnosis(Map<Integer, Layout> nodes, boolean onComposeNetwork) {
        this(nodes, nodes.values().iterator().next(), onComposeNetwork);
    }

    private ListenerDiagnosis(Map<Integer, Layout> nodes, Layout layout, boolean onComposeNetwork) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a broker has at least one node");
        }
        this.nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
        this.layout = layout;
        this.onComposeNetwork = onComposeNetwork;
    }

    /** More than one node: the sentences then name the node they are about. */
    public boolean cluster() {
        return nodes.size() > 1;
    }

    public Map<Integer, Layout> nodes() {
        return nodes;
    }

    /** The same diagnosis, its sentences about {@code node}. */
    private ListenerDiagnosis about(Layout node) {
        return new ListenerDiagnosis(nodes, node, onComposeNetwork);
    }

    /** How the sentences name a node: {@code node 2 (kafka-2)}. */
    public static String nodeName(int id, Layout node) {
        return "node " + id + " (" + node.service() + ")";
    }

    /** Every node's INSIDE address, comma-separated: what containers bootstrap from. */
    public String insideBootstrap() {
        return nodes.values().stream().map(node -> node.inside().toString()).collect(Collectors.joining(","));
    }

    /** Every node's OUTSIDE address, comma-separated: what clients on the host bootstrap from. */
    public String outsideBootstrap() {
        return nodes.values().stream().map(node -> node.outside().toString()).collect(Collectors.joining(","));
    }

    /** The node an address belongs to, by its service name or its OUTSIDE port; the first node if none. */
    private Layout nodeOf(BrokerAddress address) {
        for (Layout node : nodes.values()) {
            if (belongsTo(address, node)) {
                return node;
            }
        }
        return nodes.values().iterator().next();
    }

    private String logs() {
        return "docker compose -f docker-compose.broker.yml logs " + layout.service();
    }

    /** Why none of the bootstrap addresses answered. */
    public List<Finding> bootstrapUnreachable(List<Reachability> bootstrap) {
        List<Finding> findings = new ArrayList<>();
        for (Reachability check : bootstrap) {
            findings.add(bootstrapFindingOfNode(check));
        }
        return findings;
    }

    /**
     * Why some bootstrap addresses did not answer while another did: in a cluster, a node that is down or not
     * published. Clients still start, from the addresses that answer, but lose that node's partitions' leaders
     * until it is back, and cannot start at all once the others are down too.
     */
    public List<Finding> someBootstrapUnreachable(List<Reachability> bootstrap) {
        List<Finding> findings = new ArrayList<>();
        for (Reachability check : bootstrap) {
            if (!check.ok()) {
                findings.add(bootstrapFindingOfNode(check));
            }
        }
        return findings;
    }

    private Finding bootstrapFindingOfNode(Reachability check) {
        Layout node = nodeOf(check.address());
        Finding finding = about(node).bootstrapFinding(check);
        return cluster() && belongsTo(check.address(), node) ? named(idOf(node), node, finding) : finding;
    }

    /**
     * Why an address that node {@code nodeId} advertised does not work from here, or null when it does; in a
     * cluster the sentence names the node, and the fix is about that node's own settings.
     */
    public Finding advertisedFinding(BrokerAddress bootstrap, int nodeId, Reachability check) {
        Layout node = nodes.get(nodeId);
        if (node == null) {
            return advertisedFinding(bootstrap, check);
        }
        if (check.ok()) {
            return null;
        }
        BrokerAddress advertised = check.address();
        boolean ownAddress = onComposeNetwork ? advertised.equals(node.inside())
                : advertised.port() == node.outsidePort() && (advertised.isLoopback() || advertised.host().equals(node.outsideHost()));
        if (cluster() && ownAddress && !belongsTo(bootstrap, node) && check.outcome() != Reachability.Outcome.CLOSED_AT_ONCE) {
            // Another node answered and advertises this node as the rules say: the node itself is missing.
            return new Finding(nodeName(nodeId, node) + " is advertised as " + advertised + ", as the rules say, but "
                    + advertised + " " + check.detail() + ": the node is down"
                    + (onComposeNetwork ? "" : ", or its OUTSIDE port is not published on the host")
                    + "; clients cannot reach the partitions it leads.",
                    "start it: docker compose -f docker-compose.broker.yml up -d " + node.service()
                            + "; docker compose -f docker-compose.broker.yml ps must show it running"
                            + (onComposeNetwork ? "" : " with 127.0.0.1:" + node.outsidePort() + "->" + node.outsidePort() + "/tcp")
                            + "; see why it stopped: docker compose -f docker-compose.broker.yml logs " + node.service());
        }
        Finding finding = about(node).advertisedFinding(bootstrap, check);
        return finding == null || !cluster() ? finding : named(nodeId, node, finding);
    }

    /**
     * Nodes of the project that the cluster's metadata does not list: down, still starting, or not joined.
     * Only for a cluster: a single node that answered is in its own metadata.
     */
    public List<Finding> missingNodes(Set<Integer> inMetadata) {
        List<Finding> findings = new ArrayList<>();
        if (!cluster()) {
            return findings;
        }
        nodes.forEach((id, node) -> {
            if (!inMetadata.contains(id)) {
                findings.add(new Finding(nodeName(id, node) + " is not in the cluster's metadata: it is down, still"
                        + " starting, or not a member of this cluster; its replicas are missing and, while another"
                        + " node is down too, writes with acks=all stop (min.insync.replicas 2).",
                        "start it and see why it is not up: docker compose -f docker-compose.broker.yml up -d "
                                + node.service() + "; docker compose -f docker-compose.broker.yml logs " + node.service()));
            }
        });
        return findings;
    }

    /**
     * Two nodes that advertise the same address: a client sent to the second node's partitions reaches the
     * first, which is not their leader, and retries until it times out.
     */
    public List<Finding> sharedAdvertisedAddresses(Map<Integer, BrokerAddress> advertised) {
        List<Finding> findings = new ArrayList<>();
        Map<BrokerAddress, Integer> seen = new LinkedHashMap<>();
        advertised.forEach((id, address) -> {
            Integer first = seen.putIfAbsent(address, id);
            if (first != null) {
                Layout node = nodes.getOrDefault(id, layout);
                findings.add(new Finding("node " + first + " and node " + id + " both advertise " + address
                        + ": a client sent to node " + id + "'s partitions reaches node " + first
                        + ", which does not lead them.",
                        "give each node its own address: " + nodeName(id, node) + " advertises OUTSIDE://"
                                + node.outside() + " and INSIDE://" + node.inside()
                                + " in KAFKA_ADVERTISED_LISTENERS (" + node.outsidePortVariable()
                                + " in .env), then recreate it"));
            }
        });
        return findings;
    }

    private static Finding named(int id, Layout node, Finding finding) {
        return new Finding(nodeName(id, node) + ": " + finding.problem(), finding.fix());
    }

    private boolean belongsTo(BrokerAddress address, Layout node) {
        return address.host().equals(node.service())
                || ((address.isLoopback() || address.host().equals(node.outsideHost())) && address.port() == node.outsidePort());
    }

    private int idOf(Layout node) {
        return nodes.entrySet().stream().filter(entry -> entry.getValue().equals(node)).map(Map.Entry::getKey)
                .findFirst().orElse(0);
    }

    private Finding bootstrapFinding(Reachability check) {
        BrokerAddress address = check.address();
        String useInside = "use " + (cluster() ? "the nodes'" : layout.service() + "'s") + " INSIDE listener, "
                + insideBootstrap() + ": KAFKA_BOOTSTRAP_SERVERS=" + insideBootstrap()
                + ", as docker-compose.yml sets it for the apps";
        String useOutside = "on the host use the OUTSIDE listener, " + outsideBootstrap()
                + ": unset KAFKA_BOOTSTRAP_SERVERS (that address is the default) or set it to " + outsideBootstrap();
        switch (check.outcome()) {
            case UNRESOLVED:
                if (address.host().equals(layout.service())) {
                    return new Finding("bootstrap " + address + ": the name " + layout.service()
                            + " does not resolve here, so this is not a container on the compose network (it is"
                            + " the host, most likely); " + layout.service() + " is a name only containers know.",
                            useOutside);
                }
                return new Finding("bootstrap " + address + ": the name " + address.host() + " does not resolve here.",
                        onComposeNetwork ? "in a container " + useInside
                                : useOutside + "; if " + address.host() + " is meant to be this machine, add it to DNS or /etc/hosts");
            case CLOSED_AT_ONCE:
                return closedAtOnce(address);
            case OPEN:
                return new Finding("bootstrap " + address + " accepts connections but gave no Kafka metadata.",
                        "check that " + address.port() + " is a Kafka listener and that the broker has finished"
                                + " starting: " + logs());
            default:
                break;
        }
        String what = "bootstrap " + address + " " + check.detail();
        if (address.isLoopback() && onComposeNetwork) {
            return new Finding(what + ": inside a container localhost is the container itself, not the broker.",
                    useInside);
        }
        if (address.isLoopback()) {
            if (address.port() != layout.outsidePort()) {
                return new Finding(what + ": " + address.port() + " is not the port published to the host.",
                        useOutside);
            }
            return new Finding(what + ": no broker is published on this port of the host.",
                    "start the broker: docker compose -f docker-compose.broker.yml up -d"
                            + (cluster() ? " " + layout.service() : "") + "; then"
                            + " docker compose -f docker-compose.broker.yml ps must show the port published as "
                            + "127.0.0.1:" + layout.outsidePort() + "->" + layout.outsidePort()
                            + "/tcp: the same number on both sides, the advertised OUTSIDE port");
        }
        if (address.host().equals(layout.service())) {
            if (address.port() != layout.insidePort()) {
                return new Finding(what + ": containers reach the broker on its INSIDE port, "
                        + layout.insidePort() + ".", useInside);
            }
            return new Finding(what + ": the broker is down, or does not listen on the container's network.",
                    "KAFKA_LISTENERS must bind INSIDE on every interface, INSIDE://0.0.0.0:" + layout.insidePort()
                            + "; then see why the broker is not up: " + logs());
        }
        return new Finding(what + ".", onComposeNetwork ? "in a container " + useInside : useOutside);
    }

    /** Why an address the broker advertised does not work from here, or null when it does. */
    public Finding advertisedFinding(BrokerAddress bootstrap, Reachability check) {
        if (check.ok()) {
            return null;
        }
        BrokerAddress advertised = check.address();
        String says = "the broker advertises " + advertised + " for the listener you reached at " + bootstrap;
        if (check.outcome() == Reachability.Outcome.UNRESOLVED) {
            if (advertised.host().equals(layout.service()) && advertised.port() == layout.insidePort()) {
                return new Finding("the broker advertises " + advertised + " (its INSIDE listener, for containers),"
                        + " and " + layout.service() + " does not resolve here: you are on the host.",
                        "on the host use the OUTSIDE listener, " + outsideBootstrap()
                                + ": unset KAFKA_BOOTSTRAP_SERVERS (that is the default) or set it to " + outsideBootstrap());
            }
            if (advertised.host().equals(layout.service())) {
                return new Finding(says + ", and " + layout.service()
                        + " resolves only on the compose network, not here on the host.",
                        "set OUTSIDE in KAFKA_ADVERTISED_LISTENERS to OUTSIDE://" + layout.outside()
                                + " (KAFKA_OUTSIDE_HOST and " + layout.outsidePortVariable() + " in .env), then recreate the broker");
            }
            return new Finding(says + ", and " + advertised.host() + " does not resolve here.",
                    onComposeNetwork
                            ? "set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + layout.inside()
                            : "advertise a name that resolves where the clients run: KAFKA_OUTSIDE_HOST in .env,"
                                    + " then recreate the broker; or make " + advertised.host()
                                    + " resolve here (DNS or /etc/hosts)");
        }
        if (check.outcome() == Reachability.Outcome.CLOSED_AT_ONCE) {
            return closedAtOnce(advertised);
        }
        if (advertised.isLoopback() && onComposeNetwork) {
            if (bootstrap.port() == layout.outsidePort() || advertised.port() == layout.outsidePort()) {
                return new Finding("you reached the OUTSIDE listener, which is meant for the host, from a container: "
                        + says + ", and inside a container localhost is the container itself.",
                        "in a container use the INSIDE listener, " + insideBootstrap() + ": KAFKA_BOOTSTRAP_SERVERS="
                                + insideBootstrap());
            }
            return new Finding("the broker advertises " + advertised + " to containers, and inside a container"
                    + " localhost is the container itself: " + advertised + " " + check.detail() + ".",
                    "set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + layout.inside()
                            + ", then recreate the broker");
        }
        if (advertised.isLoopback() && bootstrap.isLoopback() && bootstrap.port() != advertised.port()) {
            return new Finding("you reached the broker at " + bootstrap + ", but it advertises " + advertised
                    + ", which " + check.detail() + ": the port published on the host differs from the advertised one.",
                    "publish the OUTSIDE port with the same number on both sides, \"127.0.0.1:" + advertised.port()
                            + ":" + advertised.port() + "\" under ports in docker-compose.broker.yml"
                            + " (" + layout.outsidePortVariable() + " in .env sets both)");
        }
        return new Finding(says + ", which " + check.detail() + ".",
                onComposeNetwork
                        ? "containers use INSIDE: advertise it as INSIDE://" + layout.inside()
                        + " and check that the broker is up (" + logs() + ")"
                        : "the host uses OUTSIDE: advertise it as OUTSIDE://" + layout.outside()
                        + " and publish that port (docker compose -f docker-compose.broker.yml ps)");
    }

    private Finding closedAtOnce(BrokerAddress address) {
        return new Finding(address + " accepts connections but closes them at once, before Kafka says anything:"
                + " that is a published Docker port with nothing listening behind it on the container's address.",
                "KAFKA_LISTENERS must bind the listener on every interface of the container, e.g. OUTSIDE://0.0.0.0:"
                        + layout.outsidePort() + " (one bound to 127.0.0.1 or localhost is out of the published port's"
                        + " reach); if it does, the broker is down or still starting: docker compose -f"
                        + " docker-compose.broker.yml logs " + layout.service());
    }

    /** The sentence that says where the doctor runs, from whether the compose service name resolves. */
    public String vantagePoint(String serviceAddress) {
        return onComposeNetwork
                ? layout.service() + " resolves to " + serviceAddress + ": a container on the compose network"
                : layout.service() + " does not resolve here: outside the compose network (the host)";
    }
}
