package ${package}.web;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory that unfinished requests hold, summed over every connection, against one budget
 * ({@link HttpLimits#requestMemoryBytes()}). A request is unfinished from its first byte until it is read whole
 * (then its body becomes clicks in flight, bounded by {@link InFlightClicks}) or refused.
 *
 * <p>What a connection is charged for its unfinished request ({@link ClickConnection} keeps the account):
 * <ul>
 *   <li>every byte read while the head (request line and headers) arrives, {@link #HEAD_BYTE_COST} times, and
 *       {@link #HEADER_LINE_BYTES} for each of its lines: Netty keeps a head that is not whole in its buffer, and
 *       its lines as parsed headers, which cost more than their bytes; the charge stays until the request is read
 *       whole, since the parsed head stays as long;</li>
 *   <li>the body buffer's capacity: it grows as bytes arrive (never from the declared length), by doubling, so at
 *       most twice what arrived;</li>
 *   <li>{@link #UNFINISHED_REQUEST_BYTES} once, for the receive buffer that Netty keeps for a request that is not
 *       whole after a read.</li>
 * </ul>
 * Charges are made as bytes arrive, unconditionally; after each socket read, a connection whose request is still
 * unfinished is refused if the sum is over the budget (503) or its client's over its share (429), and its charge
 * released. Pipelined requests, read whole while an earlier one is answered, are charged at their size and held to
 * the same bounds: past them they are dropped, and their connection closes after its current answer. So between reads the sum is within the budget, and during one it exceeds it by at most what the read
 * brought (one read per event loop at a time, at most 64 KiB each).
 *
 * <p>A request that arrives whole in one read (every click a browser or a beacon sends) never waits for room: it
 * is read, answered and released within that read. Only requests that trickle compete for the budget, and the one
 * that asks for more when there is none is the one refused.
 */
final class RequestMemory {

    /** The receive buffer Netty keeps for an unfinished request (its adaptive allocator's first guess). */
    static final int UNFINISHED_REQUEST_BYTES = 2048;
    /**
     * A head's bytes count twice: parsed, a header's name and value are strings of their own, beside the bytes
     * Netty keeps for a line not yet whole (measured: 15 KB of long header lines held 27 KiB of heap).
     */
    static final int HEAD_BYTE_COST = 2;
    /** And each of its lines this much more: a header field's entry and its two string objects (measured: 87). */
    static final int HEADER_LINE_BYTES = 96;
    /**
     * Header fields a request may have, as Apache httpd's LimitRequestFields: browsers send about 20, and
     * thousands of tiny ones would cost the server far more than their bytes.
     */
    static final int MAX_HEADER_FIELDS = 100;

    private final long budget;
    private final AtomicLong held = new AtomicLong();

    RequestMemory(long budget) {
        if (budget < 1) {
            throw new IllegalArgumentException("the request memory budget must be positive, got " + budget);
        }
        this.budget = budget;
    }

    void charge(long bytes) {
        held.addAndGet(bytes);
    }

    void release(long bytes) {
        held.addAndGet(-bytes);
    }

    /** Whether the unfinished requests hold more than the budget now. */
    boolean overBudget() {
        return held.get() > budget;
    }

    long held() {
        return held.get();
    }

    long budget() {
        return budget;
    }
}
