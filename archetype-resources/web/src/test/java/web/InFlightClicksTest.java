package ${package}.web;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InFlightClicksTest {

    @Test
    void takes_room_up_to_the_bound_and_gives_it_back() {
        InFlightClicks inFlight = new InFlightClicks(10, 1_000_000);

        for (int i = 0; i < 10; i++) {
            assertTrue(inFlight.tryAcquire(1, 100));
        }
        assertFalse(inFlight.tryAcquire(1, 100), "the 11th click does not fit");
        assertEquals(10, inFlight.clicks(), "a refused request takes nothing");
        inFlight.release(1, 100);
        assertTrue(inFlight.tryAcquire(1, 100));
    }

    @Test
    void the_byte_bound_holds_too() {
        InFlightClicks inFlight = new InFlightClicks(1_000, 1_000);

        assertTrue(inFlight.tryAcquire(1, 900));
        assertFalse(inFlight.tryAcquire(1, 200));
        assertEquals(900, inFlight.bytes());
    }

    @Test
    void bulk_requests_leave_a_quarter_of_the_room_to_small_ones() {
        InFlightClicks inFlight = new InFlightClicks(100, 1_000_000);

        assertTrue(inFlight.tryAcquire(50, 1_000));
        assertTrue(inFlight.tryAcquire(25, 1_000));
        assertFalse(inFlight.tryAcquire(11, 1_000), "bulk may fill 75 of 100");
        for (int i = 0; i < 25; i++) {
            assertTrue(inFlight.tryAcquire(1, 10), "single clicks still fit");
        }
        assertFalse(inFlight.tryAcquire(1, 10));
    }

    @Test
    void bounds_follow_the_heap_and_the_producer_buffer() {
        InFlightClicks inFlight = InFlightClicks.forHeap(96L << 20, 16L << 20);

        assertEquals(6_144, inFlight.maxClicks());
        assertEquals(8L << 20, inFlight.maxBytes());
        assertEquals(16L << 20, KafkaClickPublisher.bufferMemoryFor(96L << 20));
        assertEquals(12L << 20, HttpLimits.requestMemoryFor(96L << 20), "WEB_REQUEST_MEMORY's default");
    }
}
