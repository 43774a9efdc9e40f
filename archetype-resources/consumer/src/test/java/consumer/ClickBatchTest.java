package ${package}.consumer;

import ${package}.shared.ClickJson;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClickBatchTest {

    @Test
    void valid_records_become_stored_clicks_with_their_position() throws Exception {
        ConsumerRecord<byte[], byte[]> record = Clicks.validRecord(2, 41);

        ClickBatch batch = ClickBatch.decode(List.of(record));

        assertEquals(List.of(), batch.deadLetters());
        StoredClick stored = batch.clicks().get(0);
        assertEquals(new TopicPartition(Clicks.TOPIC, 2), stored.topicPartition());
        assertEquals(41, stored.offset());
        assertEquals(ClickJson.fromBytes(record.value()), stored.click());
    }

    @Test
    void a_valid_record_keeps_its_value_as_it_came_for_the_sink_to_write() {
        ConsumerRecord<byte[], byte[]> record = Clicks.record(0, 5, Clicks.handWritten());

        StoredClick stored = ClickBatch.decode(List.of(record)).clicks().get(0);

        assertArrayEquals(Clicks.handWritten(), stored.json());
        assertEquals("alice", stored.click().partitionKey(), "decoded too: the sink's check for repeats needs it");
    }

    @Test
    void a_record_without_a_value_is_dead_lettered_with_the_reason() {
        ClickBatch batch = ClickBatch.decode(List.of(Clicks.record(0, 5, null)));

        assertEquals(List.of(), batch.clicks());
        assertEquals("the record has no value", batch.deadLetters().get(0).reason());
    }

    @Test
    void malformed_json_is_dead_lettered_with_the_parser_message() {
        ClickBatch batch = ClickBatch.decode(List.of(Clicks.record(0, 5, "{\"itemId\":".getBytes(StandardCharsets.UTF_8))));

        assertTrue(batch.deadLetters().get(0).reason().startsWith("malformed JSON"), batch.deadLetters().get(0).reason());
    }

    @Test
    void a_click_missing_a_field_is_dead_lettered_naming_the_field() {
        byte[] noItem = "{\"eventId\":\"6f1c1b1e-8d4e-4c57-9a2b-1d2e3f4a5b6c\",\"timestamp\":\"2024-04-01T12:00:00Z\",\"userId\":\"u\"}"
                .getBytes(StandardCharsets.UTF_8);

        ClickBatch batch = ClickBatch.decode(List.of(Clicks.record(0, 5, noItem)));

        assertTrue(batch.deadLetters().get(0).reason().contains("itemId"), batch.deadLetters().get(0).reason());
    }

    @Test
    void good_and_bad_records_are_split_in_order_and_the_commit_covers_both() {
        ClickBatch batch = ClickBatch.decode(List.of(
                Clicks.validRecord(0, 10),
                Clicks.record(0, 11, "not json".getBytes(StandardCharsets.UTF_8)),
                Clicks.validRecord(0, 12),
                Clicks.validRecord(1, 3),
                Clicks.record(1, 4, null)));

        assertEquals(List.of(10L, 12L, 3L), batch.clicks().stream().map(StoredClick::offset).toList());
        assertEquals(List.of(11L, 4L), batch.deadLetters().stream().map(d -> d.record().offset()).toList());
        assertEquals(Map.of(
                        new TopicPartition(Clicks.TOPIC, 0), new OffsetAndMetadata(13),
                        new TopicPartition(Clicks.TOPIC, 1), new OffsetAndMetadata(5)),
                batch.nextOffsets());
    }

    @Test
    void a_dead_letter_keeps_key_value_and_headers_and_names_reason_and_origin() {
        ConsumerRecord<byte[], byte[]> record = Clicks.record(3, 77, "[]".getBytes(StandardCharsets.UTF_8));
        record.headers().add("trace", "abc".getBytes(StandardCharsets.UTF_8));
        DeadLetter letter = ClickBatch.decode(List.of(record)).deadLetters().get(0);

        ProducerRecord<byte[], byte[]> out = letter.toProducerRecord(Clicks.TOPIC + ".dlq");

        assertEquals(Clicks.TOPIC + ".dlq", out.topic());
        assertArrayEquals(record.key(), out.key());
        assertArrayEquals(record.value(), out.value());
        assertEquals("abc", header(out, "trace"));
        assertEquals(letter.reason(), header(out, DeadLetter.REASON_HEADER));
        assertTrue(letter.reason().contains("an array"), letter.reason());
        assertEquals(Clicks.TOPIC, header(out, DeadLetter.TOPIC_HEADER));
        assertEquals("3", header(out, DeadLetter.PARTITION_HEADER));
        assertEquals("77", header(out, DeadLetter.OFFSET_HEADER));
        assertEquals(Clicks.TOPIC + "-3@77", letter.origin());
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
