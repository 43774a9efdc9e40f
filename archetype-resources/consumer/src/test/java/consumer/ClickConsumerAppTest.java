package ${package}.consumer;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The decisions of the consumer that need no broker; the end-to-end test with a broker is in the dev module. */
class ClickConsumerAppTest {

    @Test
    void a_partition_resumes_right_after_the_last_stored_click_even_if_the_commit_is_behind() {
        assertEquals(OptionalLong.of(11), ClickConsumerApp.resumeOffset(OptionalLong.of(10), OptionalLong.of(4)));
    }

    @Test
    void a_commit_ahead_of_the_sink_wins_because_the_records_after_the_last_click_were_dead_lettered() {
        assertEquals(OptionalLong.of(15), ClickConsumerApp.resumeOffset(OptionalLong.of(10), OptionalLong.of(15)));
    }

    @Test
    void with_an_empty_sink_the_committed_offset_is_used() {
        assertEquals(OptionalLong.of(3), ClickConsumerApp.resumeOffset(OptionalLong.empty(), OptionalLong.of(3)));
    }

    @Test
    void with_neither_the_partition_is_read_from_the_beginning() {
        assertEquals(OptionalLong.empty(), ClickConsumerApp.resumeOffset(OptionalLong.empty(), OptionalLong.empty()));
    }

    @Test
    void dead_letters_are_acknowledged_by_all_replicas_and_written_once() {
        Properties props = ClickConsumerApp.deadLetterProducerProperties(ClickConsumerConfig.resolve(Map.of()));

        assertEquals("all", props.get(ProducerConfig.ACKS_CONFIG));
        assertEquals(true, props.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
    }
}
