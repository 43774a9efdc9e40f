package ${package}.shared;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * One click, as it travels on the topic.
 *
 * <p>The browser sends {@code itemId} and {@code userId} or {@code sessionId}, optionally {@code page},
 * {@code referrer}, {@code clientEventId} (its own id for the click, the same on every retry), {@code clientTime}
 * (when the click happened, by the browser's clock) and any fields of its own, kept in {@code extra}. The web
 * producer adds {@code eventId} and {@code timestamp} (when it received the click, by the server's clock). The
 * record key is {@link #partitionKey()}, so the clicks of one user stay in order.
 */
public record ClickEvent(
        UUID eventId,
        Instant timestamp,
        String itemId,
        String userId,
        String sessionId,
        String page,
        String referrer,
        String clientEventId,
        Instant clientTime,
        Map<String, JsonNode> extra) {

    /**
     * How far the browser's clock may be from the server's before {@link #clientTimeSkewed()} says so: more than
     * the network and the tracker's retries add (at most a couple of minutes), less than a clock set to the wrong
     * time zone is off by.
     */
    public static final Duration CLIENT_TIME_TOLERANCE = Duration.ofMinutes(10);

    public ClickEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(itemId, "itemId");
        if (userId == null && sessionId == null) {
            throw new IllegalArgumentException("a click needs userId or sessionId");
        }
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    /** A click without the browser's own id and time (tests, tools). */
    public ClickEvent(UUID eventId, Instant timestamp, String itemId, String userId, String sessionId, String page,
                      String referrer, Map<String, JsonNode> extra) {
        this(eventId, timestamp, itemId, userId, sessionId, page, referrer, null, null, extra);
    }

    /** The Kafka record key: the user if known, else the session. */
    public String partitionKey() {
        return userId != null ? userId : sessionId;
    }

    /**
     * True when the browser's {@code clientTime} is further than {@link #CLIENT_TIME_TOLERANCE} from the server's
     * {@code timestamp}: the click is kept, but its client time should not be trusted for ordering or sessions.
     */
    public boolean clientTimeSkewed() {
        return clientTime != null
                && Duration.between(clientTime, timestamp).abs().compareTo(CLIENT_TIME_TOLERANCE) > 0;
    }
}
