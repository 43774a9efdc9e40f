package ${package}.consumer;

import ${package}.shared.ClickTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * What {@code /livez}, {@code /readyz} and {@code /metrics} read about the loop: when it last polled, when it last
 * heard from the group's coordinator, whether the click topic exists, and the lag per partition. Only the loop's
 * thread may use the Kafka consumer, so the loop refreshes this every {@link #REFRESH_INTERVAL} and other threads
 * read the copy.
 */
final class ConsumerStatus {

    /** No heartbeat for this long: the coordinator is out of reach, so partitions are neither kept nor got. */
    static final Duration UNREACHABLE_AFTER = Duration.ofSeconds(15);
    static final Duration REFRESH_INTERVAL = Duration.ofSeconds(2);
    /** A loop that has not polled for this long is stuck (a poll returns within a second): not live. */
    static final Duration STUCK_AFTER = Duration.ofSeconds(60);
    /** How long a refresh may wait for the broker to say whether the topic exists (only while nothing is assigned). */
    static final Duration TOPIC_CHECK_TIMEOUT = Duration.ofMillis(500);

    /** The broker said it has no such topic; false while it is there or nobody knows. */
    private volatile boolean topicMissing;
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
        // Partitions assigned: the topic exists. None: it may not exist (subscribing to it is no error), or other
        // consumers of the group own them all; the consumer's metadata, or one request, tells which.
        topicMissing = consumer.assignment().isEmpty() && topicMissing(consumer);
    }

    /** Why the sink cannot store clicks (its database is down, its disk full), while it cannot; empty otherwise. */
    private volatile String sinkProblem = "";

    /** The sink cannot store ({@code problem}), or can again (empty). */
    void sinkProblem(String problem) {
        sinkProblem = problem;
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
     * Live: the loop runs and polled within {@link #STUCK_AFTER}. Ready: live, in touch with the group's
     * coordinator, so it gets and keeps its partitions, and the click topic exists.
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
        String sinkDown = sinkProblem;
        if (!sinkDown.isEmpty()) {
            // Live: a restart would not bring the database back; the loop tries again by itself.
            return new ClickConsumerApp.Health(true, false, sinkDown);
        }
        double heartbeat = heartbeatAgeSeconds;
        if (heartbeat < 0) {
            return new ClickConsumerApp.Health(true, false, "no contact with the consumer group's coordinator yet");
        }
        if (heartbeat > UNREACHABLE_AFTER.toSeconds()) {
            return new ClickConsumerApp.Health(true, false, "no contact with the consumer group's coordinator for "
                    + (long) heartbeat + " s");
        }
        if (topicMissing) {
            return new ClickConsumerApp.Health(true, false, ClickTopic.MISSING);
        }
        return new ClickConsumerApp.Health(true, true, "");
    }

    /** Whether the broker says a subscribed topic does not exist (a missing topic is no error to subscribe()). */
    private static boolean topicMissing(Consumer<byte[], byte[]> consumer) {
        try {
            for (String topic : consumer.subscription()) {
                List<PartitionInfo> partitions = consumer.partitionsFor(topic, TOPIC_CHECK_TIMEOUT);
                if (partitions == null || partitions.isEmpty()) {
                    return true;
                }
            }
            return false;
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            // no answer in time, or not allowed to ask: the coordinator checks say what is wrong
            return false;
        }
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
