package ${package}.consumer;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.Properties;

/**
 * The settings of the consumer's two Kafka clients, each with why: the click consumer, and the producer that
 * writes dead letters. What "stored exactly once" depends on is set here and cannot be overridden
 * ({@link ClickConsumerConfig#FIXED_SETTINGS}, and the file of {@code KAFKA_CLIENT_PROPERTIES} may not set it
 * either). Both clients get that file's settings first: the same cluster needs the same credentials.
 */
final class KafkaClientSettings {

    private KafkaClientSettings() {
    }

    static Properties consumerSettings(ClickConsumerConfig config) {
        return consumerSettings(config, ClickSink.DEFAULT_RECORDS_PER_BATCH);
    }

    /** With at most {@code recordsPerBatch} records per poll: the sink's {@link ClickSink#recordsPerBatch()}. */
    static Properties consumerSettings(ClickConsumerConfig config, int recordsPerBatch) {
        Properties props = new Properties();
        props.putAll(config.clientProperties().forConsumer());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap().address());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        // Offsets are committed by the loop, and only after the sink has the clicks.
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // No silent reset: where a partition starts is decided on assignment (the sink's position, else the
        // committed offset, else the beginning), and an offset out of range is handled in the loop.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        // Bytes in: validation is ours, so that a bad record is dead-lettered instead of stopping the consumer,
        // and a valid one is stored with the bytes it came with.
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        // Each poll costs the sink a write (an fsync per file, a transaction) and one commit; when catching up, bigger
        // batches share that cost. At a steady rate, polls return sooner with fewer records, so latency does not grow.
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, recordsPerBatch);
        props.putAll(config.consumerOverrides());
        return props;
    }

    /** For the one question the consumer asks the cluster beside consuming: the topic's id ({@link TopicIds}). */
    static Properties adminSettings(ClickConsumerConfig config) {
        Properties props = new Properties();
        props.putAll(config.clientProperties().forAdmin());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap().address());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, config.groupId() + "-topic-ids");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        // The same cluster needs the same credentials (security set in a test's consumer overrides too).
        config.consumerOverrides().forEach((key, value) -> {
            if (key.startsWith("security.") || key.startsWith("ssl.") || key.startsWith("sasl.")) {
                props.put(key, value);
            }
        });
        return props;
    }

    static Properties deadLetterProducerSettings(ClickConsumerConfig config) {
        Properties props = new Properties();
        props.putAll(config.clientProperties().forProducer());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap().address());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, config.groupId() + "-dead-letters");
        // acks=all: a dead letter counts as written once all in-sync replicas have it; only then do we commit.
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // Idempotent: the producer's own retries never write a dead letter twice.
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Undeliverable for 30 s means the broker is away: the batch is then read again later, rather than
        // holding the loop (and a shutdown) for the default two minutes.
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        // Inside the delivery timeout: a request that hangs is retried sooner, and send() waits at most this long
        // for the topic's metadata.
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        // Bytes out: a dead letter is the record as it came.
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        // The same cluster needs the same credentials (security set in a test's consumer overrides too).
        config.consumerOverrides().forEach((key, value) -> {
            if (key.startsWith("security.") || key.startsWith("ssl.") || key.startsWith("sasl.")) {
                props.put(key, value);
            }
        });
        return props;
    }
}
