package ${package}.web;

import ${package}.shared.ClickEvent;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Where accepted clicks go. {@link KafkaClickPublisher} sends them to the topic; unit tests of the HTTP layer
 * use an in-memory one.
 */
public interface ClickPublisher extends AutoCloseable {

    /**
     * Starts sending one click and returns at once, without blocking: it is called on the HTTP event loops.
     * The future completes normally only once the click is durably written, and exceptionally if it was not
     * acknowledged in time; it never stays open forever.
     */
    CompletableFuture<Void> publish(ClickEvent click);

    /** The producer's buffer for unsent clicks, in bytes: the in-flight bound stays below it. */
    long bufferMemory();

    /** True once the topic's partitions are known, so that {@link #publish} sends at once. */
    boolean knowsTopic();

    /** Sends everything buffered now and waits until each pending future is completed (either way). */
    void flush();

    /** How long a publish may take before its future fails: the longest a client waits for its answer. */
    Duration deliveryTimeout();

    /** Flushes, then releases the connection; later publishes fail. */
    @Override
    void close();
}
