package ${package}.consumer;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsumerProgressTest {

    private static final long START = 1_000_000_000L;
    private static final long SECOND = 1_000_000_000L;

    private final ConsumerProgress progress = new ConsumerProgress(ClickConsumerConfig.resolve(Map.of()), START);

    @Test
    void repeats_left_out_by_the_sink_count_as_repeated_not_as_stored() {
        progress.stored(5, 2);
        progress.stored(3, 0);
        progress.deadLettered(1);

        assertEquals(6, progress.storedCount());
        assertEquals(2, progress.repeatedCount());
        assertEquals(1, progress.deadLetteredCount());
    }

    @Test
    void the_broker_hint_comes_after_15_s_without_contact_and_then_once_a_minute() {
        assertFalse(progress.hintIfBrokerUnreachable(START + 14 * SECOND, -1), "no heartbeat yet, but only 14 s");
        assertTrue(progress.hintIfBrokerUnreachable(START + 15 * SECOND, -1));
        assertFalse(progress.hintIfBrokerUnreachable(START + 70 * SECOND, -1), "within a minute of the last hint");
        assertTrue(progress.hintIfBrokerUnreachable(START + 75 * SECOND, 40));
    }

    @Test
    void no_hint_while_the_coordinator_answers() {
        assertFalse(progress.hintIfBrokerUnreachable(START + 120 * SECOND, 3));
    }
}
