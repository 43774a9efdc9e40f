package ${package}.consumer;

import ${package}.shared.ClickTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A record the consumer could not decode, and why. It goes to {@link ClickTopic#deadLetter(String)} unchanged
 * (same key, value and headers), with headers that say why and where it came from, so that it can be inspected
 * and replayed once the cause is fixed.
 */
public record DeadLetter(ConsumerRecord<byte[], byte[]> record, String reason) {

    /** Why the record was not stored, e.g. "itemId is missing: it is required (a non-empty string)". */
    public static final String REASON_HEADER = "click.dlq.reason";
    public static final String TOPIC_HEADER = "click.dlq.topic";
    public static final String PARTITION_HEADER = "click.dlq.partition";
    public static final String OFFSET_HEADER = "click.dlq.offset";

    public DeadLetter {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(reason, "reason");
    }

    public ProducerRecord<byte[], byte[]> toProducerRecord(String deadLetterTopic) {
        RecordHeaders headers = new RecordHeaders();
        for (Header header : record.headers()) {
            headers.add(header);
        }
        headers.add(REASON_HEADER, utf8(reason));
        headers.add(TOPIC_HEADER, utf8(record.topic()));
        headers.add(PARTITION_HEADER, utf8(Integer.toString(record.partition())));
        headers.add(OFFSET_HEADER, utf8(Long.toString(record.offset())));
        return new ProducerRecord<>(deadLetterTopic, null, record.key(), record.value(), headers);
    }

    /** Where the record was, as in the logs: {@code topic-partition@offset}. */
    public String origin() {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
