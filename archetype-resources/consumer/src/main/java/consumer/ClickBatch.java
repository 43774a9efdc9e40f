package ${package}.consumer;

import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import ${package}.shared.InvalidClickException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One poll's records, sorted into clicks to store and records to dead-letter, plus the offsets to commit once
 * both are done. Decoding happens here rather than in a Kafka deserializer: a deserializer that throws stops
 * the consumer at the bad record, while here the record is routed to the dead-letter topic and the rest flows.
 *
 * <p>A valid record keeps its value's bytes: the sink writes them as they came ({@link StoredClick#json()}),
 * and the decoded click serves the rules and the sink's check for a browser's repeats.
 *
 * @param clicks       valid clicks, decoded and with their bytes, in the order of the records
 * @param deadLetters  undecodable records with the reason, in the order of the records
 * @param nextOffsets  per partition, the offset after the last record of the batch
 */
record ClickBatch(List<StoredClick> clicks, List<DeadLetter> deadLetters,
                  Map<TopicPartition, OffsetAndMetadata> nextOffsets) {

    static ClickBatch decode(Iterable<ConsumerRecord<byte[], byte[]>> records) {
        List<StoredClick> clicks = new ArrayList<>();
        List<DeadLetter> deadLetters = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> nextOffsets = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            try {
                ClickEvent click = ClickJson.fromBytes(record.value());
                clicks.add(new StoredClick(record.topic(), record.partition(), record.offset(), click,
                        record.value()));
            } catch (InvalidClickException e) {
                deadLetters.add(new DeadLetter(record, e.getMessage()));
            } catch (RuntimeException e) {
                // A decoder bug must not stop the pipeline at one record, nor lose it.
                deadLetters.add(new DeadLetter(record, "the decoder failed: " + e));
            }
            nextOffsets.put(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1));
        }
        return new ClickBatch(List.copyOf(clicks), List.copyOf(deadLetters), Map.copyOf(nextOffsets));
    }
}
