package ${package}.web;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bound on clicks sent to Kafka and not yet acknowledged: load shedding. A request whose clicks do not fit
 * gets 503 at once, before anything is sent; nothing waits for room.
 *
 * <p>Two bounds, both derived from the heap in {@link #forHeap}: bytes, below the Kafka producer's
 * {@code buffer.memory}, so that {@code send()} never finds its buffer full (it would block the event loop);
 * and clicks, because every click in flight also holds a few hundred bytes of request and future on the heap.
 *
 * <p>Bulk requests (more than {@link #BULK_CLICKS} clicks) may fill only {@link #BULK_SHARE} of either bound:
 * the rest is kept for small ones, so that a few clients posting large batches as fast as they can (or a page
 * flushing a long queue) do not turn away every single click of everyone else.
 */
final class InFlightClicks {

    /** What a click costs beyond its JSON in the producer's buffer: key, eventId, receivedAt, record header. */
    static final int OVERHEAD_BYTES_PER_CLICK = 200;
    /** A request with more clicks than this is bulk. */
    static final int BULK_CLICKS = 10;
    /** A body longer than this is taken for bulk before it is parsed (ten clicks of about 200 bytes). */
    static final int BULK_BODY_BYTES = 2048;
    /** The part of each bound that bulk requests may fill. */
    static final double BULK_SHARE = 0.75;

    private final long maxClicks;
    private final long maxBytes;
    private final AtomicLong clicks = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    InFlightClicks(long maxClicks, long maxBytes) {
        if (maxClicks < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("the in-flight bounds must be positive: " + maxClicks + " clicks, "
                    + maxBytes + " bytes");
        }
        this.maxClicks = maxClicks;
        this.maxBytes = maxBytes;
    }

    /**
     * Half the producer's buffer for bytes (batches and their headers need the rest), and one click per 16 KiB of
     * heap: 6,144 clicks and 8 MiB with the image's 96 MiB heap and 16 MiB buffer. A click in flight holds about
     * 1.7 KiB of heap besides its bytes (its futures, id and Kafka's handles; measured with 10,000 single clicks
     * waiting on a stopped broker), so 10 MiB, which the heap's worst-case sum (README) can carry; at 250,000 clicks
     * a second that is still 25 ms of Kafka's time in flight.
     */
    static InFlightClicks forHeap(long maxHeapBytes, long producerBufferBytes) {
        return new InFlightClicks(Math.max(100, maxHeapBytes / 16384), Math.max(64 * 1024, producerBufferBytes / 2));
    }

    /** The bytes a request's clicks take in flight: the body, plus what the server adds to each click. */
    static long bytesOf(int clickCount, int bodyBytes) {
        return bodyBytes + (long) clickCount * OVERHEAD_BYTES_PER_CLICK;
    }

    /**
     * Whether a request body of this size could fit at all, checked before it is parsed: when the server is full,
     * a 64 KiB batch is refused for the price of a look at two counters, not of decoding it first.
     */
    boolean mightFit(int bodyBytes) {
        double share = bodyBytes > BULK_BODY_BYTES ? BULK_SHARE : 1.0;
        return clicks.get() < maxClicks * share && bytes.get() + bodyBytes <= maxBytes * share;
    }

    /** Takes room for a request's clicks if both bounds allow it; all or nothing. */
    boolean tryAcquire(int clickCount, long byteCount) {
        double share = clickCount > BULK_CLICKS ? BULK_SHARE : 1.0;
        long newClicks = clicks.addAndGet(clickCount);
        long newBytes = bytes.addAndGet(byteCount);
        if (newClicks <= maxClicks * share && newBytes <= maxBytes * share) {
            return true;
        }
        release(clickCount, byteCount);
        return false;
    }

    void release(int clickCount, long byteCount) {
        clicks.addAndGet(-clickCount);
        bytes.addAndGet(-byteCount);
    }

    long clicks() {
        return clicks.get();
    }

    long bytes() {
        return bytes.get();
    }

    long maxClicks() {
        return maxClicks;
    }

    long maxBytes() {
        return maxBytes;
    }
}
