package ${package}.web;

import ${package}.shared.BootstrapServers;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Whether the broker answers, for {@code GET /health}. One probe at a time, and its result is reused for
 * {@link #CACHE_FOR}, so polling /health cannot hammer the broker.
 */
final class BrokerHealth implements AutoCloseable {

    static final Duration CACHE_FOR = Duration.ofSeconds(2);
    /** A probe gives up after this: /health answers quickly even when the broker is gone. */
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(1_500);

    /** Asks the broker something cheap; returns a short description or throws if it does not answer. */
    interface Probe extends AutoCloseable {
        String check(Duration timeout) throws Exception;

        @Override
        default void close() {
        }
    }

    /** One probe's outcome: {@code detail} names the cluster, or says why it could not be reached. */
    record Status(boolean reachable, String detail) {
    }

    private final Probe probe;
    private Status last;
    private long lastCheckedNanos;

    BrokerHealth(Probe probe) {
        this.probe = probe;
    }

    /** Probes the cluster with an Admin client's describeCluster, over the listener the producer uses. */
    static BrokerHealth forKafka(BootstrapServers bootstrap) {
        return new BrokerHealth(new AdminProbe(bootstrap));
    }

    /** The cached status if it is fresh, else a new probe (at most {@link #PROBE_TIMEOUT}). */
    synchronized Status current() {
        long now = System.nanoTime();
        if (last == null || now - lastCheckedNanos >= CACHE_FOR.toNanos()) {
            last = probeOnce();
            lastCheckedNanos = System.nanoTime();
        }
        return last;
    }

    private Status probeOnce() {
        try {
            return new Status(true, probe.check(PROBE_TIMEOUT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Status(false, "interrupted while asking the broker");
        } catch (Exception e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            return new Status(false, cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        try {
            probe.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not close the broker health probe", e);
        }
    }

    private static final class AdminProbe implements Probe {
        private final BootstrapServers bootstrap;
        private Admin admin;

        AdminProbe(BootstrapServers bootstrap) {
            this.bootstrap = bootstrap;
        }

        @Override
        public String check(Duration timeout) throws Exception {
            if (admin == null) {
                // Created on first use: start-up does not wait for it, and it keeps its connection between probes.
                admin = Admin.create(Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap.address(),
                        AdminClientConfig.CLIENT_ID_CONFIG, "web-health",
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()));
            }
            DescribeClusterResult cluster =
                    admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()));
            String id = cluster.clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            String nodes = cluster.nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).stream()
                    .map(node -> node.host() + ":" + node.port())
                    .collect(Collectors.joining(","));
            return "cluster " + id + ", brokers " + nodes;
        }

        @Override
        public void close() {
            if (admin != null) {
                admin.close(Duration.ofSeconds(1));
            }
        }
    }
}
