package ${package}.consumer;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * Per partition, the offset after the last record stored or dead-lettered: what may be committed, and the
 * commits. After each batch the commit is asynchronous (the next one covers a failure); before partitions are
 * given up, and on the way out, it is synchronous. A commit that fails is harmless: the sink's position guards
 * against storing a click twice. Used on the loop's thread only.
 */
final class HandledOffsets {

    private static final Logger log = LoggerFactory.getLogger(HandledOffsets.class);

    private final Consumer<byte[], byte[]> consumer;
    private final Duration timeout;
    private final Map<TopicPartition, OffsetAndMetadata> handled = new HashMap<>();

    HandledOffsets(Consumer<byte[], byte[]> consumer, Duration timeout) {
        this.consumer = consumer;
        this.timeout = timeout;
    }

    /** A batch is stored and dead-lettered up to these offsets: remember them and commit in the background. */
    void handled(Map<TopicPartition, OffsetAndMetadata> nextOffsets) {
        handled.putAll(nextOffsets);
        consumer.commitAsync(nextOffsets, (offsets, e) -> {
            if (e != null) {
                // Harmless: the next commit covers these offsets, and the sink's position guards against duplicates.
                log.debug("Commit of {} failed: {}", offsets, e.toString());
            }
        });
    }

    /** Commits what was handled for these partitions and waits: the next owner starts where we commit. */
    void commit(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata offset = handled.remove(partition);
            if (offset != null) {
                offsets.put(partition, offset);
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                consumer.commitSync(offsets, timeout);
                log.info("Committed {}", describe(offsets));
                return;
            } catch (WakeupException e) {
                // close() has asked the loop to stop; the commit is part of stopping, so try once more.
                if (attempt > 1) {
                    log.warn("Could not commit {}: woken up twice", describe(offsets));
                    return;
                }
            } catch (KafkaException e) {
                log.warn("Could not commit {} ({}); the sink's position covers it on the next assignment",
                        describe(offsets), e.toString());
                return;
            }
        }
    }

    /** Commits everything handled: on the way out. */
    void commitAll() {
        commit(new ArrayList<>(handled.keySet()));
    }

    /** Partitions another consumer owns already: committing them would fail or overwrite its progress. */
    void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(handled::remove);
    }

    /** {@code clicks-0 up to 41, clicks-1 up to 17}: the offsets a commit covers, readable in one line. */
    static String describe(Map<TopicPartition, OffsetAndMetadata> offsets) {
        StringBuilder text = new StringBuilder();
        offsets.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(TopicPartition::toString)))
                .forEach(e -> text.append(text.length() == 0 ? "" : ", ")
                        .append(e.getKey()).append(" up to ").append(e.getValue().offset() - 1));
        return text.toString();
    }
}
