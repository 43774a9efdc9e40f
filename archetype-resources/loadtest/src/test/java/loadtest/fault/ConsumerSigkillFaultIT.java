package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.SinkContents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consumer dies (SIGKILL: no commit, no close, possibly half a line written) mid-stream, three times, and is
 * started again each time on the same data directory. The sink must end with every acknowledged click exactly
 * once, and no broken line.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true")
class ConsumerSigkillFaultIT {

    private static final int RATE = 500;
    /** Long enough for three kills and restarts (a restart takes a few seconds: JVM start, group join). */
    private static final Duration LOAD = Duration.ofSeconds(40);
    private static final int KILLS = 3;

    @TempDir
    Path dir;

    @Test
    void a_consumer_killed_mid_stream_and_restarted_loses_nothing_and_stores_nothing_twice() throws Exception {
        long seed = Long.getLong("fault.seed", System.nanoTime());
        Random random = new Random(seed);
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startWeb();
            pipeline.startConsumer();
            AckLedger ledger = new AckLedger();
            ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", 64, BenchClicks::single, ledger,
                    ClickLoad.Client.SOCKET, 30_000);
            CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(
                    () -> load.fixedRate(RATE, RATE * LOAD.toSeconds()));

            long linesAtLastKill = 0;
            for (int kill = 1; kill <= KILLS; kill++) {
                // kill while it is writing: once it has stored more since its (re)start, at a random moment
                awaitMoreLines(pipeline, linesAtLastKill);
                FaultPipeline.sleep(random.nextInt(1_500));
                long lines = pipeline.sink().lines();
                linesAtLastKill = lines;
                assertTrue(!running.isDone(), "the load ended before kill " + kill + ": it would not be mid-stream");
                pipeline.consumer.sigkill();
                System.out.printf("ConsumerSigkillFaultIT: consumer SIGKILLed (kill %d of %d) with %d lines stored%n",
                        kill, KILLS, lines);
                FaultPipeline.sleep(random.nextInt(1_500));
                pipeline.startConsumer();
            }

            running.get(LOAD.toSeconds() + 60, TimeUnit.SECONDS);
            SinkContents sink = pipeline.awaitInSink(ledger.acknowledged(), Duration.ofSeconds(90));
            System.out.println("ConsumerSigkillFaultIT: seed " + seed + "; " + ledger.countsAgainst(sink)
                    + "; broken sink lines " + sink.brokenLines().size() + ", offsets out of order "
                    + sink.outOfOrderOffsets());

            assertTrue(ledger.protocolFailures().isEmpty(), "answers that break the API: " + ledger.protocolFailures());
            assertEquals(ledger.requests(), ledger.status(202), "with the broker up every request should get 202: "
                    + ledger.statuses());
            assertEquals(0, ledger.lostFrom(sink), "acknowledged clicks missing from the sink (replay: -Dfault.seed="
                    + seed + ")");
            assertEquals(0, sink.duplicates(), "clicks stored twice (replay: -Dfault.seed=" + seed + ")");
            assertTrue(sink.brokenLines().isEmpty(), "broken sink lines: " + sink.brokenLines());
            assertEquals(0, sink.outOfOrderOffsets(), "offsets out of order within a partition file");
        }
    }

    /** Waits (at most a minute: JVM start, group join) until the sink has more than {@code lines} lines. */
    private static void awaitMoreLines(FaultPipeline pipeline, long lines) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (pipeline.sink().lines() <= lines) {
            assertTrue(System.nanoTime() < deadline && pipeline.consumer.isAlive(), "the consumer stored nothing"
                    + " within a minute of its start; its log ends with:\n" + pipeline.consumer.logTail(30));
            FaultPipeline.sleep(100);
        }
    }
}
