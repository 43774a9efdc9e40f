package ${package}.consumer;

import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import ${package}.shared.InvalidClickException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.kafka.common.TopicPartition;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A click together with where it came from on the topic: the position is what makes redelivery harmless,
 * because a sink that knows its last stored offset per partition can resume right after it.
 *
 * <p>Its JSON Lines form, one line per click:
 * <pre>{"topic":"${topic}","partition":0,"offset":12,"click":{"eventId":"...","timestamp":"...","itemId":"...",...}}</pre>
 * where {@code click} is exactly what {@link ClickJson#toBytes(ClickEvent)} writes (it never contains a raw
 * line break, so one click is always one line).
 */
public record StoredClick(String topic, int partition, long offset, ClickEvent click) {

    /**
     * Reads the envelope of a line. Not {@link ClickJson#mapper()}: its nesting limit is meant for clicks, and the
     * envelope adds one level; the click inside still goes through {@link ClickJson#fromBytes(byte[])}.
     */
    private static final JsonMapper LINE_READER = JsonMapper.builder().build();

    public StoredClick {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(click, "click");
        if (partition < 0 || offset < 0) {
            throw new IllegalArgumentException("partition and offset are never negative: " + partition + ", " + offset);
        }
    }

    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }

    /** The JSON Lines form, newline included. */
    public byte[] toJsonLine() {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        try {
            line.writeBytes(("{\"topic\":" + ClickJson.mapper().writeValueAsString(topic)
                    + ",\"partition\":" + partition + ",\"offset\":" + offset + ",\"click\":")
                    .getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a string always serializes", e);
        }
        line.writeBytes(ClickJson.toBytes(click));
        line.write('}');
        line.write('\n');
        return line.toByteArray();
    }

    /** Reads one line written by {@link #toJsonLine()} (without its newline). */
    public static StoredClick fromJsonLine(String line) throws InvalidClickException {
        JsonNode node;
        try {
            node = LINE_READER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new InvalidClickException("not a JSON line: " + e.getOriginalMessage(), e);
        }
        JsonNode topic = node.get("topic");
        JsonNode partition = node.get("partition");
        JsonNode offset = node.get("offset");
        JsonNode click = node.get("click");
        if (topic == null || !topic.isTextual() || partition == null || !partition.isIntegralNumber()
                || !partition.canConvertToInt() || offset == null || !offset.isIntegralNumber()
                || !offset.canConvertToLong() || click == null || !click.isObject()) {
            throw new InvalidClickException(
                    "a stored click needs topic (string), partition and offset (numbers) and click (object)");
        }
        try {
            return new StoredClick(topic.textValue(), partition.intValue(), offset.longValue(),
                    ClickJson.fromBytes(ClickJson.mapper().writeValueAsBytes(click)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed tree always serializes", e);
        }
    }
}
