package ${package}.consumer;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Where each partition is read from: on assignment, right after the sink's last stored click, so that what a
 * crash left uncommitted is not stored again. The committed offset is only a hint; it wins when it is further
 * ahead, which happens when the last records of a partition were dead-lettered.
 *
 * <p>Used on the loop's thread only, like the consumer it seeks.
 */
final class ResumePolicy {

    private static final Logger log = LoggerFactory.getLogger(ResumePolicy.class);

    private final Consumer<byte[], byte[]> consumer;
    private final ClickSink sink;

    ResumePolicy(Consumer<byte[], byte[]> consumer, ClickSink sink) {
        this.consumer = consumer;
        this.sink = sink;
    }

    /**
     * Where a partition resumes: right after the sink's last click, or at the committed offset when that is
     * further ahead (records after the last stored click were dead-lettered, or stored by another consumer of
     * the group with its own sink); empty when neither exists, meaning the beginning of the partition.
     */
    static OptionalLong resumeOffset(OptionalLong lastStored, OptionalLong committed) {
        if (lastStored.isEmpty()) {
            return committed;
        }
        long afterStored = lastStored.getAsLong() + 1;
        return OptionalLong.of(committed.isPresent() ? Math.max(afterStored, committed.getAsLong()) : afterStored);
    }

    /**
     * Seeks each newly owned partition to its {@link #resumeOffset}. Called only for partitions the sink has
     * {@link ClickSink#claim claimed}: with several consumers on one sink, the last stored offset is final only
     * once the previous owner has let go.
     */
    void seek(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed;
        boolean committedKnown = true;
        try {
            committed = consumer.committed(new HashSet<>(partitions));
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            log.warn("Cannot read the committed offsets ({}); resuming from the sink's positions", e.toString());
            committed = Map.of();
            committedKnown = false;
        }
        List<TopicPartition> fromBeginning = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            OptionalLong lastStored = lastStored(partition);
            OffsetAndMetadata commit = committed.get(partition);
            OptionalLong committedOffset = commit == null ? OptionalLong.empty() : OptionalLong.of(commit.offset());
            OptionalLong resume = resumeOffset(lastStored, committedOffset);
            if (resume.isPresent()) {
                consumer.seek(partition, resume.getAsLong());
                log.info("{}: resuming at offset {} (stored up to {}, committed {})", partition, resume.getAsLong(),
                        lastStored.isPresent() ? lastStored.getAsLong() : "none",
                        committedOffset.isPresent() ? committedOffset.getAsLong() : "none");
            } else if (committedKnown) {
                fromBeginning.add(partition);
            }
        }
        if (!fromBeginning.isEmpty()) {
            // Nothing stored or committed: a new group stores every click still on the topic, including those
            // sent before this consumer first started.
            consumer.seekToBeginning(fromBeginning);
            log.info("{}: nothing stored or committed yet, reading from the beginning", fromBeginning);
        }
    }

    /**
     * Handles offsets the broker no longer has. Behind the partition's start, the broker deleted them (retention)
     * before they were stored: go on at the start. Past its end, the topic was deleted and created again (or the
     * broker lost its data): stop, since new clicks would be stored under offsets the sink has already.
     */
    void resetOutOfRange(Map<TopicPartition, Long> outOfRange) {
        Map<TopicPartition, Long> beginning = consumer.beginningOffsets(outOfRange.keySet());
        Map<TopicPartition, Long> end = consumer.endOffsets(outOfRange.keySet());
        for (Map.Entry<TopicPartition, Long> entry : outOfRange.entrySet()) {
            TopicPartition partition = entry.getKey();
            long wanted = entry.getValue();
            if (wanted > end.get(partition)) {
                String where = sink instanceof JsonLinesClickSink jsonLines
                        ? " (" + JsonLinesClickSink.describeFiles(jsonLines.dataDir(), partition) + ")" : "";
                throw new IllegalStateException(partition + " ends at offset " + end.get(partition)
                        + ", but this consumer resumes at " + wanted + ", after what its sink stored" + where
                        + " or its group committed: the topic was deleted and created again, or the broker lost its"
                        + " data. Clicks stored from the old topic would be mixed up with the new offsets: move them"
                        + " away, then start the consumer again");
            }
            long first = beginning.get(partition);
            log.warn("{}: offsets {} to {} were deleted by the broker (retention) before they were stored;"
                    + " resuming at {}", partition, wanted, first - 1, first);
            consumer.seek(partition, first);
        }
    }

    private OptionalLong lastStored(TopicPartition partition) {
        try {
            return sink.lastOffset(partition);
        } catch (IOException e) {
            throw new UncheckedIOException("the sink cannot tell the last stored offset of " + partition, e);
        }
    }
}
