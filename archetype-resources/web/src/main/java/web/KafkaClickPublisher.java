package ${package}.web;

import ${package}.doctor.BootstrapServers;
import ${package}.doctor.KafkaClientProperties;
import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends clicks to the topic: key = {@link ClickEvent#partitionKey()} (one user's clicks stay in one partition,
 * in order), value = {@link ClickJson#toBytes(ClickEvent)}.
 *
 * <p>{@link #publish} never waits for the broker's answer: the send goes into the producer's batch for its
 * partition, and the future completes from the producer's callback. So many concurrent requests share one
 * batch and one round trip, and no request flushes.
 *
 * <p>{@link #publish} is called on the HTTP event loops, so it must never block. So it does not wait for the
 * topic's metadata, which {@code send()} would do for up to {@code max.block.ms} while the broker is down at
 * start-up: one thread fetches it, and clicks that arrive before it is known wait for that thread's result (and
 * get their 503 with it, if the broker does not answer). Nor for buffer space: see {@link InFlightClicks}.
 *
 * <p>When Kafka refuses the credentials, that thread replaces the Kafka producer, with a pause growing to 10 s
 * between tries, until Kafka takes them: an idempotent producer refused while it asks for its producer id is
 * left unable to send for good, so one that Kafka later accepts would still fail every click.
 */
public final class KafkaClickPublisher implements ClickPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaClickPublisher.class);
    /** At most one broker hint per this interval, so an outage under load does not flood the log. */
    private static final long HINT_INTERVAL_NANOS = Duration.ofSeconds(30).toNanos();
    private static final Duration METADATA_RETRY_PAUSE = Duration.ofMillis(200);
    private static final Duration MAX_REFUSED_PAUSE = Duration.ofSeconds(10);
    static final int LINGER_MS = 1;

    /**
     * Created on the metadata thread, so that start-up builds it while the HTTP server starts; replaced by a
     * completed one holding a new producer after Kafka refused the credentials.
     */
    private volatile CompletableFuture<Producer<String, byte[]>> producer = new CompletableFuture<>();
    /** Released by a send that Kafka refused: the metadata thread then replaces the producer. */
    private final Semaphore refusedSends = new Semaphore(0);
    private final String topic;
    private final BootstrapServers bootstrap;
    private final KafkaClientProperties clientProperties;
    private final Duration deliveryTimeout;
    private final long bufferMemory;
    private final AtomicLong lastHintNanos = new AtomicLong(System.nanoTime() - HINT_INTERVAL_NANOS);
    /** Completes once the producer knows the topic's partitions; replaced by a new one after each failed try. */
    private volatile CompletableFuture<Void> topicKnown = new CompletableFuture<>();
    private volatile boolean closed;

    public KafkaClickPublisher(BootstrapServers bootstrap, KafkaClientProperties clientProperties, String topic,
                               Map<String, Object> overrides) {
        this.bootstrap = bootstrap;
        this.clientProperties = clientProperties;
        this.topic = topic;
        Map<String, Object> settings = producerSettings(bootstrap, clientProperties, overrides);
        this.deliveryTimeout = Duration.ofMillis(Long.parseLong(
                String.valueOf(settings.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG))));
        this.bufferMemory = Long.parseLong(String.valueOf(settings.get(ProducerConfig.BUFFER_MEMORY_CONFIG)));
        Thread fetch = new Thread(() -> {
            try {
                producer.complete(new KafkaProducer<>(settings, new StringSerializer(), new ByteArraySerializer()));
            } catch (RuntimeException e) {
                producer.completeExceptionally(e);
                topicKnown.completeExceptionally(e);
                return;
            }
            Duration refusedPause = Duration.ZERO;
            while (!closed && !Thread.currentThread().isInterrupted()) {
                if (fetchTopicMetadata()) {
                    refusedPause = Duration.ZERO;
                    awaitRefusedSend();
                } else {
                    refusedPause = refusedPause.isZero() ? Duration.ofSeconds(1)
                            : refusedPause.multipliedBy(2).compareTo(MAX_REFUSED_PAUSE) > 0 ? MAX_REFUSED_PAUSE
                            : refusedPause.multipliedBy(2);
                    pause(refusedPause);
                }
                if (!closed) {
                    replaceProducer(settings);
                }
            }
        }, "web-producer-metadata");
        fetch.setDaemon(true);
        fetch.start();
    }

    /**
     * Waits until the Kafka producer exists (not until the broker answers): a setting Kafka rejects fails here,
     * at start-up, with Kafka's own message.
     */
    public void awaitCreated() {
        try {
            producer.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    /** The producer settings for a plain-text broker (the benchmark's raw producer takes the same). */
    static Map<String, Object> producerSettings(BootstrapServers bootstrap, Map<String, Object> overrides) {
        return producerSettings(bootstrap, KafkaClientProperties.none(), overrides);
    }

    /**
     * The producer settings, each with the reason: first the connection settings of {@code KAFKA_CLIENT_PROPERTIES}
     * (it may not set the ones below that delivery depends on), then ours; {@code overrides} win (benchmarks, tests).
     */
    static Map<String, Object> producerSettings(BootstrapServers bootstrap, KafkaClientProperties clientProperties,
                                                Map<String, Object> overrides) {
        Map<String, Object> settings = new HashMap<>(clientProperties.forProducer());
        settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap.address());
        // Names this client in the broker's logs and metrics.
        settings.put(ProducerConfig.CLIENT_ID_CONFIG, "web-producer");
        // A click counts as written only once every in-sync replica has it: a 202 must survive a broker loss.
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        // Retries after a lost acknowledgement never write a click twice, and one user's clicks keep their order.
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Waits 1 ms for more clicks before a batch leaves. Each answer waits for its click's batch, so Kafka's
        // default of 5 ms caps a client that sends one click at a time at 200 clicks/s per connection; with 0,
        // every few clicks become a produce request of their own, and the broker spends far more CPU on the same
        // clicks (the benchmark's CPU columns show both).
        settings.put(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
        // The buffer for unsent clicks, sized to the heap; InFlightClicks keeps the clicks in flight below half of
        // it, so send() never waits for room (it is called on the HTTP event loops, which must never block).
        settings.put(ProducerConfig.BUFFER_MEMORY_CONFIG, bufferMemoryFor(Runtime.getRuntime().maxMemory()));
        // send() could block this long for topic metadata; only the metadata thread below ever waits for it.
        settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000);
        // One produce request waits 2 s for its answer, then is retried; a healthy broker answers in milliseconds.
        settings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        // The upper bound from send() to success or failure (Kafka requires >= linger + request timeout):
        // a client gets 202 or 503 within about 5 s, instead of the 2-minute default.
        settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000);
        // Keeps the topic's metadata while the broker is away (the default forgets it and bootstraps again): then
        // send() does not block during an outage, and each click gets its 503 from the delivery timeout.
        settings.put(CommonClientConfigs.METADATA_RECOVERY_STRATEGY_CONFIG, "none");
        // Keeps the topic in the producer's metadata through quiet hours (the default drops it after 5 minutes
        // without a send, and the next send() would wait for it on an event loop).
        settings.put(ProducerConfig.METADATA_MAX_IDLE_CONFIG, (int) Duration.ofDays(1).toMillis());
        settings.putAll(overrides);
        return settings;
    }

    /** A sixth of the heap, from 4 to 32 MiB: 16 MiB with the image's 96 MiB heap. */
    static long bufferMemoryFor(long maxHeapBytes) {
        return Math.max(4L << 20, Math.min(32L << 20, maxHeapBytes / 6));
    }

    @Override
    public CompletableFuture<Void> publish(ClickEvent click) {
        if (knowsTopic()) {
            return send(click);
        }
        return topicKnown.thenCompose(ready -> send(click));
    }

    private CompletableFuture<Void> send(ClickEvent click) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(topic, click.partitionKey(), ClickJson.toBytes(click));
        try {
            producer.join().send(record, (metadata, error) -> {
                if (error == null) {
                    written.complete(null);
                } else {
                    hintOncePerInterval(error);
                    if (KafkaClientProperties.authenticationFailure(error).isPresent()) {
                        refusedSends.release();
                    }
                    written.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            // send() throws only for a closed producer or an interrupt; the caller answers 503 either way.
            written.completeExceptionally(e);
        }
        return written;
    }

    /**
     * Asks for the topic's partitions until the broker answers; each failed try fails the clicks waiting for it.
     *
     * @return true once the topic is known; false if Kafka refused the credentials (or the publisher closed)
     */
    private boolean fetchTopicMetadata() {
        while (!closed && !Thread.currentThread().isInterrupted()) {
            CompletableFuture<Void> attempt = topicKnown;
            try {
                producer.join().partitionsFor(topic);
                attempt.complete(null);
                return true;
            } catch (RuntimeException e) {
                boolean refused = KafkaClientProperties.authenticationFailure(e).isPresent();
                // Refused: clicks get their 503 at once until the next try, instead of waiting out the pause.
                topicKnown = refused ? CompletableFuture.failedFuture(e) : new CompletableFuture<>();
                if (!closed) {
                    hintOncePerInterval(e);
                }
                attempt.completeExceptionally(e);
                if (refused) {
                    return false;
                }
                // Some failures come at once (an invalid topic name): a short pause keeps the retries from spinning.
                pause(METADATA_RETRY_PAUSE);
            }
        }
        return false;
    }

    /** Until a send is refused (or the publisher closes); the refusals of the other sends of that moment with it. */
    private void awaitRefusedSend() {
        try {
            refusedSends.acquire();
            refusedSends.drainPermits();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** New clicks wait for the new producer's metadata; those in the old one fail at once (503, sent again). */
    private void replaceProducer(Map<String, Object> settings) {
        if (topicKnown.isDone()) {
            topicKnown = new CompletableFuture<>();
        }
        Producer<String, byte[]> old = producer.join();
        producer = CompletableFuture.completedFuture(
                new KafkaProducer<>(settings, new StringSerializer(), new ByteArraySerializer()));
        old.close(Duration.ZERO);
        if (closed) {
            // close() ran meanwhile and closed the old one
            producer.join().close(Duration.ZERO);
        }
    }

    private static void pause(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void flush() {
        if (producer.isDone() && !producer.isCompletedExceptionally()) {
            producer.join().flush();
        }
    }

    @Override
    public Duration deliveryTimeout() {
        return deliveryTimeout;
    }

    @Override
    public long bufferMemory() {
        return bufferMemory;
    }

    @Override
    public boolean knowsTopic() {
        CompletableFuture<Void> known = topicKnown;
        return known.isDone() && !known.isCompletedExceptionally();
    }

    @Override
    public void close() {
        closed = true;
        refusedSends.release();
        try {
            // close() flushes first; the bound keeps a dead broker from holding up shutdown for long.
            producer.join().close(deliveryTimeout);
        } catch (CompletionException e) {
            // it was never created: nothing to close
        }
    }

    private void hintOncePerInterval(Exception error) {
        var refused = KafkaClientProperties.authenticationFailure(error);
        if (refused.isPresent()) {
            // Not "is the broker up?": it answered, and said no. Logged once, however many clicks fail.
            clientProperties.reportRefused(refused.get(), LOG::error);
            return;
        }
        long now = System.nanoTime();
        long last = lastHintNanos.get();
        if (now - last >= HINT_INTERVAL_NANOS && lastHintNanos.compareAndSet(last, now)) {
            LOG.warn("A click was not written to topic {}: {}. {}", topic, error.toString(), bootstrap.unreachableHint());
        }
    }
}
