package ${package}.web;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.LongSupplier;

/**
 * What {@code GET /metrics} on the management port shows, in Prometheus' text format: clicks accepted, requests
 * rejected by reason (429s past a client's share among them), 503s by cause, clicks in flight, open connections,
 * clients, the memory unfinished requests hold, Netty's direct memory, how long Kafka takes to acknowledge, and
 * the JVM's memory and GC. Each instance has its own registry, so tests can start several apps in one JVM.
 */
final class WebMetrics {

    private static final PrometheusTextFormatWriter TEXT_FORMAT = PrometheusTextFormatWriter.create();

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter accepted = Counter.builder()
            .name("web_clicks_accepted_total")
            .help("Clicks acknowledged by Kafka and answered 202")
            .register(registry);
    private final Counter rejected = Counter.builder()
            .name("web_requests_rejected_total")
            .help("Requests answered 4xx, by reason (invalid_click, body_too_large, body_timeout, ...; 429s past a"
                    + " client's share: client_connections, client_clicks_in_flight, client_request_memory)")
            .labelNames("reason")
            .register(registry);
    private final Counter clicksRejected = Counter.builder()
            .name("web_clicks_rejected_total")
            .help("Invalid clicks, not sent: single clicks answered 400 and the rejected items of arrays")
            .register(registry);
    private final Counter unavailable = Counter.builder()
            .name("web_unavailable_total")
            .help("Requests answered 503, by cause: overloaded (in-flight bound), kafka (not acknowledged in time),"
                    + " shutting_down, connections (too many open), request_memory (unfinished requests at their bound)")
            .labelNames("cause")
            .register(registry);
    private final Histogram kafkaAck = Histogram.builder()
            .name("web_kafka_ack_seconds")
            .help("From send() to Kafka's acknowledgement (or failure) of one click")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)
            .labelNames("outcome")
            .register(registry);

    /** The suppliers and accounts are read at each scrape. */
    WebMetrics(LongSupplier clicksInFlight, LongSupplier bytesInFlight, LongSupplier openConnections,
               RequestMemory requestMemory, ClientShares clients) {
        GaugeWithCallback.builder()
                .name("web_request_memory_bytes")
                .help("Bytes that unfinished requests hold (heads, bodies, receive buffers), as counted against"
                        + " WEB_REQUEST_MEMORY")
                .callback(callback -> callback.call(requestMemory.held()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("web_request_memory_limit_bytes")
                .help("WEB_REQUEST_MEMORY: past it, a request that asks for more gets 503")
                .callback(callback -> callback.call(requestMemory.budget()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("web_clients")
                .help("Clients (remote addresses, IPv6 /64s, or addresses a trusted proxy reports) holding a"
                        + " connection or a click in flight")
                .callback(callback -> callback.call(clients.size()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("web_netty_direct_memory_bytes")
                .help("Direct memory Netty's buffer allocator holds (receive buffers, unfinished heads); bounded by"
                        + " -XX:MaxDirectMemorySize")
                .callback(callback -> callback.call(nettyDirectMemory()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("web_clicks_in_flight")
                .help("Clicks sent to Kafka and not yet acknowledged")
                .callback(callback -> callback.call(clicksInFlight.getAsLong()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("web_bytes_in_flight")
                .help("Bytes of the clicks in flight, as counted against the load-shedding bound")
                .callback(callback -> callback.call(bytesInFlight.getAsLong()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("web_connections")
                .help("Open HTTP connections")
                .callback(callback -> callback.call(openConnections.getAsLong()))
                .register(registry);
    }

    private static long nettyDirectMemory() {
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider
                ? provider.metric().usedDirectMemory() : -1;
    }

    /** Adds the JVM's memory, GC, thread and class metrics. */
    void registerJvmMetrics() {
        JvmMetrics.builder().register(registry);
    }

    void accepted(int clicks) {
        accepted.inc(clicks);
    }

    void rejected(String reason) {
        rejected.labelValues(reason).inc();
    }

    void clicksRejected(int clicks) {
        clicksRejected.inc(clicks);
    }

    void unavailable(String cause) {
        unavailable.labelValues(cause).inc();
    }

    void kafkaAnswered(long nanos, boolean acknowledged) {
        kafkaAck.labelValues(acknowledged ? "acknowledged" : "failed").observe(nanos / 1e9);
    }

    String contentType() {
        return TEXT_FORMAT.getContentType();
    }

    /** Every metric, now, in the text format. */
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
