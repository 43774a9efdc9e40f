package ${package}.web;

import ${package}.shared.ClickEvent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A publisher for unit tests of the HTTP layer: it keeps what it was given, and the test decides whether a
 * click fails and whether acknowledgements wait for {@link #flush()} (as a lingering Kafka batch would).
 */
final class InMemoryClickPublisher implements ClickPublisher {

    private final List<ClickEvent> published = new ArrayList<>();
    private final List<CompletableFuture<Void>> pending = new ArrayList<>();
    private Function<ClickEvent, RuntimeException> failure = click -> null;
    private boolean holdUntilFlush;
    private boolean closed;
    private RuntimeException bug;

    /** Clicks for which {@code failure} returns an exception are not acknowledged. */
    synchronized void failWhen(Function<ClickEvent, RuntimeException> failure) {
        this.failure = failure;
    }

    /** From now on, {@link #knowsTopic} throws {@code bug}, as a bug would (readiness asks it). */
    synchronized void throwWhenAsked(RuntimeException bug) {
        this.bug = bug;
    }

    /** From now on, acknowledgements wait for {@link #flush()}. */
    synchronized void holdUntilFlush() {
        this.holdUntilFlush = true;
    }

    synchronized List<ClickEvent> published() {
        return List.copyOf(published);
    }

    synchronized int pending() {
        return pending.size();
    }

    synchronized boolean closed() {
        return closed;
    }

    @Override
    public synchronized CompletableFuture<Void> publish(ClickEvent click) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("publisher closed"));
        }

        RuntimeException error = failure.apply(click);
        if (error != null) {
            return CompletableFuture.failedFuture(error);
        }
        published.add(click);
        CompletableFuture<Void> written = new CompletableFuture<>();
        if (holdUntilFlush) {
            pending.add(written);
        } else {
            written.complete(null);
        }
        return written;
    }

    @Override
    public void flush() {
        List<CompletableFuture<Void>> acknowledged;
        synchronized (this) {
            acknowledged = List.copyOf(pending);
            pending.clear();
        }
        acknowledged.forEach(written -> written.complete(null));
    }

    @Override
    public Duration deliveryTimeout() {
        return Duration.ofSeconds(1);
    }

    @Override
    public long bufferMemory() {
        return 16L << 20;
    }

    @Override
    public synchronized boolean knowsTopic() {
        if (bug != null) {
            throw bug;
        }
        return true;
    }

    @Override
    public void close() {
        flush();
        synchronized (this) {
            closed = true;
        }
    }
}
