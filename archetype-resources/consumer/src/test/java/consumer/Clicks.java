package ${package}.consumer;

import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import org.apache.kafka.clients.consumer.ConsumerRecord;

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

    static StoredClick stored(int partition, long offset) {
        return new StoredClick(TOPIC, partition, offset, click("user-" + partition, "movie-" + offset));
    }

    static ConsumerRecord<byte[], byte[]> record(int partition, long offset, byte[] value) {
        return new ConsumerRecord<>(TOPIC, partition, offset, "user-1".getBytes(), value);
    }

    static ConsumerRecord<byte[], byte[]> validRecord(int partition, long offset) {
        return record(partition, offset, ClickJson.toBytes(click("user-1", "movie-" + offset)));
    }
}
