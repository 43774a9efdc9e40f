package ${package}.consumer;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import org.apache.kafka.common.TopicPartition;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * What the consumer's {@code GET /metrics} shows, in Prometheus' text format: clicks stored, records
 * dead-lettered, lag per partition, how long the sink's fsyncs take, and the JVM's memory and GC.
 */
final class ConsumerMetrics {

    private static final PrometheusTextFormatWriter TEXT_FORMAT = PrometheusTextFormatWriter.create();

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram fsync = Histogram.builder()
            .name("consumer_fsync_seconds")
            .help("How long the sink took to force one batch's files to disk")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5)
            .register(registry);

    private final Histogram sinkWrite = Histogram.builder()
            .name("consumer_sink_write_seconds")
            .help("How long the database sink took to store one batch: COPY, positions and commit")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5)
            .register(registry);

    /** Adds what the running app counts: stored, repeated, dead-lettered, lag. */
    void watch(ClickConsumerApp app) {
        CounterWithCallback.builder()
                .name("consumer_clicks_stored_total")
                .help("Clicks written to the sink since start")
                .callback(callback -> callback.call(app.storedCount()))
                .register(registry);
        CounterWithCallback.builder()
                .name("consumer_clicks_repeated_total")
                .help("Clicks left out since start because their clientEventId was stored already (browser retries)")
                .callback(callback -> callback.call(app.repeatedCount()))
                .register(registry);
        CounterWithCallback.builder()
                .name("consumer_sink_retries_total")
                .help("Batches read again because the sink could not store them (database down, disk full)")
                .callback(callback -> callback.call(app.sinkRetryCount()))
                .register(registry);
        CounterWithCallback.builder()
                .name("consumer_batches_fenced_total")
                .help("Batches not stored because another consumer had stored clicks of their partitions since"
                        + " this one claimed them (it had lost them: a long pause)")
                .callback(callback -> callback.call(app.fencedBatchCount()))
                .register(registry);
        CounterWithCallback.builder()
                .name("consumer_dead_lettered_total")
                .help("Undecodable records sent to the dead-letter topic since start")
                .callback(callback -> callback.call(app.deadLetteredCount()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("consumer_lag")
                .help("Records on the topic not yet stored, per partition this consumer owns")
                .labelNames("partition")
                .callback(callback -> app.lagByPartition().forEach((partition, lag) ->
                        callback.call(lag, Integer.toString(partition.partition()))))
                .register(registry);
        // Which instance writes which partition, when several consumers of the group share a data directory.
        GaugeWithCallback.builder()
                .name("consumer_partition_writing")
                .help("1 per partition this consumer owns and writes (the sink has claimed it)")
                .labelNames("partition")
                .callback(callback -> {
                    Set<TopicPartition> waiting = app.waitingForClaim().keySet();
                    app.assignment().stream().filter(partition -> !waiting.contains(partition)).forEach(partition ->
                            callback.call(1, Integer.toString(partition.partition())));
                })
                .register(registry);
        GaugeWithCallback.builder()
                .name("consumer_partition_claim_wait_seconds")
                .help("Per partition assigned to this consumer but still held by another process (its previous"
                        + " owner), how long it has waited; paused meanwhile")
                .labelNames("partition")
                .unit(Unit.SECONDS)
                .callback(callback -> app.waitingForClaim().forEach((partition, waited) ->
                        callback.call(waited.toNanos() / 1e9, Integer.toString(partition.partition()))))
                .register(registry);
    }

    /** Adds the JVM's memory, GC, thread and class metrics (a few hundred milliseconds: off the start-up path). */
    void registerJvmMetrics() {
        JvmMetrics.builder().register(registry);
    }

    void sinkWriteTook(long nanos) {
        sinkWrite.observe(nanos / 1e9);
    }

    void fsyncTook(long nanos) {
        fsync.observe(nanos / 1e9);
    }

    String contentType() {
        return TEXT_FORMAT.getContentType();
    }

    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            TEXT_FORMAT.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException("a byte array cannot fail to be written", e);
        }
        return out.toByteArray();
    }
}
