package ${package}.consumer;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The consumer's loop, on a thread of its own: poll, dead-letter what is not a click, store the clicks, commit.
 *
 * <p>Errors by kind: transient ones (a broker restarting, a leader moving, a rebalance) are logged and the loop
 * polls again, which is safe because the sink's position keeps redelivered records from being stored twice;
 * anything else (authorization, an unsupported broker, a sink that cannot write, a topic that was recreated) stops
 * the loop, and {@link #failure()} says why. Either way it leaves through {@link #shutDown()}: commit what was
 * handled, close the clients and the sink.
 */
final class ClickConsumerLoop implements Runnable {

    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(ClickConsumerLoop.class);

    private final String topic;
    private final Consumer<byte[], byte[]> consumer;
    private final ClickSink sink;
    private final ResumePolicy resume;
    private final DeadLetterPublisher deadLetters;
    private final HandledOffsets offsets;
    private final ConsumerProgress progress;
    private final ConsumerStatus status;
    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile boolean stopping;
    private volatile Throwable failure;

    ClickConsumerLoop(ClickConsumerConfig config, ClickSink sink, Consumer<byte[], byte[]> consumer,
                      Supplier<Producer<byte[], byte[]>> deadLetterProducers) {
        long startedAt = System.nanoTime();
        this.topic = config.topic();
        this.consumer = consumer;
        this.sink = sink;
        this.resume = new ResumePolicy(consumer, sink);
        this.deadLetters = new DeadLetterPublisher(config.topic(), deadLetterProducers, () -> stopping);
        this.offsets = new HandledOffsets(consumer, CLOSE_TIMEOUT);
        this.progress = new ConsumerProgress(config, startedAt);
        this.status = new ConsumerStatus(startedAt);
    }

    /** Asks the loop to stop; {@code poll()} and a wait for a dead letter's acknowledgement leave at once. */
    void stop() {
        stopping = true;
        consumer.wakeup();
    }

    /** Why the loop stopped on its own, if it did; null otherwise. */
    Throwable failure() {
        return failure;
    }

    /** The partitions the loop owns right now. */
    Set<TopicPartition> assignment() {
        return assignment;
    }

    ConsumerProgress progress() {
        return progress;
    }

    ConsumerStatus status() {
        return status;
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(topic), new RebalanceListener());
            while (!stopping) {
                try {
                    pollOnce();
                } catch (RetriableException | CommitFailedException | RebalanceInProgressException e) {
                    log.warn("{}; retrying", e.toString());
                }
                long now = System.nanoTime();
                status.polled(consumer, now);
                progress.polled(now, assignment, status.heartbeatAgeSeconds());
            }
        } catch (WakeupException e) {
            if (!stopping) {
                failure = e;
                log.error("The click consumer was woken up without being closed", e);
            }
        } catch (Throwable e) {
            failure = e;
            log.error("The click consumer stops: {}", e.toString(), e);
        } finally {
            shutDown();
        }
    }

    private void pollOnce() throws IOException {
        ConsumerRecords<byte[], byte[]> records;
        try {
            records = consumer.poll(POLL_TIMEOUT);
        } catch (NoOffsetForPartitionException e) {
            resume.seek(e.partitions());
            return;
        } catch (OffsetOutOfRangeException e) {
            resume.resetOutOfRange(e.offsetOutOfRangePartitions());
            return;
        }
        if (!records.isEmpty()) {
            handle(records);
        }
    }

    /** Dead letters first, then the sink, then the commit: a failure at any step leaves nothing committed. */
    private void handle(ConsumerRecords<byte[], byte[]> records) throws IOException {
        ClickBatch batch = ClickBatch.decode(records);
        if (!batch.deadLetters().isEmpty()) {
            try {
                deadLetters.send(batch.deadLetters());
            } catch (RetriableException e) {
                // Nothing of this batch is stored yet: read it again, dead letters first.
                log.warn("Could not write {} dead letter(s) to {} ({}); reading the batch again",
                        batch.deadLetters().size(), deadLetters.topic(), e.toString());
                for (TopicPartition partition : records.partitions()) {
                    consumer.seek(partition, records.records(partition).get(0).offset());
                }
                return;
            }
            progress.deadLettered(batch.deadLetters().size());
        }
        if (!batch.clicks().isEmpty()) {
            int repeats = sink.write(batch.clicks());
            progress.stored(batch.clicks().size(), repeats);
        }
        offsets.handled(batch.nextOffsets());
    }

    /** Each step on its own: a failing one must not keep the others from releasing what they hold. */
    private void shutDown() {
        try {
            offsets.commitAll();
        } catch (RuntimeException e) {
            log.warn("Committing on the way out: {}", e.toString());
        }
        try {
            consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        } catch (RuntimeException e) {
            log.warn("Closing the consumer: {}", e.toString());
        }
        try {
            deadLetters.close(CLOSE_TIMEOUT);
        } catch (RuntimeException e) {
            log.warn("Closing the dead-letter producer: {}", e.toString());
        }
        try {
            sink.close();
        } catch (IOException | RuntimeException e) {
            log.warn("Closing the sink: {}", e.toString());
        }
        assignment = Set.of();
        progress.logStopped();
    }

    /** Logs every change of ownership, commits before giving partitions up, and positions new ones. */
    private final class RebalanceListener implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                log.info("Partitions revoked: {}", partitions);
                // The next owner starts where we commit: commit everything stored so far.
                offsets.commit(partitions);
            }
            assignment = Set.copyOf(consumer.assignment());
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assignment = Set.copyOf(consumer.assignment());
            if (!partitions.isEmpty()) {
                log.info("Partitions assigned: {}", partitions);
                resume.seek(partitions);
            } else if (assignment.isEmpty()) {
                log.info("No partitions assigned: the group has more consumers than the topic has partitions,"
                        + " or the topic does not exist yet");
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // Another consumer owns them already: committing now would fail or overwrite its progress.
            log.warn("Partitions lost (this consumer was out of the group too long): {}", partitions);
            offsets.forget(partitions);
            assignment = Set.copyOf(consumer.assignment());
        }
    }
}
