package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the loop has done since start (clicks stored, repeats left out, records dead-lettered), for
 * {@code /metrics} and for a log line every {@link #REPORT_INTERVAL} while anything changes; and, while the
 * broker is out of reach, a hint every {@link #HINT_INTERVAL} on where the consumer looks for it.
 */
final class ConsumerProgress {

    static final Duration REPORT_INTERVAL = Duration.ofSeconds(10);
    static final Duration HINT_INTERVAL = Duration.ofMinutes(1);
    private static final Logger log = LoggerFactory.getLogger(ConsumerProgress.class);

    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong repeated = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final ClickConsumerConfig config;

    // Used by the loop's thread only.
    private final long startedAt;
    private long lastReportAt;
    private long reportedStored;
    private long reportedDeadLettered;
    private long lastHintAt;

    ConsumerProgress(ClickConsumerConfig config, long startedAt) {
        this.config = config;
        this.startedAt = startedAt;
        this.lastReportAt = startedAt;
        this.lastHintAt = startedAt - HINT_INTERVAL.toNanos();
    }

    /** A batch's clicks went to the sink, which left {@code repeats} of them out as a browser's repeats. */
    void stored(int clicks, int repeats) {
        stored.addAndGet(clicks - repeats);
        if (repeats > 0) {
            repeated.addAndGet(repeats);
            log.debug("Left out {} click(s) already stored: a browser sent them again", repeats);
        }
    }

    void deadLettered(int records) {
        deadLettered.addAndGet(records);
    }

    long storedCount() {
        return stored.get();
    }

    long repeatedCount() {
        return repeated.get();
    }

    long deadLetteredCount() {
        return deadLettered.get();
    }

    /** After each poll, on the loop's thread: logs the counts and the broker hint when due. */
    void polled(long now, Set<TopicPartition> assignment, double heartbeatAgeSeconds) {
        reportCounts(now, assignment);
        hintIfBrokerUnreachable(now, heartbeatAgeSeconds);
    }

    private void reportCounts(long now, Set<TopicPartition> assignment) {
        if (now - lastReportAt < REPORT_INTERVAL.toNanos()) {
            return;
        }
        long storedNow = stored.get();
        long deadLetteredNow = deadLettered.get();
        if (storedNow != reportedStored || deadLetteredNow != reportedDeadLettered) {
            log.info("Stored {} clicks (+{} in the last {} s), dead-lettered {} records; partitions {}", storedNow,
                    storedNow - reportedStored, TimeUnit.NANOSECONDS.toSeconds(now - lastReportAt),
                    deadLetteredNow, assignment);
        }
        reportedStored = storedNow;
        reportedDeadLettered = deadLetteredNow;
        lastReportAt = now;
    }

    /**
     * A consumer that cannot reach the broker just polls empty, and the client's own warnings do not say what
     * to do; so after a while without a group heartbeat (or none since start), say where we look for the broker
     * and how to check it.
     *
     * @return whether it logged the hint
     */
    boolean hintIfBrokerUnreachable(long now, double heartbeatAgeSeconds) {
        if (now - lastHintAt < HINT_INTERVAL.toNanos()) {
            return false;
        }
        long silentSeconds = heartbeatAgeSeconds >= 0
                ? (long) heartbeatAgeSeconds
                : TimeUnit.NANOSECONDS.toSeconds(now - startedAt);
        if (silentSeconds < ConsumerStatus.UNREACHABLE_AFTER.toSeconds()) {
            return false;
        }
        logBrokerHint(config, "No contact with the consumer group's coordinator for " + silentSeconds + " s");
        lastHintAt = now;
        return true;
    }

    static void logBrokerHint(ClickConsumerConfig config, String problem) {
        log.warn("{}: {}", problem, config.bootstrap().unreachableHint());
    }

    void logStopped() {
        log.info("Click consumer stopped: stored {} clicks, dead-lettered {} records", stored.get(),
                deadLettered.get());
    }
}
