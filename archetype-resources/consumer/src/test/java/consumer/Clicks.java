package ${package}.consumer;

import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** Clicks and records for the tests, built the way the web producer builds them. */
final class Clicks {

    static final String TOPIC = "${topic}";

    private Clicks() {
    }

    static ClickEvent click(String userId, String itemId) {
        return new ClickEvent(UUID.randomUUID(), Instant.parse("2024-04-01T12:00:00Z"), itemId, userId, null,
                "/movies", null, Map.of());
    }

    /** A click from the tracker script: it carries the browser's own id, the same on every retry. */
    static StoredClick fromBrowser(int partition, long offset, String userId, String clientEventId) {
        return new StoredClick(TOPIC, partition, offset, new ClickEvent(UUID.randomUUID(),
                Instant.parse("2024-04-01T12:00:00Z"), "movie-" + offset, userId, null, "/movies", null, clientEventId,
                Instant.parse("2024-04-01T11:59:59Z"), Map.of()));
    }

    /** A click received at {@code timestamp}: the hour of its file. */
    static StoredClick storedAt(int partition, long offset, Instant timestamp) {
        return new StoredClick(TOPIC, partition, offset, new ClickEvent(UUID.randomUUID(), timestamp, "movie-" + offset,
                "user-" + partition, null, "/movies", null, Map.of()));
    }

    static StoredClick stored(int partition, long offset) {
        return new StoredClick(TOPIC, partition, offset, click("user-" + partition, "movie-" + offset));
    }

    static ConsumerRecord<byte[], byte[]> record(int partition, long offset, byte[] value) {
        return new ConsumerRecord<>(TOPIC, partition, offset, "user-1".getBytes(), value);
    }

    static ConsumerRecord<byte[], byte[]> validRecord(int partition, long offset) {
        return record(partition, offset, ClickJson.toBytes(click("user-1", "movie-" + offset)));
    }

    /**
     * A valid click as another producer might write it: fields in an unusual order, spaces around the colons,
     * unicode escapes, an extra field, a number with a trailing zero. Re-encoded, each of these would change.
     */
    static byte[] handWritten() {
        return ("{ \"userId\" : \"alice\",\t\"itemId\":\"movie-\\u0031\", \"page\": \"/caf\\u00e9\","
                + " \"rating\": 4.50, \"timestamp\":\"2024-04-01T12:00:00Z\","
                + " \"eventId\" : \"6f1c1b1e-8d4e-4c57-9a2b-1d2e3f4a5b6c\" }").getBytes(StandardCharsets.UTF_8);
    }

    /** A valid click pretty-printed, with CR LF and LF line breaks between its tokens. */
    static byte[] prettyPrinted() {
        return ("{\r\n  \"eventId\": \"6f1c1b1e-8d4e-4c57-9a2b-1d2e3f4a5b6c\",\n  \"timestamp\": \"2024-04-01T12:00:00Z\",\n"
                + "  \"itemId\": \"movie-1\",\n  \"userId\": \"alice\",\n  \"clientEventId\": \"c-1\"\n}\n")
                .getBytes(StandardCharsets.UTF_8);
    }
}
