package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.HttpExchange;
import ${package}.loadtest.LatencyRecorder;
import ${package}.loadtest.ProcessStats;
import ${package}.loadtest.SinkContents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker stops answering (SIGSTOP: alive, connections open, nothing comes back) while 256 connections post
 * batches of 100 clicks as fast as they are answered. The web producer must not pile the clicks up: once its
 * in-flight bound is reached, requests get 503 at once, its memory stays bounded, and after SIGCONT clicks flow
 * again within seconds; every click that got a 202 is in the sink exactly once.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true")
class BrokerStallFaultIT {

    private static final int CONNECTIONS = 256;
    private static final int CLICKS_PER_REQUEST = 100;
    private static final Duration STOP_AT = Duration.ofSeconds(5);
    private static final Duration STOPPED_FOR = Duration.ofSeconds(10);
    private static final Duration LOAD = Duration.ofSeconds(30);
    /**
     * An answer refused for lack of room must come at once (the bound is checked before anything is sent): its
     * p99 while the broker is stopped, which includes waiting for a turn on a saturated server.
     */
    private static final double MAX_OVERLOADED_P99_MILLIS = 1_000;
    /**
     * The web producer's memory bound (see the README): the heap and direct memory of web/jvm.options, and the
     * JVM itself.
     */
    private static final long MAX_RSS_MB = 256;
    private static final Duration MAX_RECOVERY = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void with_the_broker_stopped_requests_are_shed_at_once_memory_stays_bounded_and_nothing_acknowledged_is_lost()
            throws Exception {
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startWeb();
            pipeline.startConsumer();
            long webPid = pipeline.web.pid();
            AckLedger ledger = new AckLedger();
            AtomicLong stoppedAt = new AtomicLong();
            AtomicLong resumedAt = new AtomicLong();
            AtomicLong firstAcceptedAfterResume = new AtomicLong();
            LatencyRecorder overloadedWhileStopped = new LatencyRecorder();
            AtomicLong firstOverloadedAfterStop = new AtomicLong();
            ClickLoad.AnswerListener listener = new ClickLoad.AnswerListener() {
                @Override
                public void onAnswer(long seq, HttpExchange.Response response, long due, long sent, long done) {
                    ledger.onAnswer(seq, response, due, sent, done);
                    boolean stopped = stoppedAt.get() != 0 && resumedAt.get() == 0;
                    if (stopped && response.status() == 503
                            && response.bodyText().contains("clicks waiting for Kafka as it takes")) {
                        synchronized (overloadedWhileStopped) {
                            overloadedWhileStopped.record(done - sent);
                        }
                        if (sent > stoppedAt.get()) {
                            firstOverloadedAfterStop.compareAndSet(0, done);
                        }
                    }
                    if (response.status() == 202 && resumedAt.get() != 0 && sent > resumedAt.get()) {
                        firstAcceptedAfterResume.compareAndSet(0, done);
                    }
                }

                @Override
                public void onFailure(long seq, IOException error, long due, long sent, long done) {
                    ledger.onFailure(seq, error, due, sent, done);
                }
            };
            AtomicLong sequence = new AtomicLong();
            ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", CONNECTIONS,
                    seq -> BenchClicks.batch(sequence.getAndAdd(CLICKS_PER_REQUEST), CLICKS_PER_REQUEST), listener,
                    ClickLoad.Client.SOCKET, 30_000);
            long start = System.nanoTime();
            CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(() -> load.closedLoop(LOAD));

            FaultPipeline.sleep(STOP_AT.toMillis());
            long acknowledgedBefore = ledger.acknowledged().size();
            // every node: a cluster with one node stopped would carry on without it
            signal("STOP", pipeline.broker.pids());
            stoppedAt.set(System.nanoTime());
            long rssPeakKb = 0;
            while (System.nanoTime() - stoppedAt.get() < STOPPED_FOR.toNanos()) {
                rssPeakKb = Math.max(rssPeakKb, ProcessStats.of(webPid).rssKb());
                FaultPipeline.sleep(200);
            }
            long acknowledgedWhileStopped = ledger.acknowledgedBefore(System.nanoTime()).size() - acknowledgedBefore;
            signal("CONT", pipeline.broker.pids());
            resumedAt.set(System.nanoTime());

            running.get(LOAD.toSeconds() + 120, TimeUnit.SECONDS);
            rssPeakKb = Math.max(rssPeakKb, ProcessStats.of(webPid).peakRssKb());
            SinkContents sink = pipeline.awaitInSink(ledger.acknowledged(), Duration.ofSeconds(120));
            double recoverySeconds = firstAcceptedAfterResume.get() == 0 ? -1
                    : (firstAcceptedAfterResume.get() - resumedAt.get()) / 1e9;
            LatencyRecorder.Summary overloaded;
            synchronized (overloadedWhileStopped) {
                overloaded = LatencyRecorder.merge(List.of(overloadedWhileStopped));
            }

            System.out.printf("BrokerStallFaultIT: %s; broker stopped at %.1f s for %d s; while stopped %d requests got"
                            + " 503 for lack of room (the first %.0f ms after SIGSTOP), answered in p50 %.0f / p99 %.0f"
                            + " / max %.0f ms; acknowledged while stopped %d (clicks already with the broker);"
                            + " first 202 %.1f s after SIGCONT; web RSS peak %d MB%n",
                    ledger.countsAgainst(sink), (stoppedAt.get() - start) / 1e9, STOPPED_FOR.toSeconds(),
                    overloaded.count(), (firstOverloadedAfterStop.get() - stoppedAt.get()) / 1e6,
                    overloaded.percentileMillis(50), overloaded.percentileMillis(99), overloaded.maxMillis(),
                    acknowledgedWhileStopped, recoverySeconds, rssPeakKb / 1024);

            assertTrue(ledger.protocolFailures().isEmpty(), "answers that break the API: " + ledger.protocolFailures());
            assertEquals(0, ledger.ioFailures(), "requests without an answer; first: " + ledger.firstIoFailure());
            assertTrue(overloaded.count() > 0, "no request was refused for lack of room while the broker"
                    + " was stopped: the bound was never reached, so the test proved nothing");
            assertTrue(overloaded.percentileMillis(99) <= MAX_OVERLOADED_P99_MILLIS, "503s for lack of room took "
                    + overloaded.percentileMillis(99) + " ms at p99: they must come at once");
            assertTrue(rssPeakKb / 1024 <= MAX_RSS_MB, "the web producer's RSS reached " + rssPeakKb / 1024 + " MB");
            assertTrue(recoverySeconds >= 0 && recoverySeconds <= MAX_RECOVERY.toSeconds(), "clicks did not flow"
                    + " again within " + MAX_RECOVERY.toSeconds() + " s of SIGCONT (" + recoverySeconds + " s)");
            assertEquals(0, ledger.lostFrom(sink), "clicks answered 202 are missing from the sink");
            assertEquals(0, sink.duplicates(), "clicks stored twice");
        }
    }

    private static void signal(String signal, List<Long> pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        Process kill = new ProcessBuilder(command).inheritIO().start();
        assertEquals(0, kill.waitFor(), String.join(" ", command) + " failed");
    }
}
