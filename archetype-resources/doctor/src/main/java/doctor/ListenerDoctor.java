package ${package}.doctor;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.AuthenticationException;

import java.io.IOException;
import java.io.PrintStream;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The listener doctor: checks, from where it runs, the path a Kafka client takes to the broker, and says in
 * plain words what is wrong and how to fix it. Runs in about ten seconds at most.
 *
 * <pre>
 *   on the host:       ./mvnw -q -pl doctor compile exec:java
 *   in a container:    docker compose exec web java -cp web.jar:lib/* ${package}.doctor.ListenerDoctor
 * </pre>
 *
 * <ol>
 *   <li>the bootstrap address the apps would use here, and where it came from; the client settings of
 *       {@code KAFKA_CLIENT_PROPERTIES}, secrets hidden;</li>
 *   <li>whether the compose service name {@code kafka} (in a cluster: {@code kafka-1}) resolves here: a
 *       container on the compose network, or the host;</li>
 *   <li>each bootstrap address: resolved, connected;</li>
 *   <li>the broker's metadata: the addresses every node advertises for the listener that was reached (asked by
 *       a Kafka client with those settings when they ask for TLS or SASL, which a hand-written request cannot
 *       speak);</li>
 *   <li>each node's advertised address: resolved, connected (in a cluster also: every node of the project is
 *       in the metadata, no two nodes advertise the same address); then a real Kafka client call;</li>
 *   <li>next to docker-compose.broker.yml (the project root, on the host): the listener settings of the file,
 *       which also covers the other side of the network and a broker that cannot start.</li>
 * </ol>
 * Exit status 0 when everything is reachable and consistent, 1 when not, 2 for an unusable
 * {@code KAFKA_BOOTSTRAP_SERVERS} or {@code KAFKA_CLIENT_PROPERTIES}.
 */
public final class ListenerDoctor {

    /** The command for a running compose service whose image holds {@code <service>.jar} and {@code lib/}. */
    public static String containerCommand(String service) {
        return "docker compose exec " + service + " java -cp " + service + ".jar:lib/* " + ListenerDoctor.class.getName();
    }

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(4);
    /**
     * How long the client check asks before it calls the cluster broken. Spent only while the answers time out: the
     * first describeCluster of a three-node cluster that has just started took more than 4 s on a busy 2-core
     * machine, with every address answering and advertised correctly.
     */
    private static final Duration CLIENT_BUDGET = Duration.ofSeconds(10);
    private static final Duration CLIENT_TRY = Duration.ofSeconds(1);

    private final BootstrapServers bootstrap;
    private final KafkaClientProperties clientProperties;
    private final Optional<BrokerComposeFile> composeFile;
    private final Map<Integer, ListenerDiagnosis.Layout> nodes;
    private final PrintStream out;

    ListenerDoctor(BootstrapServers bootstrap, KafkaClientProperties clientProperties,
                   Optional<BrokerComposeFile> composeFile, PrintStream out) {
        this(bootstrap, clientProperties, composeFile,
                composeFile.map(BrokerComposeFile::layouts).orElse(ListenerDiagnosis.Layout.GENERATED_NODES), out);
    }

    /** @param nodes the broker's nodes by id: from the compose file next to the doctor, or as generated */
    ListenerDoctor(BootstrapServers bootstrap, KafkaClientProperties clientProperties,
                   Optional<BrokerComposeFile> composeFile, Map<Integer, ListenerDiagnosis.Layout> nodes,
                   PrintStream out) {
        this.bootstrap = bootstrap;
        this.clientProperties = clientProperties;
        this.composeFile = composeFile;
        this.nodes = nodes;
        this.out = out;
    }

    public static void main(String[] args) {
        // The Kafka client logs every failed connection attempt; the doctor reports them itself, once.
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "off");
        BootstrapServers bootstrap = BootstrapServers.fromEnvironment();
        KafkaClientProperties clientProperties;
        try {
            clientProperties = KafkaClientProperties.fromEnvironment();
        } catch (IllegalArgumentException e) {
            System.out.println(KafkaClientProperties.ENV_VARIABLE + " cannot be used: " + e.getMessage());
            System.exit(2);
            return;
        }
        Optional<BrokerComposeFile> composeFile;
        try {
            composeFile = BrokerComposeFile.find(Path.of(""), System.getenv());
        } catch (IOException e) {
            System.out.println("Could not read " + BrokerComposeFile.FILE_NAME + " (with .env): " + e.getMessage()
                    + "; checking the network only.");
            composeFile = Optional.empty();
        }
        int status;
        try {
            status = new ListenerDoctor(bootstrap, clientProperties, composeFile, System.out).examine();
        } catch (IllegalArgumentException e) {
            System.out.println("KAFKA_BOOTSTRAP_SERVERS cannot be used: " + e.getMessage());
            status = 2;
        }
        System.exit(status);
    }

    /** Runs every check, prints the report, and returns the exit status. */
    int examine() {
        ListenerDiagnosis.Layout layout = nodes.values().iterator().next();
        List<BrokerAddress> bootstrapAddresses = BrokerAddress.parseList(bootstrap.address());
        out.println("Kafka listener doctor");
        out.println("  bootstrap servers: " + bootstrap.address() + " (from " + bootstrap.source() + ")");
        out.println("  client settings:   " + clientProperties.describe());

        // Compose's DNS answers for service names on its network only: that tells a container from the host.
        String serviceAddress;
        try {
            serviceAddress = Reachability.resolve(layout.service(), CONNECT_TIMEOUT)[0].getHostAddress();
        } catch (UnknownHostException e) {
            serviceAddress = null;
        }
        ListenerDiagnosis diagnosis = new ListenerDiagnosis(nodes, serviceAddress != null);
        out.println("  where:             " + diagnosis.vantagePoint(serviceAddress));

        List<ListenerDiagnosis.Finding> findings = new ArrayList<>(networkFindings(bootstrapAddresses, diagnosis));

        if (composeFile.isPresent()) {
            List<ListenerDiagnosis.Finding> fileFindings = composeFile.get().findings();
            out.println("  compose file:      " + composeFile.get().file() + " (with .env): "
                    + (fileFindings.isEmpty() ? "listener settings are consistent"
                    : fileFindings.size() + " listener problem(s)"));
            findings.addAll(fileFindings);
        }

        out.println();
        if (findings.isEmpty()) {
            out.println("Diagnosis: OK. A client here reaches the broker and every address it advertises.");
            return 0;
        }
        out.println("Diagnosis: " + findings.size() + " problem(s).");
        int number = 1;
        for (ListenerDiagnosis.Finding finding : findings) {
            out.println("  " + number++ + ". " + finding.problem());
            out.println("     Fix: " + finding.fix() + ".");
        }
        return 1;
    }

    private List<ListenerDiagnosis.Finding> networkFindings(List<BrokerAddress> bootstrapAddresses, ListenerDiagnosis diagnosis) {
        List<Reachability> bootstrapChecks = new ArrayList<>();
        BrokerAddress reached = null;
        for (BrokerAddress address : bootstrapAddresses) {
            Reachability check = Reachability.check(address, CONNECT_TIMEOUT);
            bootstrapChecks.add(check);
            out.println("  bootstrap:         " + check.describe());
            if (check.ok() && reached == null) {
                reached = address;
            }
        }
        if (reached == null) {
            return diagnosis.bootstrapUnreachable(bootstrapChecks);
        }
        // Some answered: the ones that did not are nodes that are down or not published (empty for one node).
        List<ListenerDiagnosis.Finding> findings = new ArrayList<>(diagnosis.someBootstrapUnreachable(bootstrapChecks));
        String logs = "docker compose -f docker-compose.broker.yml logs"
                + (diagnosis.cluster() ? "" : " " + diagnosis.nodes().values().iterator().next().service());
        if (clientProperties.secured()) {
            out.println("  metadata:          asked by a Kafka client (" + clientProperties.securityProtocol()
                    + " needs more than a hand-written request)");
            findings.addAll(clientCheck(diagnosis, reached));
            return findings;
        }

        AdvertisedListeners.Metadata metadata;
        try {
            metadata = AdvertisedListeners.fetch(reached, METADATA_TIMEOUT);
        } catch (IOException | RuntimeException e) {
            out.println("  metadata:          no answer from " + reached + ": " + e);
            findings.add(new ListenerDiagnosis.Finding("bootstrap " + reached
                    + " accepts connections but did not answer a Kafka metadata request (" + e.getMessage() + ").",
                    "check that " + reached + " is a Kafka listener and that the broker has finished starting: "
                            + logs + ". A listener that wants TLS or SASL closes a plain connection like this: then"
                            + " put the client settings in a file and set " + KafkaClientProperties.ENV_VARIABLE
                            + " to its path"));
            return findings;
        }
        out.println("  metadata:          cluster " + metadata.clusterId() + ", asked at " + reached
                + "; the broker advertises for this listener:");
        // Every node the metadata lists, whichever node answered: a client connects to each partition's leader.
        Map<Integer, BrokerAddress> advertised = new LinkedHashMap<>();
        for (AdvertisedListeners.Node node : metadata.brokers()) {
            Reachability check = Reachability.check(node.address(), CONNECT_TIMEOUT);
            ListenerDiagnosis.Layout known = diagnosis.nodes().get(node.id());
            out.println("    broker " + node.id() + (diagnosis.cluster() && known != null ? " (" + known.service() + ")" : "")
                    + ":        " + check.describe());
            advertised.put(node.id(), node.address());
            ListenerDiagnosis.Finding finding = diagnosis.advertisedFinding(reached, node.id(), check);
            if (finding != null) {
                findings.add(finding);
            }
        }
        if (metadata.brokers().isEmpty()) {
            findings.add(new ListenerDiagnosis.Finding("the broker answered with no brokers in its metadata.",
                    "wait until it has finished starting: " + logs));
        } else {
            findings.addAll(diagnosis.sharedAdvertisedAddresses(advertised));
            findings.addAll(diagnosis.missingNodes(advertised.keySet()));
        }
        if (findings.isEmpty()) {
            findings.addAll(clientCheck(diagnosis, null));
        }
        return findings;
    }

    /**
     * The last word goes to a real Kafka client with the apps' settings: what the apps will do. With
     * {@code reached} set, the advertised addresses have not been checked yet (a secured listener): this checks
     * each broker the client's metadata names.
     */
    private List<ListenerDiagnosis.Finding> clientCheck(ListenerDiagnosis diagnosis, BrokerAddress reached) {
        Properties config = new Properties();
        config.putAll(clientProperties.forAdmin());
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap.address());
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "listener-doctor");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, (int) CONNECT_TIMEOUT.toMillis());
        config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, (int) CONNECT_TIMEOUT.toMillis());
        long start = System.nanoTime();
        try (Admin admin = Admin.create(config)) {
            // TLS and SASL add round trips and key derivation to the first connection: a longer budget for them.
            Duration budget = clientProperties.secured() ? CLIENT_BUDGET.multipliedBy(2) : CLIENT_BUDGET;
            Collection<Node> nodes = describeCluster(admin, start + budget.toNanos());
            out.println("  Kafka client:      describeCluster answered in "
                    + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms (" + nodes.size() + " broker(s))");
            List<ListenerDiagnosis.Finding> findings = new ArrayList<>();
            if (reached != null) {
                Map<Integer, BrokerAddress> advertised = new LinkedHashMap<>();
                for (Node node : nodes) {
                    BrokerAddress address = new BrokerAddress(node.host(), node.port());
                    Reachability check = Reachability.check(address, CONNECT_TIMEOUT);
                    ListenerDiagnosis.Layout known = diagnosis.nodes().get(node.id());
                    out.println("    broker " + node.id() + (diagnosis.cluster() && known != null ? " (" + known.service() + ")" : "")
                            + ":        " + check.describe());
                    advertised.put(node.id(), address);
                    ListenerDiagnosis.Finding finding = diagnosis.advertisedFinding(reached, node.id(), check);
                    if (finding != null) {
                        findings.add(finding);
                    }
                }
                findings.addAll(diagnosis.sharedAdvertisedAddresses(advertised));
                findings.addAll(diagnosis.missingNodes(advertised.keySet()));
            }
            return findings;
        } catch (Exception e) {
            Optional<AuthenticationException> refused = KafkaClientProperties.authenticationFailure(e);
            if (refused.isPresent()) {
                String problem = clientProperties.refusedProblem(refused.get());
                out.println("  Kafka client:      refused: " + problem);
                return List.of(new ListenerDiagnosis.Finding(problem + ".", clientProperties.isEmpty()
                        ? "this listener wants credentials: put them in a client properties file and set "
                        + KafkaClientProperties.ENV_VARIABLE + " to its path (README: Secured or managed Kafka)"
                        : "correct that file (or the user on the cluster), then run the doctor again"));
            }
            out.println("  Kafka client:      failed: " + clientProperties.hideSecrets(e.toString()));
            return List.of(new ListenerDiagnosis.Finding("every address answers, but a Kafka client call failed: "
                    + clientProperties.hideSecrets(e.toString()),
                    "look at the broker's log: docker compose -f docker-compose.broker.yml logs "
                            + String.join(" ", ListenerDiagnosis.Layout.GENERATED_NODES.values().stream()
                                    .map(ListenerDiagnosis.Layout::service).toList())));
        }
    }

    /**
     * Asks in short tries until the deadline: a refused login fails the calls made after it, while the call that
     * was waiting when it happened only times out.
     */
    private static Collection<Node> describeCluster(Admin admin, long deadline) throws Exception {
        while (true) {
            try {
                return admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) CLIENT_TRY.toMillis()))
                        .nodes().get(CLIENT_TRY.toMillis() + 500, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                boolean timedOut = cause instanceof TimeoutException
                        || cause instanceof org.apache.kafka.common.errors.TimeoutException;
                if (!timedOut || System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    /** For tests: the doctor on a given environment and directory, printing to {@code out}. */
    static int run(Map<String, String> environment, Path dir, PrintStream out) throws IOException {
        return new ListenerDoctor(BootstrapServers.resolve(environment), KafkaClientProperties.resolve(environment),
                BrokerComposeFile.find(dir, environment), out).examine();
    }
}
