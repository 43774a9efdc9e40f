package ${package}.shared;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * One click, as it travels on the topic.
 *
 * <p>The browser sends {@code itemId} and {@code userId} or {@code sessionId} (plus optional {@code page},
 * {@code referrer} and any fields of its own, kept in {@code extra}); the web producer adds {@code eventId}
 * and {@code timestamp}. The record key is {@link #partitionKey()}, so the clicks of one user stay in order.
 */
public record ClickEvent(
        UUID eventId,
        Instant timestamp,
        String itemId,
        String userId,
        String sessionId,
        String page,
        String referrer,
        Map<String, JsonNode> extra) {

    public ClickEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(itemId, "itemId");
        if (userId == null && sessionId == null) {
            throw new IllegalArgumentException("a click needs userId or sessionId");
        }
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    /** The Kafka record key: the user if known, else the session. */
    public String partitionKey() {
        return userId != null ? userId : sessionId;
    }
}
