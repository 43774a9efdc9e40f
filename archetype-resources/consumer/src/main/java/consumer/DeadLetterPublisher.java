package ${package}.consumer;

import ${package}.shared.ClickTopic;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Sends {@link DeadLetter}s to {@code <topic>.dlq} and returns once the broker has acknowledged all of them: only
 * then may their offsets be committed. Used on the loop's thread only.
 */
final class DeadLetterPublisher {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterPublisher.class);

    private final String topic;
    private final Supplier<Producer<byte[], byte[]>> producers;
    /** True once the consumer is asked to stop: waiting for an acknowledgement ends then. */
    private final BooleanSupplier stopping;
    /** Created with the first dead letter: most runs never need one, and an idle producer still connects. */
    private Producer<byte[], byte[]> producer;

    DeadLetterPublisher(String clickTopic, Supplier<Producer<byte[], byte[]>> producers, BooleanSupplier stopping) {
        this.topic = ClickTopic.deadLetter(clickTopic);
        this.producers = producers;
        this.stopping = stopping;
    }

    String topic() {
        return topic;
    }

    /**
     * Sends all letters, then waits for every acknowledgement (bounded by the producer's delivery timeout).
     *
     * @throws KafkaException  the broker refused or did not take a letter: a {@code RetriableException} means
     *                         "read the batch again later"
     * @throws WakeupException the consumer is stopping: nothing of this batch is stored or committed yet, so the
     *                         next start reads it again
     */
    void send(List<DeadLetter> letters) {
        if (producer == null) {
            producer = producers.get();
        }
        List<Future<RecordMetadata>> acks = new ArrayList<>(letters.size());
        for (DeadLetter letter : letters) {
            log.warn("Dead-lettering {} to {}: {}", letter.origin(), topic, letter.reason());
            acks.add(producer.send(letter.toProducerRecord(topic)));
        }
        for (Future<RecordMetadata> ack : acks) {
            try {
                awaitAck(ack);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptException(e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof KafkaException kafkaException) {
                    throw kafkaException;
                }
                throw new KafkaException("cannot write to the dead-letter topic " + topic, e.getCause());
            }
        }
    }

    /** Waits for one acknowledgement; on stop, leaves like {@code poll()} would. */
    private void awaitAck(Future<RecordMetadata> ack) throws InterruptedException, ExecutionException {
        while (true) {
            try {
                ack.get(1, TimeUnit.SECONDS);
                return;
            } catch (TimeoutException e) {
                if (stopping.getAsBoolean()) {
                    throw new WakeupException();
                }
            }
        }
    }

    /** Closes the producer if one was created; waits at most {@code timeout} for letters still in flight. */
    void close(Duration timeout) {
        if (producer != null) {
            producer.close(timeout);
        }
    }
}
