package ${package}.web;

import ${package}.doctor.BootstrapServers;
import ${package}.doctor.KafkaClientProperties;
import ${package}.shared.ClickTopic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Whether the web producer can take clicks, for {@code GET /readyz}: the broker answered and the click topic's
 * partitions, each with a leader, are known. A background thread asks every {@link #INTERVAL}; a request only
 * reads the last answer, so polling {@code /readyz} never waits for the broker and cannot hammer it.
 */
final class BrokerReadiness implements AutoCloseable {

    static final Duration INTERVAL = Duration.ofSeconds(2);
    /** A probe gives up after this. */
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(1_500);
    /** An answer older than this no longer counts: the probe thread is stuck or the broker stopped answering. */
    static final Duration STALE_AFTER = Duration.ofSeconds(6);

    private static final Logger LOG = LoggerFactory.getLogger(BrokerReadiness.class);
    /** The reason anyone may see; the file and what to check are in the detail and the log. */
    static final String REFUSED_REASON = "Kafka refused the credentials from KAFKA_CLIENT_PROPERTIES";

    /** Asks the broker about the topic; returns what it said, or throws if it did not answer in time. */
    interface Probe extends AutoCloseable {
        Answer ask(Duration timeout) throws Exception;

        /** What to check when the broker does not answer (logged, and shown to loopback callers). */
        default String hint() {
            return "";
        }

        /** If Kafka refused the client's credentials: the problem, logged once by the probe. */
        default Optional<String> refused(Exception error) {
            return Optional.empty();
        }

        /** Ready again after {@link #refused}: the probe logs that once. */
        default void accepted() {
        }

        @Override
        default void close() {
        }
    }

    /**
     * What the broker said. {@code partitionsWithLeader} of {@code partitions} can take writes; {@code detail}
     * names the cluster and brokers (shown only to loopback callers and in the log).
     */
    record Answer(int partitions, int partitionsWithLeader, String detail) {
    }

    /**
     * One reading of readiness.
     *
     * @param reason what is wrong, in words fit for anyone; empty when ready
     * @param detail addresses, cluster id, the client's own error: for loopback callers and the log only
     */
    record Status(boolean ready, String reason, String detail, long checkedAtNanos) {
    }

    private final Probe probe;
    private final ScheduledExecutorService probing;
    private volatile Status last =
            new Status(false, "the broker has not been asked yet", "starting", System.nanoTime());

    BrokerReadiness(Probe probe) {
        this.probe = probe;
        this.probing = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "web-readiness");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Probes with an Admin client over the listener the producer uses: describeCluster and describeTopics. */
    static BrokerReadiness forKafka(BootstrapServers bootstrap, KafkaClientProperties clientProperties,
                                    String topic) {
        return new BrokerReadiness(new AdminProbe(bootstrap, clientProperties, topic));
    }

    /** Starts the background probe; the first runs at once. */
    BrokerReadiness start() {
        probing.scheduleWithFixedDelay(this::probeOnce, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The last reading; not ready if it is too old. */
    Status current() {
        Status status = last;
        if (status.ready() && System.nanoTime() - status.checkedAtNanos() > STALE_AFTER.toNanos()) {
            return new Status(false, "the broker has not answered for " + STALE_AFTER.toSeconds() + " s",
                    status.detail(), status.checkedAtNanos());
        }
        return status;
    }

    /** Runs one probe now and records it (the background thread does this; tests call it directly). */
    void probeOnce() {
        Status before = last;
        Status now;
        try {
            Answer answer = probe.ask(PROBE_TIMEOUT);
            if (answer.partitions() == 0) {
                now = new Status(false, ClickTopic.MISSING, answer.detail(), System.nanoTime());
            } else if (answer.partitionsWithLeader() < answer.partitions()) {
                now = new Status(false, (answer.partitions() - answer.partitionsWithLeader()) + " of "
                        + answer.partitions() + " partitions of the click topic have no leader", answer.detail(),
                        System.nanoTime());
            } else {
                now = new Status(true, "", answer.detail(), System.nanoTime());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            Optional<String> refused = probe.refused(e);
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (refused.isEmpty() && before.reason().equals(REFUSED_REASON) && isTimeout(cause)) {
                // A refused admin client reports the refusal to some calls only; the others just time out.
                refused = Optional.of(before.detail());
            }
            now = refused.isPresent() ? new Status(false, REFUSED_REASON, refused.get(), System.nanoTime())
                    : new Status(false, "the broker does not answer", cause.getClass().getSimpleName() + ": "
                    + cause.getMessage() + (probe.hint().isEmpty() ? "" : ". " + probe.hint()), System.nanoTime());
        }
        last = now;
        if (now.ready() != before.ready() || !now.reason().equals(before.reason())) {
            if (now.ready()) {
                probe.accepted();
                LOG.info("Ready: {}", now.detail());
            } else if (now.reason().equals(REFUSED_REASON)) {
                // the probe has logged the problem, once for the whole app
                LOG.debug("Not ready: {}", now.detail());
            } else {
                LOG.warn("Not ready: {} ({})", now.reason(), now.detail());
            }
        }
    }

    private static boolean isTimeout(Throwable error) {
        return error instanceof java.util.concurrent.TimeoutException
                || error instanceof org.apache.kafka.common.errors.TimeoutException;
    }

    @Override
    public void close() {
        probing.shutdownNow();
        try {
            probing.awaitTermination(PROBE_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            probe.close();
        } catch (Exception e) {
            LOG.warn("Closing the readiness probe: {}", e.toString());
        }
    }

    private static final class AdminProbe implements Probe {
        private final BootstrapServers bootstrap;
        private final KafkaClientProperties clientProperties;
        private final String topic;
        private Admin admin;

        AdminProbe(BootstrapServers bootstrap, KafkaClientProperties clientProperties, String topic) {
            this.bootstrap = bootstrap;
            this.clientProperties = clientProperties;
            this.topic = topic;
        }

        @Override
        public Answer ask(Duration timeout) throws Exception {
            if (admin == null) {
                // Created on the probe thread: start-up does not wait for it; it keeps its connection between probes.
                // The same connection settings as the producer: the same cluster needs the same credentials.
                Map<String, Object> settings = new HashMap<>(clientProperties.forAdmin());
                settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap.address());
                settings.put(AdminClientConfig.CLIENT_ID_CONFIG, "web-readiness");
                settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
                settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
                admin = Admin.create(settings);
            }
            int timeoutMs = (int) timeout.toMillis();
            DescribeClusterResult cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs));
            String detail = "bootstrap " + bootstrap.address() + ", cluster "
                    + cluster.clusterId().get(timeoutMs, TimeUnit.MILLISECONDS) + ", brokers "
                    + cluster.nodes().get(timeoutMs, TimeUnit.MILLISECONDS).stream()
                    .map(node -> node.host() + ":" + node.port()).collect(Collectors.joining(","));
            TopicDescription description;
            try {
                description = admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs(timeoutMs))
                        .allTopicNames().get(timeoutMs, TimeUnit.MILLISECONDS).get(topic);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
                    return new Answer(0, 0, detail + "; topic " + topic + " does not exist");
                }
                throw e;
            }
            List<TopicPartitionInfo> partitions = description.partitions();
            int withLeader = (int) partitions.stream().filter(p -> p.leader() != null && !p.leader().isEmpty()).count();
            return new Answer(partitions.size(), withLeader, detail + "; topic " + topic + ": " + partitions.size()
                    + " partitions, " + withLeader + " with a leader");
        }

        @Override
        public String hint() {
            return bootstrap.unreachableHint();
        }

        @Override
        public Optional<String> refused(Exception error) {
            return KafkaClientProperties.authenticationFailure(error)
                    .map(refused -> clientProperties.reportRefused(refused, LOG::error));
        }

        @Override
        public void accepted() {
            clientProperties.reportAccepted(LOG::info);
        }

        @Override
        public void close() {
            if (admin != null) {
                admin.close(Duration.ofSeconds(1));
            }
        }
    }
}
