package ${package}.consumer;

import ${package}.shared.ClickTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The consumer: clicks from the topic into a {@link ClickSink}, each stored exactly once.
 *
 * <ul>
 *   <li>At least once: offsets are committed only after the sink has the clicks (and the dead-letter topic
 *       has acknowledged the records that are not clicks): {@link ClickConsumerLoop}.</li>
 *   <li>No duplicates: on assignment, every partition resumes right after the sink's last stored offset, so
 *       what a crash left uncommitted is not stored again: {@link ResumePolicy}.</li>
 *   <li>Several consumers of the group may share one data directory: each partition's file is written only by
 *       the one that holds its lock, and read for the resume point only once held ({@link ClickSink#claim}).</li>
 *   <li>Records that are not valid clicks go to {@code <topic>.dlq} with the reason in a header
 *       ({@link DeadLetter}, {@link DeadLetterPublisher}).</li>
 *   <li>SIGTERM: a shutdown hook calls {@link #close()}: {@code wakeup()} leaves {@code poll()}, the loop
 *       commits what was written and closes.</li>
 * </ul>
 *
 * <p>Run it with {@code java -jar consumer/target/consumer.jar}; it reads the environment variables of
 * {@link ClickConsumerConfig#fromEnvironment()}. Tests start it with {@link #start(ClickConsumerConfig)}.
 */
public final class ClickConsumerApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClickConsumerApp.class);

    private final ClickConsumerConfig config;
    private final ClickConsumerLoop loop;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private ClickConsumerApp(ClickConsumerConfig config, ClickConsumerLoop loop) {
        this.config = config;
        this.loop = loop;
        this.thread = new Thread(() -> {
            try {
                loop.run();
            } finally {
                stopped.countDown();
            }
        }, "click-consumer");
    }

    public static void main(String[] args) {
        ClickConsumerConfig config;
        int statusPort;
        ClickConsumerApp app;
        ConsumerMetrics metrics = new ConsumerMetrics();
        try {
            config = ClickConsumerConfig.fromEnvironment();
            statusPort = ClickConsumerConfig.portFrom(System.getenv());
            // before the loop starts, so that the first batch is measured too
            ClickSink sink = ClickSinks.open(config, System.getenv(), metrics);
            app = startClosingSinkOnFailure(config, sink);
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

    /**
     * Starts the consumer with the default sink, JSON Lines files in {@link ClickConsumerConfig#dataDir()}, kept for
     * {@code CLICK_RETENTION_DAYS} days.
     */
    public static ClickConsumerApp start(ClickConsumerConfig config) throws IOException {
        return startClosingSinkOnFailure(config, JsonLinesClickSink.open(config.dataDir(),
                JsonLinesClickSink.retentionFrom(System.getenv()), Clock.systemUTC()));
    }

    /** Starts the consumer with a sink of your own; {@link #close()} closes it. */
    public static ClickConsumerApp start(ClickConsumerConfig config, ClickSink sink) {
        log.info(config.bootstrap().describe());
        log.info(config.clientProperties().describe());
        log.info("Topic: {} (undecodable records go to {}), consumer group: {}", config.topic(),
                ClickTopic.deadLetter(config.topic()), config.groupId());
        log.info("Data directory: {}{}", config.dataDir().toAbsolutePath().normalize(),
                sink instanceof JsonLinesClickSink ? "" : " (not used: the sink is " + sink.getClass().getName() + ")");
        KafkaConsumer<byte[], byte[]> consumer;
        try {
            consumer = new KafkaConsumer<>(KafkaClientSettings.consumerSettings(config, sink.recordsPerBatch()));
        } catch (KafkaException e) {
            ConsumerProgress.logBrokerHint(config, "The Kafka consumer cannot be created (" + e.getMessage() + ")");
            throw e;
        }
        return start(config, sink, consumer,
                () -> new KafkaProducer<>(KafkaClientSettings.deadLetterProducerSettings(config)),
                TopicIds.fromCluster(KafkaClientSettings.adminSettings(config)));
    }

    /** With clients of the caller's choice: tests pass Kafka's MockConsumer and MockProducer. */
    static ClickConsumerApp start(ClickConsumerConfig config, ClickSink sink, Consumer<byte[], byte[]> consumer,
                                  Supplier<Producer<byte[], byte[]>> deadLetterProducers) {
        return start(config, sink, consumer, deadLetterProducers, TopicIds.unchanging());
    }

    static ClickConsumerApp start(ClickConsumerConfig config, ClickSink sink, Consumer<byte[], byte[]> consumer,
                                  Supplier<Producer<byte[], byte[]>> deadLetterProducers, TopicIds topicIds) {
        ClickConsumerApp app = new ClickConsumerApp(config, new ClickConsumerLoop(config, sink, consumer,
                deadLetterProducers, topicIds));
        app.thread.start();
        return app;
    }

    /** A sink this method opened is closed again if the consumer cannot start: it holds the data directory. */
    private static ClickConsumerApp startClosingSinkOnFailure(ClickConsumerConfig config, ClickSink sink)
            throws IOException {
        try {
            return start(config, sink);
        } catch (RuntimeException e) {
            sink.close();
            throw e;
        }
    }

    /**
     * Stops the loop and waits for it: leaves {@code poll()}, commits what was stored, closes the consumer, the
     * dead-letter producer and the sink. Idempotent; safe from a shutdown hook.
     */
    @Override
    public void close() {
        if (isRunning()) {
            loop.stop();
        }
        if (Thread.currentThread() != thread) {
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
        return Optional.ofNullable(loop.failure());
    }

    /** Clicks handed to the sink since start. */
    public long storedCount() {
        return loop.progress().storedCount();
    }

    /** Clicks left out since start because the sink had them already: a browser sent them again. */
    public long repeatedCount() {
        return loop.progress().repeatedCount();
    }

    /** Batches read again since start because the sink could not store them (its database was down, say). */
    public long sinkRetryCount() {
        return loop.sinkRetries();
    }

    /** Batches refused since start because another consumer had stored clicks of their partitions meanwhile. */
    public long fencedBatchCount() {
        return loop.batchesFenced();
    }

    /** Records sent to the dead-letter topic (and acknowledged) since start. */
    public long deadLetteredCount() {
        return loop.progress().deadLetteredCount();
    }

    /** Records not yet stored, per owned partition, as of the loop's last look (every couple of seconds). */
    public Map<TopicPartition, Long> lagByPartition() {
        return loop.status().lag();
    }

    /**
     * Live: the loop runs and polled within the last minute. Ready: live, and in touch with the group's
     * coordinator (a heartbeat within the last 15 s), so it gets and keeps its partitions.
     *
     * @param problem why not, in words; empty when ready
     */
    public record Health(boolean live, boolean ready, String problem) {
    }

    public Health health() {
        return loop.status().health(isRunning(), loop.failure(), System.nanoTime());
    }

    /** The partitions this consumer owns right now; empty until the group has assigned some. */
    public Set<TopicPartition> assignment() {
        return loop.assignment();
    }

    /**
     * The assigned partitions the sink has not claimed yet, with how long each has waited: another process still
     * holds them (with the default sink, the lock of the partition's file). Paused meanwhile.
     */
    public Map<TopicPartition, Duration> waitingForClaim() {
        return loop.waitingForClaim();
    }

    public ClickConsumerConfig config() {
        return config;
    }
}
