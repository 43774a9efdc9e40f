package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The partitions this consumer has been given but whose sink refused the claim so far (another process still
 * holds the file's lock): when to ask again, with a backoff that doubles up to {@link #MAX_BACKOFF}, so that a
 * partition is taken over soon after its previous owner lets go, without hammering the file system while a
 * hung process holds it. Used on the loop's thread only.
 */
final class PendingClaims {

    static final Duration FIRST_BACKOFF = Duration.ofMillis(50);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    /**
     * A rebalance hands a partition over within a poll or two; a lock held this long means a process that hangs,
     * or one of another group writing the same directory: worth a warning, repeated at this interval.
     */
    static final Duration WARN_AFTER = Duration.ofSeconds(30);

    /** One partition waiting: since when (nanoTime), when to ask next, the current backoff, the next warning. */
    private static final class Waiting {
        final long since;
        long nextTry;
        long backoff = FIRST_BACKOFF.toNanos();
        long nextWarning;

        Waiting(long now) {
            since = now;
            nextTry = now + backoff;
            nextWarning = now + WARN_AFTER.toNanos();
        }
    }

    private final Map<TopicPartition, Waiting> waiting = new HashMap<>();

    void add(TopicPartition partition, long now) {
        waiting.putIfAbsent(partition, new Waiting(now));
    }

    void removeAll(Collection<TopicPartition> partitions) {
        partitions.forEach(waiting::remove);
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    boolean contains(TopicPartition partition) {
        return waiting.containsKey(partition);
    }

    /** The partitions to ask for again now. */
    List<TopicPartition> due(long now) {
        return waiting.entrySet().stream().filter(e -> now - e.getValue().nextTry >= 0).map(Map.Entry::getKey)
                .toList();
    }

    /** The claim was refused again: ask later. True when a warning is due (every {@link #WARN_AFTER}). */
    boolean refused(TopicPartition partition, long now) {
        Waiting w = waiting.get(partition);
        w.backoff = Math.min(w.backoff * 2, MAX_BACKOFF.toNanos());
        w.nextTry = now + w.backoff;
        if (now - w.nextWarning >= 0) {
            w.nextWarning = now + WARN_AFTER.toNanos();
            return true;
        }
        return false;
    }

    /** Since when the partition waits (nanoTime). */
    long since(TopicPartition partition) {
        return waiting.get(partition).since;
    }

    /** How long until the next partition is due; {@code max} when none waits. */
    Duration untilNext(long now, Duration max) {
        long next = max.toNanos();
        for (Waiting w : waiting.values()) {
            next = Math.min(next, Math.max(0, w.nextTry - now));
        }
        return Duration.ofNanos(next);
    }

    /** Per waiting partition, how long it has waited so far. */
    Map<TopicPartition, Duration> waited(long now) {
        Map<TopicPartition, Duration> result = new HashMap<>();
        waiting.forEach((partition, w) -> result.put(partition, Duration.ofNanos(now - w.since)));
        return Map.copyOf(result);
    }
}
