package ${package}.consumer;

import ${package}.doctor.KafkaClientProperties;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The consumer's loop, on a thread of its own: poll, dead-letter what is not a click, store the clicks, commit.
 *
 * <p>Errors by kind: transient ones (a broker restarting, a leader moving, a rebalance) are logged and the loop
 * polls again, which is safe because the sink's position keeps redelivered records from being stored twice;
 * credentials Kafka refuses are logged once, shown by {@code /readyz}, and tried again with a growing pause (a
 * restart would be refused the same way, and {@code restart: unless-stopped} would make that a crash loop);
 * anything else (authorization, an unsupported broker, a sink that cannot write, a topic that was recreated) stops
 * the loop, and {@link #failure()} says why. Either way it leaves through {@link #shutDown()}: commit what was
 * handled, close the clients and the sink.
 *
 * <p>Several consumers of one group may share one sink (the same data directory): a partition given to this
 * one is read and written only once the sink {@link ClickSink#claim claims} it (for the default sink: the lock
 * of its file). Until then it is paused ({@link PendingClaims}), so that the previous owner, or a hung
 * consumer that the group gave up on, finishes its last write first; then it resumes right after the sink's
 * last stored click, as the previous owner left it. A partition revoked or lost is committed (if it can still
 * be) and released. Nothing of a batch is in flight when that happens: the listener runs inside
 * {@code poll()}, and each batch is stored, forced and handed to the commit before the next poll.
 */
final class ClickConsumerLoop implements Runnable {

    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration MIN_POLL_TIMEOUT = Duration.ofMillis(10);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    /** The longest pause between tries while Kafka refuses the credentials. */
    private static final Duration MAX_REFUSED_PAUSE = Duration.ofSeconds(10);
    private static final Logger log = LoggerFactory.getLogger(ClickConsumerLoop.class);

    private final String topic;
    private final Consumer<byte[], byte[]> consumer;
    private final ClickSink sink;
    private final ResumePolicy resume;
    private final DeadLetterPublisher deadLetters;
    private final HandledOffsets offsets;
    private final ConsumerProgress progress;
    private final ConsumerStatus status;
    private final KafkaClientProperties clientProperties;
    /** When Kafka last refused the credentials (0: not refused), and the pause before the next try; loop thread only. */
    private long refusedAt;
    private Duration refusedPause = Duration.ZERO;
    /** Rebalances this consumer took part in, and how many there had been at the last refusal; loop thread only. */
    private long rebalances;
    private long rebalancesAtRefusal;
    private final PendingClaims pending = new PendingClaims();
    private volatile Set<TopicPartition> assignment = Set.of();
    /** Per assigned partition not yet claimed, how long it has waited: for /metrics. */
    private volatile Map<TopicPartition, Duration> waitingForClaim = Map.of();
    private volatile boolean stopping;
    private volatile Throwable failure;
    /** Each topic's id as Kafka said it in this rebalance; asked again in the next one. Loop thread only. */
    private final TopicIds topicIds;
    private final Map<String, Uuid> topicIdsThisRebalance = new HashMap<>();
    /** What of the sink's outages is logged: their start, a changed reason at most every 30 s, their end. */
    private final SinkOutageLog sinkOutages = new SinkOutageLog();
    /** Batches the sink could not store and that are read again: its outages, and batches fenced off. */
    private volatile long sinkRetries;
    private volatile long batchesFenced;

    ClickConsumerLoop(ClickConsumerConfig config, ClickSink sink, Consumer<byte[], byte[]> consumer,
                      Supplier<Producer<byte[], byte[]>> deadLetterProducers, TopicIds topicIds) {
        this.topicIds = topicIds;
        long startedAt = System.nanoTime();
        this.topic = config.topic();
        this.consumer = consumer;
        this.sink = sink;
        this.resume = new ResumePolicy(consumer, sink);
        this.deadLetters = new DeadLetterPublisher(config.topic(), deadLetterProducers, () -> stopping);
        this.offsets = new HandledOffsets(consumer, CLOSE_TIMEOUT);
        this.progress = new ConsumerProgress(config, startedAt);
        this.status = new ConsumerStatus(startedAt);
        this.clientProperties = config.clientProperties();
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

    /** The assigned partitions the sink has not claimed yet, and how long each has waited (as of the last poll). */
    Map<TopicPartition, Duration> waitingForClaim() {
        return waitingForClaim;
    }

    /** Batches read again because the sink could not store them (it was down); see {@link SinkUnavailableException}. */
    long sinkRetries() {
        return sinkRetries;
    }

    /** Batches refused because another consumer had stored clicks of their partitions; see {@link BatchFencedException}. */
    long batchesFenced() {
        return batchesFenced;
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
                } catch (AuthenticationException e) {
                    refused(e);
                }
                long now = System.nanoTime();
                status.polled(consumer, now);
                acceptedAgain(now);
                // While refused, the "is the broker up?" hint would mislead: the refusal was logged instead.
                progress.polled(now, assignment, refusedAt != 0 ? 0 : status.heartbeatAgeSeconds());
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
        retryClaims();
        ConsumerRecords<byte[], byte[]> records;
        try {
            // While a partition waits for its claim, poll no longer than until it is due again.
            Duration timeout = pending.untilNext(System.nanoTime(), POLL_TIMEOUT);
            records = consumer.poll(timeout.compareTo(MIN_POLL_TIMEOUT) < 0 ? MIN_POLL_TIMEOUT : timeout);
        } catch (NoOffsetForPartitionException e) {
            List<TopicPartition> claimed = new ArrayList<>();
            List<TopicPartition> unclaimed = new ArrayList<>();
            e.partitions().forEach(p -> (pending.contains(p) ? unclaimed : claimed).add(p));
            resume.seek(claimed);
            if (!unclaimed.isEmpty()) {
                // Paused, so nothing is read from there: a position only to keep poll() from throwing again.
                // The real one is set from the sink once the claim succeeds.
                consumer.seekToBeginning(unclaimed);
            }
            return;
        } catch (OffsetOutOfRangeException e) {
            resume.resetOutOfRange(e.offsetOutOfRangePartitions());
            return;
        }
        if (!records.isEmpty()) {
            handle(records);
        }
    }

    /** Logs the problem once, shows it on /readyz, and waits longer after each refusal in a row (up to 10 s). */
    private void refused(AuthenticationException e) {
        refusedAt = System.nanoTime();
        rebalancesAtRefusal = rebalances;
        status.refused(clientProperties.reportRefused(e, log::error));
        refusedPause = refusedPause.isZero() ? Duration.ofSeconds(1)
                : refusedPause.multipliedBy(2).compareTo(MAX_REFUSED_PAUSE) > 0 ? MAX_REFUSED_PAUSE
                : refusedPause.multipliedBy(2);
        long until = System.nanoTime() + refusedPause.toNanos();
        // Short sleeps: stop() must not wait out the pause (wakeup() only leaves poll()).
        while (!stopping && System.nanoTime() < until) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A poll without an exception proves nothing (Kafka reports a refusal once, then backs off): joining the group
     * or a heartbeat to its coordinator after the last refusal does.
     */
    private void acceptedAgain(long now) {
        double heartbeatAge = status.heartbeatAgeSeconds();
        boolean heartbeatSince = heartbeatAge >= 0 && (heartbeatAge + 1) * 1e9 < now - refusedAt;
        if (refusedAt != 0 && (rebalances > rebalancesAtRefusal || heartbeatSince)) {
            refusedAt = 0;
            refusedPause = Duration.ZERO;
            status.refused("");
            clientProperties.reportAccepted(log::info);
        }
    }

    /** Asks the sink again for the partitions whose time has come; each one it grants resumes from the sink. */
    private void retryClaims() {
        if (pending.isEmpty()) {
            waitingForClaim = Map.of();
            return;
        }
        long now = System.nanoTime();
        List<TopicPartition> due = pending.due(now);
        List<TopicPartition> later = claimAndSeek(due);
        for (TopicPartition partition : due) {
            if (!later.contains(partition)) {
                long waited = now - pending.since(partition);
                pending.removeAll(List.of(partition));
                consumer.resume(List.of(partition));
                log.info("{}: claimed after {} ms", partition, waited / 1_000_000);
            } else if (pending.refused(partition, now) && !sinkOutages.down()) {
                log.warn("{}: the sink still refuses the partition after {} s: another process holds it{}. A"
                        + " consumer of this group that the group gave up on but that still runs lets go when it"
                        + " notices; one that hangs must be stopped; a consumer of another group must use its own"
                        + " data directory", partition, (now - pending.since(partition)) / 1_000_000_000,
                        sink instanceof JsonLinesClickSink jsonLines
                                ? " (" + JsonLinesClickSink.lockFile(jsonLines.dataDir(), partition) + ")" : "");
            }
        }
        waitingForClaim = pending.waited(now);
    }

    /**
     * Claims each partition in the sink, checks the topic's id, and seeks the claimed ones to where the sink
     * resumes them. Returns those to ask again later: the sink refused the claim (another process holds the
     * partition), Kafka could not say the topic's id, or the sink cannot be reached.
     */
    private List<TopicPartition> claimAndSeek(Collection<TopicPartition> partitions) {
        List<TopicPartition> claimed = new ArrayList<>();
        List<TopicPartition> later = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            (claim(partition) ? claimed : later).add(partition);
        }
        try {
            resume.seek(claimed);
            if (!claimed.isEmpty()) {
                sinkAvailable();
            }
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof SinkUnavailableException unavailable)) {
                throw e;
            }
            sinkUnavailable(unavailable);
            later.addAll(claimed);
        }
        return later;
    }

    private boolean claim(TopicPartition partition) {
        Uuid topicId = topicIdsThisRebalance.computeIfAbsent(partition.topic(), topicIds::idOf);
        if (topicId == null) {
            topicIdsThisRebalance.remove(partition.topic());
            log.warn("{}: Kafka cannot say the topic's id right now; asking again shortly", partition);
            return false;
        }
        try {
            if (!sink.claim(partition)) {
                return false;
            }
            sink.checkTopicId(partition.topic(), topicId);
            return true;
        } catch (SinkUnavailableException e) {
            sinkUnavailable(e);
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("the sink cannot claim " + partition, e);
        }
    }

    /**
     * The sink cannot store: logged when the outage starts and then only when its reason changed, at most every
     * 30 s (the password never: the sink's message is written without it); shown on /readyz at every try; and every
     * claimed partition paused and handed to the claim retries, so that nothing is fetched or committed until the
     * sink answers; then each resumes from what the sink has stored.
     */
    private void sinkUnavailable(SinkUnavailableException e) {
        long now = System.nanoTime();
        if (sinkOutages.unavailable(e.getMessage(), now)) {
            log.error("The sink cannot store clicks: {}. Nothing is committed; trying again with a growing pause",
                    e.getMessage());
        }
        status.sinkProblem("the sink cannot store clicks: " + e.getMessage());
        reclaimLater(now);
    }

    private void sinkAvailable() {
        Duration down = sinkOutages.available(System.nanoTime());
        if (down != null) {
            log.info("The sink stores clicks again (it could not for {} s)", down.toSeconds());
            status.sinkProblem("");
        }
    }

    /** Every partition this consumer writes goes back to the claim retries, paused: read again from the sink. */
    private void reclaimLater(long now) {
        List<TopicPartition> writing = assignment.stream().filter(p -> !pending.contains(p)).toList();
        writing.forEach(partition -> pending.add(partition, now));
        consumer.pause(writing);
        waitingForClaim = pending.waited(now);
    }

    private void release(Collection<TopicPartition> partitions) {
        pending.removeAll(partitions);
        waitingForClaim = pending.waited(System.nanoTime());
        try {
            sink.release(partitions);
        } catch (IOException e) {
            // What was written is durable already; the next owner's claim shows whether the lock is free.
            log.warn("Releasing {} in the sink: {}", partitions, e.toString());
        }
    }

    /** Dead letters first, then the sink, then the commit: a failure at any step leaves nothing committed. */
    private void handle(ConsumerRecords<byte[], byte[]> records) throws IOException {
        ClickBatch batch = ClickBatch.decode(records);
        if (!batch.deadLetters().isEmpty()) {
            try {
                deadLetters.send(batch.deadLetters());
            } catch (RetriableException | AuthenticationException e) {
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
            int repeats;
            try {
                repeats = sink.write(batch.clicks());
            } catch (SinkUnavailableException e) {
                sinkRetries++;
                sinkUnavailable(e);
                return;
            } catch (BatchFencedException e) {
                // Nothing of these partitions is stored (other partitions of the batch may be): claiming every
                // partition again re-reads each one's position.
                batchesFenced++;
                log.warn("Batch not stored for {}: {}. Reading again from the sink's positions", e.partitions(),
                        e.getMessage());
                reclaimLater(System.nanoTime());
                return;
            }
            sinkAvailable();
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
        try {
            topicIds.close();
        } catch (RuntimeException e) {
            log.warn("Closing the admin client: {}", e.toString());
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
                // Everything stored so far is durable: commit it, then let the next owner have the files.
                offsets.commit(partitions);
                release(partitions);
            }
            assignment = Set.copyOf(consumer.assignment());
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            rebalances++;
            assignment = Set.copyOf(consumer.assignment());
            if (!partitions.isEmpty()) {
                log.info("Partitions assigned: {}", partitions);
                long now = System.nanoTime();
                topicIdsThisRebalance.clear();
                // The sink is read only under the claim: the resume point is where the previous owner stopped.
                List<TopicPartition> refused = claimAndSeek(partitions);
                if (!refused.isEmpty()) {
                    refused.forEach(partition -> pending.add(partition, now));
                    consumer.pause(refused);
                    waitingForClaim = pending.waited(now);
                    log.info("{}: paused until the sink can claim them (their previous owner has not let go yet, or"
                            + " the sink cannot be reached)",
                            refused);
                }
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
            release(partitions);
            assignment = Set.copyOf(consumer.assignment());
        }
    }
}
