package ${package}.consumer;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where partitions are read from, against Kafka's MockConsumer and a sink that only knows its last offsets. */
class ResumePolicyTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(Clicks.TOPIC, 1);

    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");

    @Test
    void a_partition_resumes_right_after_the_last_stored_click_even_if_the_commit_is_behind() {
        assertEquals(OptionalLong.of(11), ResumePolicy.resumeOffset(OptionalLong.of(10), OptionalLong.of(4)));
    }

    @Test
    void a_commit_ahead_of_the_sink_wins_because_the_records_after_the_last_click_were_dead_lettered() {
        assertEquals(OptionalLong.of(15), ResumePolicy.resumeOffset(OptionalLong.of(10), OptionalLong.of(15)));
    }

    @Test
    void with_an_empty_sink_the_committed_offset_is_used() {
        assertEquals(OptionalLong.of(3), ResumePolicy.resumeOffset(OptionalLong.empty(), OptionalLong.of(3)));
    }

    @Test
    void with_neither_the_partition_is_read_from_the_beginning() {
        assertEquals(OptionalLong.empty(), ResumePolicy.resumeOffset(OptionalLong.empty(), OptionalLong.empty()));
    }

    @Test
    void assigned_partitions_are_sought_to_the_sinks_position_or_else_their_beginning() {
        consumer.assign(List.of(P0, P1));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 7L));
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(3)));

        new ResumePolicy(consumer, sinkWithLastOffsets(Map.of(P0, 41L))).seek(List.of(P0, P1));

        assertEquals(42, consumer.position(P0), "after the last stored click, not at the commit");
        assertEquals(7, consumer.position(P1), "nothing stored or committed: the beginning");
    }

    @Test
    void offsets_deleted_by_retention_are_skipped_to_the_first_one_left() {
        consumer.assign(List.of(P0));
        consumer.updateBeginningOffsets(Map.of(P0, 100L));
        consumer.updateEndOffsets(Map.of(P0, 150L));

        new ResumePolicy(consumer, sinkWithLastOffsets(Map.of())).resetOutOfRange(Map.of(P0, 42L));

        assertEquals(100, consumer.position(P0));
    }

    @Test
    void a_topic_that_ends_before_the_resume_point_stops_the_consumer_with_the_reason() {
        consumer.assign(List.of(P0));
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        consumer.updateEndOffsets(Map.of(P0, 10L));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new ResumePolicy(consumer, sinkWithLastOffsets(Map.of())).resetOutOfRange(Map.of(P0, 100L)));

        assertTrue(e.getMessage().contains("ends at offset 10") && e.getMessage().contains("created again"),
                e.getMessage());
    }

    private static ClickSink sinkWithLastOffsets(Map<TopicPartition, Long> lastOffsets) {
        return new ClickSink() {
            @Override
            public int write(List<StoredClick> clicks) {
                throw new UnsupportedOperationException("the resume policy only asks for positions");
            }

            @Override
            public OptionalLong lastOffset(TopicPartition partition) {
                Long last = lastOffsets.get(partition);
                return last == null ? OptionalLong.empty() : OptionalLong.of(last);
            }

            @Override
            public void close() {
            }
        };
    }
}
