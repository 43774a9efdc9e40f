package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.HttpExchange;
import ${package}.loadtest.LatencyRecorder;
import ${package}.loadtest.ProcessStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that hold connections without finishing a request, one kind at a time, while well-behaved clients
 * send 50 clicks per second, each on a fresh connection as a browser's first click does:
 *
 * <ol>
 *   <li>2,000 connections trickling request headers, one byte every 2 s;</li>
 *   <li>2,000 connections trickling a body of Content-Length 1,000, one byte every 2 s;</li>
 *   <li>200 connections posting batches of 100 clicks, pipelined, never reading an answer.</li>
 * </ol>
 * At least 99% of the well-behaved clicks must get 202, with p99 at most 1 s, and the web producer's resident
 * memory must stay under 256 MB, the bound the README states for it. Run with the JVM options it ships with.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true",
        disabledReason = "a fault test takes minutes: run the fault tests with -Dfault=true")
class SlowClientsFaultIT {

    private static final int TRICKLING = 2_000;
    private static final int NEVER_READING = 200;
    private static final Duration TRICKLE_INTERVAL = Duration.ofSeconds(2);
    private static final int PROBES_PER_SECOND = 50;
    private static final Duration PROBING = Duration.ofSeconds(20);
    /** Time for the slow clients to connect and settle before the probes start. */
    private static final Duration SETTLE = Duration.ofSeconds(5);
    private static final Duration WARM_UP = Duration.ofSeconds(8);
    private static final double MIN_ACCEPTED = 0.99;
    private static final double MAX_P99_MILLIS = 1_000;
    /**
     * The web producer's memory bound (see the README): the heap and direct memory of web/jvm.options, and the
     * JVM itself.
     */
    private static final long MAX_RSS_MB = 256;
    /** {@code -Dfault.slowClients.phase=3} runs one phase only (1, 2 or 3), to look at one kind of client. */
    private static final int ONLY_PHASE = Integer.getInteger("fault.slowClients.phase", 0);

    @TempDir
    Path dir;

    @Test
    void slow_and_non_reading_clients_do_not_hold_up_clicks_from_others() throws Exception {
        requireFileDescriptors(TRICKLING + 500);
        List<String> report = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startWeb();
            URI base = pipeline.base();
            warmUp(base);
            byte[] head = SlowClients.ascii("POST /api/clicks HTTP/1.1\r\nHost: clicks.test\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
            byte[] batch = BenchClicks.batch(1_000_000, 100);
            byte[] batchRequest = concat(SlowClients.ascii("POST /api/clicks HTTP/1.1\r\nHost: clicks.test\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + batch.length + "\r\n\r\n"), batch);

            if (runs(1)) {
                phase(pipeline, TRICKLING + " connections trickling headers, 1 byte / 2 s",
                        () -> SlowClients.trickling(base, TRICKLING, new byte[0], head, TRICKLE_INTERVAL), report,
                        failures);
            }
            if (runs(2)) {
                phase(pipeline, TRICKLING + " connections trickling a body (Content-Length 1000), 1 byte / 2 s",
                        () -> SlowClients.trickling(base, TRICKLING, head, SlowClients.ascii("{"), TRICKLE_INTERVAL),
                        report, failures);
            }
            if (runs(3)) {
                phase(pipeline, NEVER_READING + " connections posting batches of 100 clicks, never reading",
                        () -> SlowClients.neverReading(base, NEVER_READING, batchRequest), report, failures);
            }

            System.out.println("SlowClientsFaultIT:\n  " + String.join("\n  ", report));
            assertTrue(pipeline.web.isAlive(),
                    "the web producer died; its log ends with:\n" + pipeline.web.logTail(30));
            assertTrue(failures.isEmpty(), String.join("\n", failures) + "\nweb producer log ends with:\n"
                    + pipeline.web.logTail(20));
        }
    }

    /**
     * Ordinary traffic first, single clicks then batches, as the benchmark does: a collector that faces abuse has
     * been serving, and its request path is compiled. Cold, the first seconds of 200 clients posting batches go
     * to the JIT compiling that path on saturated cores, and the slowest probes all fall in those seconds,
     * whatever the edge does.
     */
    private static void warmUp(URI base) {
        long started = System.nanoTime();
        AtomicLong sequence = new AtomicLong(3_000_000_000L);
        ClickLoad.AnswerListener ignore = (seq, response, due, sent, done) -> { };
        new ClickLoad(base, "/api/clicks", 32, seq -> BenchClicks.single(sequence.getAndIncrement()), ignore,
                ClickLoad.Client.SOCKET, 30_000).closedLoop(WARM_UP);
        new ClickLoad(base, "/api/clicks", 8, seq -> BenchClicks.batch(sequence.getAndAdd(100), 100), ignore,
                ClickLoad.Client.SOCKET, 30_000).closedLoop(WARM_UP);
        System.out.printf("SlowClientsFaultIT: web producer warmed up with single clicks and batches (%.0f s)%n",
                (System.nanoTime() - started) / 1e9);
    }

    private static boolean runs(int phase) {
        return ONLY_PHASE == 0 || ONLY_PHASE == phase;
    }

    private static void phase(FaultPipeline pipeline, String name, Supplier<SlowClients> abuse, List<String> report,
                              List<String> failures) throws Exception {
        long rssPeakKb;
        ProbeResult probes;
        String abusers;
        try (SlowClients clients = abuse.get()) {
            FaultPipeline.sleep(SETTLE.toMillis());
            RssSampler rss = new RssSampler(pipeline.web.pid());
            probes = probe(pipeline.base());
            rssPeakKb = rss.stop();
            abusers = clients.describe();
        }
        double acceptedShare = probes.accepted / (double) probes.sent;
        double p99 = probes.latency.percentileMillis(99);
        report.add(String.format(Locale.ROOT, "%s: %d of %d clicks got 202 (%.1f%%), p50 %.0f ms, p99 %.0f ms,"
                        + " max %.0f ms, other answers %s; web RSS peak %d MB; slow clients: %s", name, probes.accepted,
                probes.sent, 100 * acceptedShare, probes.latency.percentileMillis(50), p99,
                probes.latency.maxMillis(), probes.other, rssPeakKb / 1024, abusers));
        if (acceptedShare < MIN_ACCEPTED) {
            failures.add(name + ": only " + probes.accepted + " of " + probes.sent + " clicks got 202 (first other: "
                    + probes.firstOther + ")");
        }
        if (p99 > MAX_P99_MILLIS) {
            failures.add(name + ": p99 " + p99 + " ms, more than " + MAX_P99_MILLIS + " ms");
        }
        if (rssPeakKb / 1024 > MAX_RSS_MB) {
            failures.add(name + ": the web producer's RSS reached " + rssPeakKb / 1024 + " MB, over " + MAX_RSS_MB);
        }
    }

    private record ProbeResult(long sent, long accepted, LatencyRecorder.Summary latency, String other,
                               String firstOther) {
    }

    /** {@link #PROBES_PER_SECOND} clicks a second, each on a new connection; latency from when it was due. */
    private static ProbeResult probe(URI base) throws Exception {
        int total = (int) (PROBES_PER_SECOND * PROBING.toSeconds());
        long interval = TimeUnit.SECONDS.toNanos(1) / PROBES_PER_SECOND;
        LatencyRecorder latency = new LatencyRecorder();
        AtomicLong accepted = new AtomicLong();
        List<String> others = new ArrayList<>();
        ExecutorService senders = Executors.newFixedThreadPool(100);
        List<Future<?>> sends = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int i = 0; i < total; i++) {
                long due = start + i * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                long seq = 2_000_000_000L + i;
                sends.add(senders.submit(() -> {
                    String outcome;
                    try (HttpExchange exchange = new HttpExchange(base, 10_000)) {
                        HttpExchange.Response response = exchange.postJson("/api/clicks", BenchClicks.single(seq));
                        outcome = response.status() == 202 ? null : response.status() + " " + response.bodyText();
                    } catch (IOException e) {
                        outcome = e.toString();
                    }
                    long done = System.nanoTime();
                    synchronized (latency) {
                        latency.record(done - due);
                        if (outcome == null) {
                            accepted.incrementAndGet();
                        } else {
                            others.add(outcome);
                        }
                    }
                }));
            }
            for (Future<?> send : sends) {
                send.get(60, TimeUnit.SECONDS);
            }
        } finally {
            senders.shutdownNow();
        }
        synchronized (latency) {
            return new ProbeResult(total, accepted.get(), LatencyRecorder.merge(List.of(latency)),
                    summarize(others), others.isEmpty() ? "-" : others.get(0));
        }
    }

    /** Counts of the answers other than 202, by their first word (a status, or an exception's name). */
    private static String summarize(List<String> others) {
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        others.forEach(other -> counts.merge(other.split("[ :]", 2)[0], 1, Integer::sum));
        return counts.isEmpty() ? "none" : counts.toString();
    }

    /** Samples a process's resident memory every 200 ms until stopped; returns the highest sample in KB. */
    private static final class RssSampler {
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long peakKb;

        RssSampler(long pid) {
            thread = new Thread(() -> {
                while (running) {
                    peakKb = Math.max(peakKb, ProcessStats.of(pid).rssKb());
                    FaultPipeline.sleep(200);
                }
            }, "rss-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        long stop() throws InterruptedException {
            running = false;
            thread.join();
            return peakKb;
        }
    }

    /** 2,000 connections need 2,000 file descriptors here (and as many in the web producer): say so plainly. */
    private static void requireFileDescriptors(long needed) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            long limit = os.getMaxFileDescriptorCount();
            assertTrue(limit >= needed, "this test opens " + TRICKLING + " connections and may have only " + limit
                    + " open files: raise the limit (ulimit -n " + needed + " or more) and run it again");
        }
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
