package ${package}.consumer;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecentClientEventsTest {

    @Test
    void an_id_is_known_while_it_is_among_the_last_window_clicks() {
        RecentClientEvents recent = new RecentClientEvents(3);
        long a = RecentClientEvents.fingerprint("alice", "c-1");
        recent.add(a);
        recent.add(0); // a click without an id still takes its place in the window
        recent.add(RecentClientEvents.fingerprint("alice", "c-2"));
        assertTrue(recent.contains(a));

        recent.add(RecentClientEvents.fingerprint("alice", "c-3"));

        assertFalse(recent.contains(a), "the fourth click pushes the first out of a window of three");
        assertEquals(2, recent.size());
    }

    @Test
    void the_same_id_from_another_user_is_another_click() {
        assertNotEquals(RecentClientEvents.fingerprint("alice", "c-1"), RecentClientEvents.fingerprint("bob", "c-1"));
        assertEquals(0, RecentClientEvents.fingerprint("alice", null), "no id, nothing to compare");
    }

    @Test
    void agrees_with_a_plain_set_over_a_long_random_run() {
        // Few distinct slots make probe chains long and wrap around the table: the deletions must keep every
        // remaining fingerprint reachable.
        int window = 50;
        RecentClientEvents recent = new RecentClientEvents(window);
        Deque<Long> reference = new ArrayDeque<>();
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            long fingerprint = random.nextInt(8) == 0 ? 0 : (random.nextInt(400) + 1L) * 0x1_0000_0001L;
            boolean known = fingerprint != 0 && reference.contains(fingerprint);
            assertEquals(known, recent.contains(fingerprint), "step " + i);
            if (!known) { // the sink never stores a click it knows
                recent.add(fingerprint);
                reference.addLast(fingerprint);
                if (reference.size() > window) {
                    reference.removeFirst();
                }
            }
            Set<Long> distinct = new HashSet<>(reference);
            distinct.remove(0L);
            assertEquals(distinct.size(), recent.size(), "step " + i);
        }
    }
}
