package ${package}.consumer;

import ${package}.doctor.BootstrapServers;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The consumer's status port over real HTTP, with Kafka's MockConsumer: liveness, readiness and the metrics a
 * scraper reads, and that clients which send their request slowly neither hold up the probes nor stay for long.
 */
@Timeout(60)
class ConsumerStatusServerTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);

    @TempDir
    Path dataDir;

    private final HttpClient client = HttpClient.newHttpClient();
    private ClickConsumerApp app;
    private ConsumerStatusServer status;
    private final List<SlowClient> slowClients = new ArrayList<>();

    @AfterEach
    void stop() {
        slowClients.forEach(SlowClient::close);
        if (status != null) {
            status.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void livez_readyz_and_metrics_tell_what_the_consumer_does() throws Exception {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        consumer.updateEndOffsets(Map.of(P0, 5L));
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            consumer.addRecord(Clicks.validRecord(0, 0));
            consumer.addRecord(Clicks.validRecord(0, 1));
        });
        JsonLinesClickSink sink = JsonLinesClickSink.open(dataDir);
        ConsumerMetrics metrics = new ConsumerMetrics();
        sink.reportForceTimesTo(metrics::fsyncTook);
        app = ClickConsumerApp.start(new ClickConsumerConfig(BootstrapServers.resolve(Map.of()), Clicks.TOPIC,
                "test-group", dataDir, Map.of()), sink, consumer,
                () -> new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()));
        metrics.watch(app);
        metrics.registerJvmMetrics();
        status = ConsumerStatusServer.start(0, app, metrics);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (app.storedCount() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(2_500); // the loop refreshes lag and coordinator contact every 2 s

        HttpResponse<String> livez = get("/livez");
        assertEquals(200, livez.statusCode(), livez.body());
        assertEquals("{\"status\":\"UP\"}", livez.body());

        HttpResponse<String> readyz = get("/readyz");
        assertEquals(503, readyz.statusCode(), "MockConsumer has no group coordinator: " + readyz.body());
        assertTrue(readyz.body().contains("coordinator"), readyz.body());

        String scrape = get("/metrics").body();
        assertTrue(scrape.contains("consumer_clicks_stored_total 2.0"), scrape);
        assertTrue(scrape.contains("consumer_dead_lettered_total 0.0"), scrape);
        assertTrue(scrape.contains("consumer_lag{partition=\"0\"} 3.0"), "end offset 5, two stored: " + scrape);
        assertTrue(scrape.contains("consumer_fsync_seconds_count 1"), scrape);
        assertTrue(scrape.contains("jvm_memory_used_bytes"), scrape);

        assertEquals(404, get("/health").statusCode());

        app.close();
        assertEquals(503, get("/livez").statusCode(), "a stopped loop is not live");
    }

    @Test
    void a_client_trickling_its_request_in_does_not_hold_up_readyz() throws Exception {
        startIdleConsumer();
        SlowClient slow = slowClient();
        awaitThreadsReadingARequest(1);

        for (int probe = 1; probe <= 4; probe++) {
            slow.awaitNextByte(); // one probe between each two bytes it trickles
            assertReadyzAnswersWithin(Duration.ofSeconds(1), "probe " + probe + ", one slow client");
        }
        assertTrue(threadsReadingARequest() >= 1, "the slow client held its thread throughout");
    }

    @Test
    void three_slow_clients_at_once_do_not_hold_up_readyz() throws Exception {
        assertTrue(3 < ConsumerStatusServer.THREADS, "fewer slow clients than threads");
        startIdleConsumer();
        SlowClient first = slowClient();
        slowClient();
        slowClient();
        awaitThreadsReadingARequest(3);

        for (int probe = 1; probe <= 3; probe++) {
            first.awaitNextByte();
            assertReadyzAnswersWithin(Duration.ofSeconds(1), "probe " + probe + ", three slow clients");
        }
        assertTrue(threadsReadingARequest() >= 3, "the slow clients held their threads throughout");
    }

    @Test
    void a_request_that_does_not_arrive_in_time_is_cut_off_and_its_thread_freed() throws Exception {
        startIdleConsumer();
        // what the JVM runs with: ConsumerStatusServer's unless given on the command line
        long limitMillis = Long.getLong("sun.net.httpserver.maxReqTime", ConsumerStatusServer.REQUEST_SECONDS) * 1000;
        SlowClient slow = slowClient();
        awaitThreadsReadingARequest(1);

        // the server's timer looks once a second; 1.5 s more for a slow machine
        long closedAfter = slow.awaitClosedByServer(Duration.ofMillis(limitMillis + 2_500));
        assertTrue(closedAfter >= limitMillis - 1_000, "cut after " + closedAfter + " ms: before the "
                + limitMillis + " ms a request may take");
        assertTrue(slow.bytesSent() > 2, "it was trickling until then");
        awaitUntil(() -> threadsReadingARequest() == 0, Duration.ofSeconds(2), "the cut client's thread is freed");
        assertReadyzAnswersWithin(Duration.ofSeconds(1), "after the cut");
    }

    /** A consumer without clicks, with its status server: enough for the status port to answer. */
    private void startIdleConsumer() throws Exception {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        consumer.updateEndOffsets(Map.of(P0, 0L));
        consumer.schedulePollTask(() -> consumer.rebalance(List.of(P0)));
        app = ClickConsumerApp.start(new ClickConsumerConfig(BootstrapServers.resolve(Map.of()), Clicks.TOPIC,
                "test-group", dataDir, Map.of()), JsonLinesClickSink.open(dataDir), consumer,
                () -> new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()));
        status = ConsumerStatusServer.start(0, app, new ConsumerMetrics());
        assertReadyzAnswersWithin(Duration.ofSeconds(5), "warm-up"); // class loading, JIT: not what is measured
    }

    private SlowClient slowClient() throws IOException {
        SlowClient client = new SlowClient(status.port());
        slowClients.add(client);
        return client;
    }

    /**
     * {@code GET /readyz} on a new connection, as the compose healthcheck sends it (HTTP/1.0, so the server closes
     * the connection after its answer), read to the end.
     */
    private void assertReadyzAnswersWithin(Duration limit, String when) throws IOException {
        long start = System.nanoTime();
        String answer;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), status.port())) {
            socket.setSoTimeout(10_000); // a failing run reports how long it took instead of hanging
            socket.getOutputStream().write("GET /readyz HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) { // a timeout, or a reset: the server cut the probe while it waited for a thread
            throw new AssertionError(when + ": /readyz failed after " + (System.nanoTime() - start) / 1_000_000
                    + " ms: " + e, e);
        }
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(answer.matches("(?s)HTTP/1\\.1 (200|503) .*\\{\"status\":.*"), when + ": " + answer);
        assertTrue(tookMillis < limit.toMillis(), when + ": /readyz took " + tookMillis + " ms");
    }

    /** Waits until {@code n} of the status server's threads are blocked reading a request's line or headers. */
    private static void awaitThreadsReadingARequest(int n) {
        awaitUntil(() -> threadsReadingARequest() >= n, Duration.ofSeconds(5),
                n + " consumer-status threads reading a request");
    }

    private static long threadsReadingARequest() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(thread -> thread.getKey().getName().startsWith("consumer-status"))
                .filter(thread -> Arrays.stream(thread.getValue())
                        .anyMatch(frame -> frame.getClassName().equals("sun.net.httpserver.Request")))
                .count();
    }

    private static void awaitUntil(BooleanSupplier condition, Duration limit, String what) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + limit.toMillis() + " ms: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /**
     * A client that sends {@code GET /readyz HTTP/1.1\r\nHo} and then one more byte of its headers every 500 ms,
     * never the blank line that ends them.
     */
    private static final class SlowClient implements AutoCloseable {

        private static final byte[] START = "GET /readyz HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] REST = "st: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);

        private final Socket socket;
        private final OutputStream out;
        private final long startNanos;
        private final AtomicInteger sent = new AtomicInteger();
        private final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "slow-client");
            t.setDaemon(true);
            return t;
        });

        SlowClient(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            out = socket.getOutputStream();
            startNanos = System.nanoTime();
            out.write(START);
            out.flush();
            trickle.scheduleAtFixedRate(this::sendOneByte, 500, 500, TimeUnit.MILLISECONDS);
        }

        private void sendOneByte() {
            int i = sent.get();
            try {
                out.write(i < REST.length ? REST[i] : 'a');
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e); // ends the schedule: the server has cut the connection
            }
            sent.incrementAndGet();
        }

        int bytesSent() {
            return sent.get();
        }

        void awaitNextByte() {
            int before = sent.get();
            awaitUntil(() -> sent.get() > before, Duration.ofSeconds(2), "the slow client's next byte");
        }

        /** Reads until the server ends or resets the connection; returns the milliseconds since the first byte. */
        long awaitClosedByServer(Duration limit) throws IOException {
            long deadline = startNanos + limit.toNanos();
            InputStream in = socket.getInputStream();
            StringBuilder received = new StringBuilder();
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    fail("the server kept the slow client's connection for " + limit.toMillis() + " ms");
                }
                socket.setSoTimeout((int) left);
                int b;
                try {
                    b = in.read();
                } catch (SocketTimeoutException e) {
                    continue;
                } catch (SocketException e) { // reset: the server closed while bytes were in flight
                    b = -1;
                }
                if (b == -1) {
                    assertEquals("", received.toString(), "the cut connection is closed without an answer");
                    return (System.nanoTime() - startNanos) / 1_000_000;
                }
                received.append((char) b);
            }
        }

        @Override
        public void close() {
            trickle.shutdownNow();
            try {
                socket.close();
            } catch (IOException e) {
                // closing a test's socket
            }
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + status.port() + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
