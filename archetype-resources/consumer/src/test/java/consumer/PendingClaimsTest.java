package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PendingClaimsTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(Clicks.TOPIC, 1);
    private static final long MS = 1_000_000L;

    @Test
    void a_refused_partition_is_asked_again_with_a_backoff_that_doubles_up_to_its_bound() {
        PendingClaims pending = new PendingClaims();
        long now = 0;
        pending.add(P0, now);
        assertEquals(List.of(), pending.due(now), "not at once: the previous owner needs a moment");

        long backoff = PendingClaims.FIRST_BACKOFF.toNanos();
        long expected = backoff;
        for (int attempt = 0; attempt < 12; attempt++) {
            now += expected;
            assertEquals(List.of(P0), pending.due(now), "due after " + expected / MS + " ms");
            pending.refused(P0, now);
            expected = Math.min(expected * 2, PendingClaims.MAX_BACKOFF.toNanos());
            assertEquals(List.of(), pending.due(now + expected - 1));
        }
        assertEquals(PendingClaims.MAX_BACKOFF.toNanos(), expected, "bounded");
    }

    @Test
    void a_long_wait_warns_once_per_interval_and_says_how_long_so_far() {
        PendingClaims pending = new PendingClaims();
        pending.add(P0, 0);
        long warnAfter = PendingClaims.WARN_AFTER.toNanos();

        assertFalse(pending.refused(P0, warnAfter - 1));
        assertTrue(pending.refused(P0, warnAfter));
        assertFalse(pending.refused(P0, warnAfter + 1));
        assertTrue(pending.refused(P0, 2 * warnAfter));
        assertEquals(Map.of(P0, Duration.ofNanos(2 * warnAfter)), pending.waited(2 * warnAfter));
    }

    @Test
    void the_poll_waits_no_longer_than_until_the_next_partition_is_due() {
        PendingClaims pending = new PendingClaims();
        Duration max = Duration.ofSeconds(1);
        assertEquals(max, pending.untilNext(0, max), "nothing waits: the usual poll timeout");

        pending.add(P0, 0);
        pending.add(P1, 30 * MS);
        assertEquals(PendingClaims.FIRST_BACKOFF, pending.untilNext(0, max));
        assertEquals(Duration.ZERO, pending.untilNext(500 * MS, max), "overdue");

        pending.removeAll(List.of(P0, P1));
        assertTrue(pending.isEmpty());
        assertEquals(Map.of(), pending.waited(0));
    }
}
