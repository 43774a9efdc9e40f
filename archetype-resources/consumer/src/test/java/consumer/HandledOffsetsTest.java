package ${package}.consumer;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HandledOffsetsTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(Clicks.TOPIC, 1);

    private final CommitRecordingConsumer consumer = new CommitRecordingConsumer();
    private final HandledOffsets offsets = new HandledOffsets(consumer, Duration.ofSeconds(5));

    @Test
    void a_handled_batch_is_committed_in_the_background_at_once() {
        offsets.handled(Map.of(P0, new OffsetAndMetadata(13)));

        assertEquals(List.of(Map.of(P0, new OffsetAndMetadata(13))), consumer.asyncCommits);
        assertEquals(List.of(), consumer.syncCommits, "no waiting for it");
    }

    @Test
    void revoked_partitions_are_committed_and_waited_for_once_and_only_those() {
        offsets.handled(Map.of(P0, new OffsetAndMetadata(13), P1, new OffsetAndMetadata(5)));

        offsets.commit(List.of(P0));
        offsets.commit(List.of(P0));

        assertEquals(List.of(Map.of(P0, new OffsetAndMetadata(13))), consumer.syncCommits);
    }

    @Test
    void lost_partitions_are_not_committed_on_the_way_out() {
        offsets.handled(Map.of(P0, new OffsetAndMetadata(13), P1, new OffsetAndMetadata(5)));

        offsets.forget(List.of(P1));
        offsets.commitAll();

        assertEquals(List.of(Map.of(P0, new OffsetAndMetadata(13))), consumer.syncCommits);
    }

    @Test
    void a_commit_is_logged_as_the_last_offset_it_covers_per_partition() {
        assertEquals(Clicks.TOPIC + "-0 up to 12, " + Clicks.TOPIC + "-1 up to 4",
                HandledOffsets.describe(Map.of(P1, new OffsetAndMetadata(5), P0, new OffsetAndMetadata(13))));
    }

    private static final class CommitRecordingConsumer extends MockConsumer<byte[], byte[]> {
        final List<Map<TopicPartition, OffsetAndMetadata>> asyncCommits = new ArrayList<>();
        final List<Map<TopicPartition, OffsetAndMetadata>> syncCommits = new ArrayList<>();

        CommitRecordingConsumer() {
            super("none");
        }

        @Override
        public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                                             OffsetCommitCallback callback) {
            asyncCommits.add(Map.copyOf(offsets));
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            syncCommits.add(Map.copyOf(offsets));
            super.commitSync(offsets);
        }
    }
}
