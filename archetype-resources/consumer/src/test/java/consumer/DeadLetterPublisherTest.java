package ${package}.consumer;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class DeadLetterPublisherTest {

    private static final String DEAD_LETTERS = Clicks.TOPIC + ".dlq";

    private final AtomicInteger producersCreated = new AtomicInteger();

    @Test
    void every_letter_goes_to_the_dead_letter_topic_and_send_returns_once_all_are_acknowledged() {
        MockProducer<byte[], byte[]> producer = producer(true);
        DeadLetterPublisher publisher = publisher(producer, false);
        assertEquals(0, producersCreated.get(), "no producer before the first dead letter");

        publisher.send(List.of(letter(1), letter(2)));
        publisher.send(List.of(letter(3)));

        assertEquals(1, producersCreated.get(), "one producer, created with the first dead letter");
        assertEquals(List.of(DEAD_LETTERS, DEAD_LETTERS, DEAD_LETTERS),
                producer.history().stream().map(record -> record.topic()).toList());
        publisher.close(Duration.ZERO);
        assertTrue(producer.closed());
    }

    @Test
    void a_letter_the_broker_did_not_take_fails_the_send_with_the_brokers_error() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(false);
        DeadLetterPublisher publisher = publisher(producer, false);

        CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> publisher.send(List.of(letter(1))));
        while (producer.history().isEmpty()) {
            Thread.sleep(10);
        }
        producer.errorNext(new TimeoutException("the broker is away (simulated)"));

        ExecutionException e = assertThrows(ExecutionException.class, sending::get);
        assertInstanceOf(TimeoutException.class, e.getCause(), "retriable, so the loop reads the batch again");
    }

    @Test
    void a_stop_ends_the_wait_for_an_acknowledgement_that_never_comes() {
        DeadLetterPublisher publisher = publisher(producer(false), true);

        assertThrows(WakeupException.class, () -> publisher.send(List.of(letter(1))));
    }

    private DeadLetterPublisher publisher(MockProducer<byte[], byte[]> producer, boolean stopping) {
        return new DeadLetterPublisher(Clicks.TOPIC, () -> {
            producersCreated.incrementAndGet();
            return producer;
        }, () -> stopping);
    }

    private static MockProducer<byte[], byte[]> producer(boolean acknowledgeAtOnce) {
        return new MockProducer<>(acknowledgeAtOnce, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static DeadLetter letter(long offset) {
        return new DeadLetter(Clicks.record(0, offset, "[]".getBytes(StandardCharsets.UTF_8)), "a click must be a JSON object");
    }
}
