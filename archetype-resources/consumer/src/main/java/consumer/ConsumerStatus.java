package ${package}.consumer;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * What {@code /livez}, {@code /readyz} and {@code /metrics} read about the loop: when it last polled, when it last
 * heard from the group's coordinator, and the lag per partition. Only the loop's thread may use the Kafka
 * consumer, so the loop refreshes this every {@link #REFRESH_INTERVAL} and other threads read the copy.
 */
final class ConsumerStatus {

    /** No heartbeat for this long: the coordinator is out of reach, so partitions are neither kept nor got. */
    static final Duration UNREACHABLE_AFTER = Duration.ofSeconds(15);
    static final Duration REFRESH_INTERVAL = Duration.ofSeconds(2);
    /** A loop that has not polled for this long is stuck (a poll returns within a second): not live. */
    static final Duration STUCK_AFTER = Duration.ofSeconds(60);

    private volatile long lastPollNanos;
    private volatile double heartbeatAgeSeconds = -1;
    private volatile Map<TopicPartition, Long> lag = Map.of();
    /** Why Kafka refused the credentials, while it does; empty otherwise. */
    private volatile String refused = "";
    /** Used by the loop's thread only. */
    private long lastRefreshAt;

    ConsumerStatus(long startedAt) {
        lastPollNanos = startedAt;
        lastRefreshAt = startedAt - REFRESH_INTERVAL.toNanos();
    }

    /** After each poll, on the loop's thread: notes the poll, and reads the consumer again when due. */
    void polled(Consumer<byte[], byte[]> consumer, long now) {
        lastPollNanos = now;
        if (now - lastRefreshAt < REFRESH_INTERVAL.toNanos()) {
            return;
        }
        lastRefreshAt = now;
        heartbeatAgeSeconds = heartbeatAgeSeconds(consumer);
        Map<TopicPartition, Long> current = new HashMap<>();
        for (TopicPartition partition : consumer.assignment()) {
            OptionalLong partitionLag = consumer.currentLag(partition);
            if (partitionLag.isPresent()) {
                current.put(partition, partitionLag.getAsLong());
            }
        }
        lag = Map.copyOf(current);
    }

    /** Kafka refused the credentials ({@code problem}), or takes them again (empty). */
    void refused(String problem) {
        refused = problem;
    }

    /** Records not yet stored, per owned partition, as of the last refresh. */
    Map<TopicPartition, Long> lag() {
        return lag;
    }

    /** Seconds since the last heartbeat to the group's coordinator as of the last refresh; negative if none yet. */
    double heartbeatAgeSeconds() {
        return heartbeatAgeSeconds;
    }

    /**
     * Live: the loop runs and polled within {@link #STUCK_AFTER}. Ready: live, and in touch with the group's
     * coordinator, so it gets and keeps its partitions.
     */
    ClickConsumerApp.Health health(boolean running, Throwable failure, long now) {
        if (!running) {
            return new ClickConsumerApp.Health(false, false, failure == null ? "stopped" : "stopped: " + failure);
        }
        long sincePoll = now - lastPollNanos;
        if (sincePoll > STUCK_AFTER.toNanos()) {
            return new ClickConsumerApp.Health(false, false,
                    "no poll for " + TimeUnit.NANOSECONDS.toSeconds(sincePoll) + " s");
        }
        String refusal = refused;
        if (!refusal.isEmpty()) {
            // Live all the same: a restart would be refused the same way.
            return new ClickConsumerApp.Health(true, false, refusal);
        }
        double heartbeat = heartbeatAgeSeconds;
        if (heartbeat < 0) {
            return new ClickConsumerApp.Health(true, false, "no contact with the consumer group's coordinator yet");
        }
        if (heartbeat > UNREACHABLE_AFTER.toSeconds()) {
            return new ClickConsumerApp.Health(true, false, "no contact with the consumer group's coordinator for "
                    + (long) heartbeat + " s");
        }
        return new ClickConsumerApp.Health(true, true, "");
    }

    private static double heartbeatAgeSeconds(Consumer<byte[], byte[]> consumer) {
        for (Map.Entry<MetricName, ? extends Metric> metric : consumer.metrics().entrySet()) {
            if (metric.getKey().name().equals("last-heartbeat-seconds-ago")
                    && metric.getValue().metricValue() instanceof Number age) {
                return age.doubleValue();
            }
        }
        return -1;
    }
}
