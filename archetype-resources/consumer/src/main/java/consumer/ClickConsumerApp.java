package ${package}.consumer;

import ${package}.shared.ClickTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The consumer: clicks from the topic into a {@link ClickSink}, each stored exactly once.
 *
 * <ul>
 *   <li>At least once: offsets are committed only after the sink has the clicks (and the dead-letter topic
 *       has acknowledged the undecodable records).</li>
 *   <li>No duplicates: on assignment, every partition resumes right after the sink's last stored offset, so
 *       what a crash left uncommitted is not stored again. The committed offset is only a hint; it wins when
 *       it is further ahead, which happens when the last records of a partition were dead-lettered.</li>
 *   <li>Undecodable records go to {@code <topic>.dlq} with the reason in a header ({@link DeadLetter}).</li>
 *   <li>SIGTERM: a shutdown hook calls {@link #close()}: {@code wakeup()} leaves {@code poll()}, the loop
 *       commits what was written and closes.</li>
 * </ul>
 *
 * <p>Run it with {@code java -jar consumer/target/consumer.jar}; it reads the environment variables of
 * {@link ClickConsumerConfig#fromEnvironment()}. Tests start it with {@link #start(ClickConsumerConfig)}.
 */
public final class ClickConsumerApp implements AutoCloseable {

    private static final Duration UNREACHABLE_AFTER = Duration.ofSeconds(15);

    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration REPORT_INTERVAL = Duration.ofSeconds(10);
    private static final Duration HINT_INTERVAL = Duration.ofMinutes(1);
    private static final Duration HINT_CHECK_INTERVAL = Duration.ofSeconds(5);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    /** How often the loop refreshes what /metrics and /readyz read: lag per partition, the coordinator's contact. */
    private static final Duration STATUS_INTERVAL = Duration.ofSeconds(2);
    /** A loop that has not polled for this long is stuck (a poll returns within POLL_TIMEOUT): not live. */
    private static final Duration STUCK_AFTER = Duration.ofSeconds(60);
    private static final Logger log = LoggerFactory.getLogger(ClickConsumerApp.class);

    private final ClickConsumerConfig config;
    private final String deadLetterTopic;
    private final ClickSink sink;
    private final Consumer<byte[], byte[]> consumer;
    private final Supplier<Producer<byte[], byte[]>> deadLetterProducers;
    private final Thread loop;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong repeated = new AtomicLong();
    private volatile Set<TopicPartition> assignment = Set.of();
    /** Written by the loop, read by the status server. */
    private volatile long lastPollNanos = System.nanoTime();
    private volatile double heartbeatAgeSeconds = -1;
    private volatile Map<TopicPartition, Long> lag = Map.of();
    private volatile boolean closing;
    private volatile Throwable failure;

    // Used by the loop thread only (the rebalance listener runs on it too, inside poll()).
    /** Per partition, the offset after the last record stored or dead-lettered: what may be committed. */
    private final Map<TopicPartition, OffsetAndMetadata> handled = new HashMap<>();
    /** Created with the first dead letter: most runs never need one, and an idle producer still connects. */
    private Producer<byte[], byte[]> deadLetterProducer;
    private final long startedAt = System.nanoTime();
    private long lastReportAt = startedAt;
    private long reportedStored;
    private long reportedDeadLettered;
    private long lastHintAt = startedAt - HINT_INTERVAL.toNanos();
    private long lastHintCheckAt = startedAt;
    private long lastStatusAt = startedAt - STATUS_INTERVAL.toNanos();

    private ClickConsumerApp(ClickConsumerConfig config, ClickSink sink, Consumer<byte[], byte[]> consumer,
                             Supplier<Producer<byte[], byte[]>> deadLetterProducers) {
        this.config = config;
        this.deadLetterTopic = ClickTopic.deadLetter(config.topic());
        this.sink = sink;
        this.consumer = consumer;
        this.deadLetterProducers = deadLetterProducers;
        this.loop = new Thread(this::run, "click-consumer");
    }

    public static void main(String[] args) {
        ClickConsumerConfig config;
        int statusPort;
        ClickConsumerApp app;
        ConsumerMetrics metrics = new ConsumerMetrics();
        try {
            config = ClickConsumerConfig.fromEnvironment();
            statusPort = ClickConsumerConfig.portFrom(System.getenv());
            JsonLinesClickSink sink = JsonLinesClickSink.open(config.dataDir());
            // before the loop starts, so that the first batch's fsync is measured too
            sink.reportForceTimesTo(metrics::fsyncTook);
            try {
                app = start(config, sink);
            } catch (RuntimeException e) {
                sink.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            log.error("The click consumer cannot start: {}", e.toString(), e);
            System.exit(1);
            return;
        }
        metrics.watch(app);
        metrics.registerJvmMetrics();
        ConsumerStatusServer status;
        try {
            status = ConsumerStatusServer.start(statusPort, app, metrics);
        } catch (RuntimeException e) {
            log.error("The click consumer cannot start: {}", e.getMessage(), e);
            app.close();
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            status.close();
        }, "click-consumer-shutdown"));
        try {
            app.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (app.failure().isPresent()) {
            // The loop has logged the cause with its stack trace; a non-zero exit lets a supervisor restart us.
            System.exit(1);
        }
    }

    /** Starts the consumer with the default sink, JSON Lines files in {@link ClickConsumerConfig#dataDir()}. */
    public static ClickConsumerApp start(ClickConsumerConfig config) throws IOException {
        JsonLinesClickSink sink = JsonLinesClickSink.open(config.dataDir());
        try {
            return start(config, sink);
        } catch (RuntimeException e) {
            sink.close();
            throw e;
        }
    }

    /** Starts the consumer with a sink of your own; {@link #close()} closes it. */
    public static ClickConsumerApp start(ClickConsumerConfig config, ClickSink sink) {
        log.info(config.bootstrap().describe());
        log.info("Topic: {} (undecodable records go to {}), consumer group: {}", config.topic(),
                ClickTopic.deadLetter(config.topic()), config.groupId());
        log.info("Data directory: {}{}", config.dataDir().toAbsolutePath().normalize(),
                sink instanceof JsonLinesClickSink ? "" : " (not used: the sink is " + sink.getClass().getName() + ")");
        KafkaConsumer<byte[], byte[]> consumer;
        try {
            consumer = new KafkaConsumer<>(consumerProperties(config));
        } catch (KafkaException e) {
            logBrokerHint(config, "The Kafka consumer cannot be created (" + e.getMessage() + ")");
            throw e;
        }
        return start(config, sink, consumer, () -> new KafkaProducer<>(deadLetterProducerProperties(config)));
    }

    /** With clients of the caller's choice: tests pass Kafka's MockConsumer and MockProducer. */
    static ClickConsumerApp start(ClickConsumerConfig config, ClickSink sink, Consumer<byte[], byte[]> consumer,
                                  Supplier<Producer<byte[], byte[]>> deadLetterProducers) {
        ClickConsumerApp app = new ClickConsumerApp(config, sink, consumer, deadLetterProducers);
        app.loop.start();
        return app;
    }

    /**
     * Stops the loop and waits for it: leaves {@code poll()}, commits what was stored, closes the consumer, the
     * dead-letter producer and the sink. Idempotent; safe from a shutdown hook.
     */
    @Override
    public void close() {
        closing = true;
        if (isRunning()) {
            consumer.wakeup();
        }
        if (Thread.currentThread() != loop) {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }

    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isRunning() {
        return stopped.getCount() > 0;
    }

    /** Why the loop stopped on its own, if it did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** Clicks handed to the sink since start. */
    public long storedCount() {
        return stored.get();
    }

    /** Clicks left out since start because the sink had them already: a browser sent them again. */
    public long repeatedCount() {
        return repeated.get();
    }

    /** Records sent to the dead-letter topic (and acknowledged) since start. */
    public long deadLetteredCount() {
        return deadLettered.get();
    }

    /** Records not yet stored, per owned partition, as of the loop's last look (every couple of seconds). */
    public Map<TopicPartition, Long> lagByPartition() {
        return lag;
    }

    /**
     * Live: the loop runs and polled within {@link #STUCK_AFTER}. Ready: live, and in touch with the group's
     * coordinator (a heartbeat within the last 15 s), so it gets and keeps its partitions.
     *
     * @param problem why not, in words; empty when ready
     */
    public record Health(boolean live, boolean ready, String problem) {
    }

    public Health health() {
        if (!isRunning()) {
            return new Health(false, false, failure == null ? "stopped" : "stopped: " + failure);
        }
        long sincePoll = System.nanoTime() - lastPollNanos;
        if (sincePoll > STUCK_AFTER.toNanos()) {
            return new Health(false, false, "no poll for " + TimeUnit.NANOSECONDS.toSeconds(sincePoll) + " s");
        }
        double heartbeat = heartbeatAgeSeconds;
        if (heartbeat < 0) {
            return new Health(true, false, "no contact with the consumer group's coordinator yet");
        }
        if (heartbeat > UNREACHABLE_AFTER.toSeconds()) {
            return new Health(true, false, "no contact with the consumer group's coordinator for "
                    + (long) heartbeat + " s");
        }
        return new Health(true, true, "");
    }

    /** The partitions this consumer owns right now; empty until the group has assigned some. */
    public Set<TopicPartition> assignment() {
        return assignment;
    }

    public ClickConsumerConfig config() {
        return config;
    }

    static Properties consumerProperties(ClickConsumerConfig config) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap().address());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        // Offsets are committed by the loop, and only after the sink has the clicks.
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // No silent reset: where a partition starts is decided on assignment (the sink's position, else the
        // committed offset, else the beginning), and an offset out of range is handled in the loop.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        // Bytes in: decoding is ours, so that a bad record is dead-lettered instead of stopping the consumer.
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        // Each poll costs one fsync per file and one commit; when catching up, bigger batches share that cost
        // (measured here: about 1.5x the clicks/s of the default 500). At a steady rate, polls return sooner
        // with fewer records, so latency does not grow.
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        props.putAll(config.consumerOverrides());
        return props;
    }

    static Properties deadLetterProducerProperties(ClickConsumerConfig config) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap().address());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, config.groupId() + "-dead-letters");
        // acks=all: a dead letter counts as written once all in-sync replicas have it; only then do we commit.
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // Idempotent: the producer's own retries never write a dead letter twice.
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Undeliverable for 30 s means the broker is away: the batch is then read again later, rather than
        // holding the loop (and a shutdown) for the default two minutes.
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        // The same cluster needs the same credentials.
        config.consumerOverrides().forEach((key, value) -> {
            if (key.startsWith("security.") || key.startsWith("ssl.") || key.startsWith("sasl.")) {
                props.put(key, value);
            }
        });
        return props;
    }

    /**
     * Where a partition resumes: right after the sink's last click, or at the committed offset when that is
     * further ahead (records after the last stored click were dead-lettered, or stored by another consumer of
     * the group with its own sink); empty when neither exists, meaning the beginning of the partition.
     */
    static OptionalLong resumeOffset(OptionalLong lastStored, OptionalLong committed) {
        if (lastStored.isEmpty()) {
            return committed;
        }
        long afterStored = lastStored.getAsLong() + 1;
        return OptionalLong.of(committed.isPresent() ? Math.max(afterStored, committed.getAsLong()) : afterStored);
    }

    private void run() {
        try {
            consumer.subscribe(List.of(config.topic()), new RebalanceListener());
            while (!closing) {
                try {
                    pollOnce();
                } catch (RetriableException | CommitFailedException | RebalanceInProgressException e) {
                    // Transient: a broker restarting, a leader moving, a rebalance. The sink's position keeps
                    // redelivered records from being stored twice, so going on is safe.
                    log.warn("{}; retrying", e.toString());
                }
                long now = System.nanoTime();
                lastPollNanos = now;
                refreshStatus(now);
                reportCounts(now);
                hintIfBrokerUnreachable(now);
            }
        } catch (WakeupException e) {
            if (!closing) {
                failure = e;
                log.error("The click consumer was woken up without being closed", e);
            }
        } catch (Throwable e) {
            // Fatal: authorization, an unsupported broker, a sink that cannot write, a topic that was recreated.
            failure = e;
            log.error("The click consumer stops: {}", e.toString(), e);
        } finally {
            try {
                shutDown();
            } finally {
                stopped.countDown();
            }
        }
    }

    private void pollOnce() throws IOException {
        ConsumerRecords<byte[], byte[]> records;
        try {
            records = consumer.poll(POLL_TIMEOUT);
        } catch (NoOffsetForPartitionException e) {
            position(e.partitions());
            return;
        } catch (OffsetOutOfRangeException e) {
            resetOutOfRange(e.offsetOutOfRangePartitions());
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
                sendDeadLetters(batch.deadLetters());
            } catch (RetriableException e) {
                // Nothing of this batch is stored yet: read it again, dead letters first.
                log.warn("Could not write {} dead letter(s) to {} ({}); reading the batch again",
                        batch.deadLetters().size(), deadLetterTopic, e.toString());
                for (TopicPartition partition : records.partitions()) {
                    consumer.seek(partition, records.records(partition).get(0).offset());
                }
                return;
            }
            deadLettered.addAndGet(batch.deadLetters().size());
        }
        if (!batch.clicks().isEmpty()) {
            int repeats = sink.write(batch.clicks());
            stored.addAndGet(batch.clicks().size() - repeats);
            if (repeats > 0) {
                repeated.addAndGet(repeats);
                log.debug("Left out {} click(s) already stored: a browser sent them again", repeats);
            }
        }
        handled.putAll(batch.nextOffsets());
        consumer.commitAsync(batch.nextOffsets(), (offsets, e) -> {
            if (e != null) {
                // Harmless: the next commit covers these offsets, and the sink's position guards against duplicates.
                log.debug("Commit of {} failed: {}", offsets, e.toString());
            }
        });
    }

    private void sendDeadLetters(List<DeadLetter> letters) {
        if (deadLetterProducer == null) {
            deadLetterProducer = deadLetterProducers.get();
        }
        List<Future<RecordMetadata>> acks = new ArrayList<>(letters.size());
        for (DeadLetter letter : letters) {
            log.warn("Dead-lettering {} to {}: {}", letter.origin(), deadLetterTopic, letter.reason());
            acks.add(deadLetterProducer.send(letter.toProducerRecord(deadLetterTopic)));
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
                throw new KafkaException("cannot write to the dead-letter topic " + deadLetterTopic, e.getCause());
            }
        }
    }

    /**
     * Waits for one dead letter's acknowledgement, bounded by the producer's delivery timeout; on close, stops
     * waiting and leaves like {@code poll()} would: nothing of this batch is stored or committed yet, so the next
     * start reads it again.
     */
    private void awaitAck(Future<RecordMetadata> ack) throws InterruptedException, ExecutionException {
        while (true) {
            try {
                ack.get(1, TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.TimeoutException e) {
                if (closing) {
                    throw new WakeupException();
                }
            }
        }
    }

    /** Seeks each partition to its {@link #resumeOffset}; only called on the loop thread. */
    private void position(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> committed;
        boolean committedKnown = true;
        try {
            committed = consumer.committed(new HashSet<>(partitions));
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            log.warn("Cannot read the committed offsets ({}); resuming from the sink's positions", e.toString());
            committed = Map.of();
            committedKnown = false;
        }
        List<TopicPartition> fromBeginning = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            OptionalLong lastStored;
            try {
                lastStored = sink.lastOffset(partition);
            } catch (IOException e) {
                throw new UncheckedIOException("the sink cannot tell the last stored offset of " + partition, e);
            }
            OffsetAndMetadata commit = committed.get(partition);
            OptionalLong committedOffset = commit == null ? OptionalLong.empty() : OptionalLong.of(commit.offset());
            OptionalLong resume = resumeOffset(lastStored, committedOffset);
            if (resume.isPresent()) {
                consumer.seek(partition, resume.getAsLong());
                log.info("{}: resuming at offset {} (stored up to {}, committed {})", partition, resume.getAsLong(),
                        lastStored.isPresent() ? lastStored.getAsLong() : "none",
                        committedOffset.isPresent() ? committedOffset.getAsLong() : "none");
            } else if (committedKnown) {
                fromBeginning.add(partition);
            }
        }
        if (!fromBeginning.isEmpty()) {
            // Nothing stored or committed: a new group stores every click still on the topic, including those
            // sent before this consumer first started.
            consumer.seekToBeginning(fromBeginning);
            log.info("{}: nothing stored or committed yet, reading from the beginning", fromBeginning);
        }
    }

    private void resetOutOfRange(Map<TopicPartition, Long> outOfRange) {
        Map<TopicPartition, Long> beginning = consumer.beginningOffsets(outOfRange.keySet());
        Map<TopicPartition, Long> end = consumer.endOffsets(outOfRange.keySet());
        for (Map.Entry<TopicPartition, Long> entry : outOfRange.entrySet()) {
            TopicPartition partition = entry.getKey();
            long wanted = entry.getValue();
            if (wanted > end.get(partition)) {
                String where = sink instanceof JsonLinesClickSink jsonLines
                        ? " (" + JsonLinesClickSink.file(jsonLines.dataDir(), partition) + ")" : "";
                throw new IllegalStateException(partition + " ends at offset " + end.get(partition)
                        + ", but this consumer resumes at " + wanted + ", after what its sink stored" + where
                        + " or its group committed: the topic was deleted and created again, or the broker lost its"
                        + " data. Clicks stored from the old topic would be mixed up with the new offsets: move them"
                        + " away, then start the consumer again");
            }
            long first = beginning.get(partition);
            log.warn("{}: offsets {} to {} were deleted by the broker (retention) before they were stored;"
                    + " resuming at {}", partition, wanted, first - 1, first);
            consumer.seek(partition, first);
        }
    }

    /** Commits what was stored or dead-lettered for these partitions; the sink's position covers any failure. */
    private void commitHandled(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata offset = handled.remove(partition);
            if (offset != null) {
                offsets.put(partition, offset);
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                consumer.commitSync(offsets, CLOSE_TIMEOUT);
                log.info("Committed {}", describe(offsets));
                return;
            } catch (WakeupException e) {
                // close() has asked the loop to stop; the commit is part of stopping, so try once more.
                if (attempt > 1) {
                    log.warn("Could not commit {}: woken up twice", describe(offsets));
                    return;
                }
            } catch (KafkaException e) {
                log.warn("Could not commit {} ({}); the sink's position covers it on the next assignment",
                        describe(offsets), e.toString());
                return;
            }
        }
    }

    /** {@code clicks-0 up to 41, clicks-1 up to 17}: the offsets a commit covers, readable in one line. */
    private static String describe(Map<TopicPartition, OffsetAndMetadata> offsets) {
        StringBuilder text = new StringBuilder();
        offsets.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(TopicPartition::toString)))
                .forEach(e -> text.append(text.length() == 0 ? "" : ", ")
                        .append(e.getKey()).append(" up to ").append(e.getValue().offset() - 1));
        return text.toString();
    }

    /** Lag and coordinator contact, for /metrics and /readyz: read here, since only this thread may use the consumer. */
    private void refreshStatus(long now) {
        if (now - lastStatusAt < STATUS_INTERVAL.toNanos()) {
            return;
        }
        lastStatusAt = now;
        heartbeatAgeSeconds = heartbeatAgeSeconds();
        Map<TopicPartition, Long> current = new HashMap<>();
        for (TopicPartition partition : consumer.assignment()) {
            OptionalLong partitionLag = consumer.currentLag(partition);
            if (partitionLag.isPresent()) {
                current.put(partition, partitionLag.getAsLong());
            }
        }
        lag = Map.copyOf(current);
    }

    private void reportCounts(long now) {
        if (now - lastReportAt < REPORT_INTERVAL.toNanos()) {
            return;
        }
        long storedNow = stored.get();
        long deadLetteredNow = deadLettered.get();
        if (storedNow != reportedStored || deadLetteredNow != reportedDeadLettered) {
            log.info("Stored {} clicks (+{} in the last {} s), dead-lettered {} records; partitions {}", storedNow,
                    storedNow - reportedStored, TimeUnit.NANOSECONDS.toSeconds(now - lastReportAt),
                    deadLetteredNow, assignment);
        }
        reportedStored = storedNow;
        reportedDeadLettered = deadLetteredNow;
        lastReportAt = now;
    }

    /**
     * A consumer that cannot reach the broker just polls empty, and the client's own warnings do not say what
     * to do; so after a while without a group heartbeat, say where we look for the broker and how to check it.
     */
    private void hintIfBrokerUnreachable(long now) {
        if (now - lastHintAt < HINT_INTERVAL.toNanos() || now - lastHintCheckAt < HINT_CHECK_INTERVAL.toNanos()) {
            return;
        }
        lastHintCheckAt = now;
        double heartbeatAge = heartbeatAgeSeconds();
        long silentSeconds = heartbeatAge >= 0
                ? (long) heartbeatAge
                : TimeUnit.NANOSECONDS.toSeconds(now - startedAt);
        if (silentSeconds >= UNREACHABLE_AFTER.toSeconds()) {
            logBrokerHint(config, "No contact with the consumer group's coordinator for " + silentSeconds + " s");
            lastHintAt = now;
        }
    }

    /** Seconds since the last heartbeat to the group coordinator; negative if there was none yet. */
    private double heartbeatAgeSeconds() {
        for (Map.Entry<MetricName, ? extends Metric> metric : consumer.metrics().entrySet()) {
            if (metric.getKey().name().equals("last-heartbeat-seconds-ago")
                    && metric.getValue().metricValue() instanceof Number age) {
                return age.doubleValue();
            }
        }
        return -1;
    }

    private static void logBrokerHint(ClickConsumerConfig config, String problem) {
        log.warn("{}: {}", problem, config.bootstrap().unreachableHint());
    }

    private void shutDown() {
        try {
            commitHandled(new ArrayList<>(handled.keySet()));
        } catch (RuntimeException e) {
            log.warn("Committing on the way out: {}", e.toString());
        }
        try {
            consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        } catch (RuntimeException e) {
            log.warn("Closing the consumer: {}", e.toString());
        }
        if (deadLetterProducer != null) {
            try {
                deadLetterProducer.close(CLOSE_TIMEOUT);
            } catch (RuntimeException e) {
                log.warn("Closing the dead-letter producer: {}", e.toString());
            }
        }
        try {
            sink.close();
        } catch (IOException | RuntimeException e) {
            log.warn("Closing the sink: {}", e.toString());
        }
        assignment = Set.of();
        log.info("Click consumer stopped: stored {} clicks, dead-lettered {} records", stored.get(), deadLettered.get());
    }

    /** Logs every change of ownership, and commits before giving partitions up. */
    private final class RebalanceListener implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                log.info("Partitions revoked: {}", partitions);
                // The next owner starts where we commit: commit everything stored so far.
                commitHandled(partitions);
            }
            assignment = Set.copyOf(consumer.assignment());
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assignment = Set.copyOf(consumer.assignment());
            if (!partitions.isEmpty()) {
                log.info("Partitions assigned: {}", partitions);
                position(partitions);
            } else if (assignment.isEmpty()) {
                log.info("No partitions assigned: the group has more consumers than the topic has partitions,"
                        + " or the topic does not exist yet");
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // Another consumer owns them already: committing now would fail or overwrite its progress.
            log.warn("Partitions lost (this consumer was out of the group too long): {}", partitions);
            partitions.forEach(handled::remove);
            assignment = Set.copyOf(consumer.assignment());
        }
    }
}
