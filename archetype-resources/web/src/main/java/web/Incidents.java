package ${package}.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every 5xx answer carries an incident id, and the same id is in the log line that says what failed, with the
 * exception when there is one; the answer itself says only what the caller can do (the exception's text may name
 * hosts, addresses and classes, which are the operator's business).
 *
 * <p>Failures come in waves (a broker outage fails every click for seconds): one line per kind every
 * {@link #INTERVAL_NANOS}, and the answers of that wave carry that line's id; the next line says how many answers
 * shared the last one. So an id in a client's report always finds its line, and the log stays readable.
 */
final class Incidents {

    static final long INTERVAL_NANOS = 5_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(Incidents.class);

    /** The line last logged for one kind of failure: its id, when, and how many answers have used it since. */
    private static final class Line {
        final String id;
        final long loggedAt;
        final AtomicLong shared = new AtomicLong();

        Line(String id, long loggedAt) {
            this.id = id;
            this.loggedAt = loggedAt;
        }
    }

    private final ConcurrentHashMap<String, Line> lastLines = new ConcurrentHashMap<>();

    /**
     * The id for one 5xx answer, logging a line unless one of this kind was logged within the interval.
     *
     * @param kind    what failed, in a word or two (the exception's class is added to it)
     * @param message what happened, for the log
     * @param error   the cause, logged with its stack trace for failures nobody expected; may be null
     */
    String record(String kind, String message, Throwable error) {
        String key = error == null ? kind : kind + " " + error.getClass().getName();
        long now = System.nanoTime();
        Line[] logged = new Line[2];
        Line line = lastLines.compute(key, (k, last) -> {
            if (last != null && now - last.loggedAt < INTERVAL_NANOS) {
                last.shared.incrementAndGet();
                return last;
            }
            logged[0] = new Line(newId(), now);
            logged[1] = last;
            return logged[0];
        });
        if (logged[0] != null) {
            long earlier = logged[1] == null ? 0 : logged[1].shared.get();
            String more = earlier == 0 ? "" : " (the previous such line's id, " + logged[1].id + ", went to "
                    + earlier + " more answers)";
            if (error == null) {
                LOG.warn("incident {}: {}{}", line.id, message, more);
            } else if ("unexpected".equals(kind)) {
                LOG.error("incident {}: {}{}", line.id, message, more, error);
            } else {
                LOG.warn("incident {}: {}: {}{}", line.id, message, error.toString(), more);
            }
        }
        return line.id;
    }

    private static String newId() {
        byte[] bytes = new byte[5];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
