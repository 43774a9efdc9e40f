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
 * where {@code click} is {@link #json()}: the record's value as it came, byte for byte (field order, spacing and
 * escapes included), except for raw line breaks (see {@link #toJsonLine()}).
 *
 * @param click the click, decoded: what the rules checked, and what readers of the files use
 * @param json  the click's JSON as the topic carried it, and as the line holds it; a valid click (the consumer
 *              checks it with {@link ClickJson#fromBytes(byte[])}). Not copied: it is written out as it is
 */
public record StoredClick(String topic, int partition, long offset, ClickEvent click, byte[] json) {

    /**
     * Reads the envelope of a line. Not {@link ClickJson#mapper()}: its nesting limit is meant for clicks, and the
     * envelope adds one level; the click inside still goes through {@link ClickJson#fromBytes(byte[])}.
     */
    private static final JsonMapper LINE_READER = JsonMapper.builder().build();

    public StoredClick {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(click, "click");
        Objects.requireNonNull(json, "json");
        if (partition < 0 || offset < 0) {
            throw new IllegalArgumentException("partition and offset are never negative: " + partition + ", " + offset);
        }
    }

    /** A click whose JSON is what {@link ClickJson#toBytes(ClickEvent)} writes: the web producer's form. */
    public StoredClick(String topic, int partition, long offset, ClickEvent click) {
        this(topic, partition, offset, click, ClickJson.toBytes(click));
    }

    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }

    /**
     * The JSON Lines form, newline included.
     *
     * <p>A click from another producer may be pretty-printed: valid JSON allows line breaks between tokens, and a
     * file of JSON Lines allows none inside a line. Such a click keeps its bytes, with each raw CR or LF turned
     * into a space. That changes nothing a JSON reader sees: in a valid click those bytes are only whitespace
     * between tokens (JSON requires them escaped inside strings, and in UTF-8 no other character contains
     * them), and every other byte stays where it was. Re-encoding the click instead would also change its field
     * order, escapes and numbers.
     */
    public byte[] toJsonLine() {
        ByteArrayOutputStream line = new ByteArrayOutputStream(json.length + 80);
        try {
            line.writeBytes(("{\"topic\":" + ClickJson.mapper().writeValueAsString(topic)
                    + ",\"partition\":" + partition + ",\"offset\":" + offset + ",\"click\":")
                    .getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a string always serializes", e);
        }
        line.writeBytes(withoutLineBreaks(json));
        line.write('}');
        line.write('\n');
        return line.toByteArray();
    }

    /**
     * Reads one line written by {@link #toJsonLine()} (without its newline). Its {@link #json()} is the stored
     * click as {@link ClickJson#mapper()} writes it back, compact: equal to the line's bytes for clicks of the web
     * producer, not necessarily for a click another producer formatted its own way.
     */
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
        byte[] json;
        try {
            json = ClickJson.mapper().writeValueAsBytes(click);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed tree always serializes", e);
        }
        return new StoredClick(topic.textValue(), partition.intValue(), offset.longValue(), ClickJson.fromBytes(json),
                json);
    }

    /** The same click at the same position; how its JSON was formatted does not count. */
    @Override
    public boolean equals(Object other) {
        return other instanceof StoredClick that && partition == that.partition && offset == that.offset
                && topic.equals(that.topic) && click.equals(that.click);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset, click);
    }

    @Override
    public String toString() {
        return "StoredClick[topic=" + topic + ", partition=" + partition + ", offset=" + offset + ", json="
                + new String(json, StandardCharsets.UTF_8) + "]";
    }

    /** The bytes themselves when they hold no CR or LF, which is every click of the web producer. */
    private static byte[] withoutLineBreaks(byte[] json) {
        byte[] oneLine = json;
        for (int i = 0; i < json.length; i++) {
            if (json[i] == '\n' || json[i] == '\r') {
                if (oneLine == json) {
                    oneLine = json.clone();
                }
                oneLine[i] = ' ';
            }
        }
        return oneLine;
    }
}
