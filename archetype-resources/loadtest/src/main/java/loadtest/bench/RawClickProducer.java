package ${package}.loadtest.bench;

import ${package}.doctor.BootstrapServers;
import ${package}.loadtest.BenchClicks;
import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import ${package}.shared.InvalidClickException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.lang.reflect.Method;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The ceiling: a plain {@link KafkaProducer} loop that sends the web producer's own records (the same
 * click JSON with eventId and timestamp, the same key) with the web producer's own settings, as fast as the
 * producer takes them, like Kafka's {@code ProducerPerformance}.
 */
public final class RawClickProducer {

    private static final int DISTINCT_RECORDS = 10_000;
    /**
     * Records sent but not yet acknowledged, at most. The web producer's delivery timeout (5 s) counts from
     * send(): a loop that fills the whole 32 MB buffer would see records expire while they queue, which
     * measures the queue, not the broker. HTTP clients cannot queue that deep either.
     */
    private static final int MAX_UNACKNOWLEDGED = 50_000;
    private static final String PUBLISHER_CLASS = "${package}.web.KafkaClickPublisher";

    public record Result(long records, long failed, double seconds, long bytes) {
        public double recordsPerSecond() {
            return records / seconds;
        }

        public double megabytesPerSecond() {
            return bytes / seconds / 1_000_000.0;
        }
    }

    private final Map<String, Object> settings;
    private final String topic;
    private final byte[][] values = new byte[DISTINCT_RECORDS][];
    private final String[] keys = new String[DISTINCT_RECORDS];

    public RawClickProducer(String bootstrapServers, String topic) {
        this.topic = topic;
        this.settings = webProducerSettings(bootstrapServers);
        for (int i = 0; i < DISTINCT_RECORDS; i++) {
            try {
                ClickEvent click = ClickJson.clickFromRequest(ClickJson.readTree(BenchClicks.single(i)),
                        UUID.randomUUID(), Instant.now());
                values[i] = ClickJson.toBytes(click);
                keys[i] = click.partitionKey();
            } catch (InvalidClickException e) {
                throw new IllegalStateException("the benchmark's own click is invalid: " + e.getMessage(), e);
            }
        }
    }

    /** The settings in use, sorted, for the report. */
    public Map<String, Object> settings() {
        Map<String, Object> shown = new TreeMap<>(settings);
        shown.remove(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
        return shown;
    }

    public int recordSize() {
        return values[0].length;
    }

    /** Sends {@code count} records and waits until every one is acknowledged or failed. */
    public Result send(long count) {
        LongAdder failed = new LongAdder();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        Semaphore window = new Semaphore(MAX_UNACKNOWLEDGED);
        long bytes = 0;
        long started = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer =
                     new KafkaProducer<>(settings, new StringSerializer(), new ByteArraySerializer())) {
            for (long i = 0; i < count; i++) {
                int at = (int) (i % DISTINCT_RECORDS);
                bytes += values[at].length;
                window.acquireUninterruptibly();
                producer.send(new ProducerRecord<>(topic, keys[at], values[at]), (metadata, error) -> {
                    window.release();
                    if (error != null) {
                        failed.increment();
                        firstError.compareAndSet(null, error);
                    }
                });
            }
            producer.flush();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        if (firstError.get() != null) {
            System.err.println("raw producer: " + failed.sum() + " records failed, first: " + firstError.get());
        }
        return new Result(count - failed.sum(), failed.sum(), seconds, bytes);
    }

    /**
     * The web producer's settings, from the web module itself, so the ceiling is measured with exactly what
     * the app runs. The method is package-private there (the app has no reason to export it); reflection
     * keeps the benchmark honest without widening the app's API.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> webProducerSettings(String bootstrapServers) {
        try {
            Method method = Class.forName(PUBLISHER_CLASS)
                    .getDeclaredMethod("producerSettings", BootstrapServers.class, Map.class);
            method.setAccessible(true);
            Map<String, Object> settings = new HashMap<>((Map<String, Object>) method.invoke(null,
                    new BootstrapServers(bootstrapServers, "the benchmark's broker"), Map.of()));
            settings.put(ProducerConfig.CLIENT_ID_CONFIG, "raw-click-producer");
            return settings;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the web producer's settings from " + PUBLISHER_CLASS
                    + ".producerSettings(BootstrapServers, Map): has it been renamed? Update RawClickProducer.", e);
        }
    }
}
