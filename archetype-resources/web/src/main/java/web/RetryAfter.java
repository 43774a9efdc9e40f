package ${package}.web;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a 503 tells the client to wait, with jitter: clients refused in the same second should not all come
 * back in the same second, or every retry wave meets the same full server.
 */
enum RetryAfter {

    /** The in-flight bound is reached: room comes back as soon as Kafka acknowledges, within milliseconds. */
    OVERLOADED(1, 3),
    /** Kafka did not acknowledge within the delivery timeout (about 5 s): a restarting broker needs a few more. */
    KAFKA_UNAVAILABLE(4, 8),
    /** The web producer is shutting down; another instance, or this one restarted, takes the retry. */
    SHUTTING_DOWN(2, 5);

    private final int minSeconds;
    private final int maxSeconds;

    RetryAfter(int minSeconds, int maxSeconds) {
        this.minSeconds = minSeconds;
        this.maxSeconds = maxSeconds;
    }

    /** A whole number of seconds from the range, drawn anew for every answer. */
    int seconds() {
        return ThreadLocalRandom.current().nextInt(minSeconds, maxSeconds + 1);
    }
}
