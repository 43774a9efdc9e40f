package ${package}.consumer;

import java.time.Duration;

/**
 * What of a sink outage goes to the log: its start, a changed reason at most once per {@link #REASON_INTERVAL}, and
 * its end. A database that stops passes through several reasons within a fraction of a second (terminating
 * connection, shutting down, connection attempt failed, connection refused) while the loop's first retries come
 * milliseconds apart: a line per changed reason would be a line per try. {@code /readyz} shows the latest reason
 * at every try; the log is for the operator reading what happened.
 *
 * <p>Times are {@link System#nanoTime()} values, given by the caller (the tests give their own). Loop thread only.
 */
final class SinkOutageLog {

    /** The least time between two lines of one outage whose reason changed. */
    static final Duration REASON_INTERVAL = Duration.ofSeconds(30);

    /** Since when the sink cannot store (0: it can). */
    private long downSince;
    /** The reason last logged, and when. */
    private String loggedReason = "";
    private long loggedAt;

    /**
     * The sink cannot store, for this reason, now. Whether to log it: at the outage's start, or when the reason
     * differs from the one last logged and {@link #REASON_INTERVAL} has passed since.
     */
    boolean unavailable(String reason, long now) {
        if (downSince == 0) {
            downSince = now == 0 ? 1 : now;
            return logged(reason, now);
        }
        if (!reason.equals(loggedReason) && now - loggedAt >= REASON_INTERVAL.toNanos()) {
            return logged(reason, now);
        }
        return false;
    }

    /**
     * The sink stored again, now: how long it could not (to log once), or null when there was no outage.
     */
    Duration available(long now) {
        if (downSince == 0) {
            return null;
        }
        Duration down = Duration.ofNanos(now - downSince);
        downSince = 0;
        loggedReason = "";
        return down;
    }

    /** Whether an outage is going on. */
    boolean down() {
        return downSince != 0;
    }

    private boolean logged(String reason, long now) {
        loggedReason = reason;
        loggedAt = now;
        return true;
    }
}
