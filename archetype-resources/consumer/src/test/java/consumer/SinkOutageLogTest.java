package ${package}.consumer;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SinkOutageLogTest {

    private static final long MS = 1_000_000L;
    private static final long START = 5_000 * MS;

    /** The four reasons of a stopping database as one CI run saw them, within 166 ms. */
    private static final String[] STOPPING = {
            "the database at db:5432 cannot be reached (FATAL: terminating connection due to administrator command)",
            "the database at db:5432 cannot be reached (FATAL: the database system is shutting down)",
            "the database at db:5432 cannot be reached (The connection attempt failed.)",
            "the database at db:5432 cannot be reached (Connection to 127.0.0.1:37297 refused.)"};

    @Test
    void a_database_that_stops_is_one_line_however_many_reasons_it_passes_through() {
        SinkOutageLog outages = new SinkOutageLog();
        List<String> logged = new ArrayList<>();
        long[] at = {0, 66, 94, 166};
        for (int i = 0; i < STOPPING.length; i++) {
            if (outages.unavailable(STOPPING[i], START + at[i] * MS)) {
                logged.add(STOPPING[i]);
            }
        }
        // then the refused connection, tried again with a growing pause for 10 s
        for (long t = 300; t < 10_000; t *= 2) {
            if (outages.unavailable(STOPPING[3], START + t * MS)) {
                logged.add(STOPPING[3]);
            }
        }
        assertEquals(List.of(STOPPING[0]), logged, "the outage's start only");
        assertTrue(outages.down());
        assertEquals(Duration.ofMillis(10_000), outages.available(START + 10_000 * MS), "how long it lasted");
        assertFalse(outages.down());
        assertNull(outages.available(START + 10_001 * MS), "the end is told once");
    }

    @Test
    void a_changed_reason_is_logged_again_once_the_interval_has_passed_and_the_same_one_never() {
        SinkOutageLog outages = new SinkOutageLog();
        long interval = SinkOutageLog.REASON_INTERVAL.toNanos();
        assertTrue(outages.unavailable("disk full", START));
        assertFalse(outages.unavailable("password refused", START + interval - 1), "within the interval");
        assertFalse(outages.unavailable("disk full", START + 10 * interval), "the same reason: /readyz has it");
        assertTrue(outages.unavailable("password refused", START + 10 * interval + 1), "changed, the interval past");
        assertFalse(outages.unavailable("password refused", START + 12 * interval), "the same reason again");
        assertFalse(outages.unavailable("disk full", START + 11 * interval), "within the interval of the last line");
        assertTrue(outages.unavailable("disk full", START + 11 * interval + 1));
    }

    @Test
    void the_next_outage_starts_with_a_line_even_for_the_last_reason() {
        SinkOutageLog outages = new SinkOutageLog();
        assertTrue(outages.unavailable("disk full", START));
        outages.available(START + MS);
        assertTrue(outages.unavailable("disk full", START + 2 * MS), "a new outage");
        // a nanoTime of 0 is a time like any other
        SinkOutageLog atZero = new SinkOutageLog();
        assertTrue(atZero.unavailable("disk full", 0));
        assertTrue(atZero.down());
    }
}
