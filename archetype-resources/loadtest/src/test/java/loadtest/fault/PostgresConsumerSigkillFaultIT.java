package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.postgres.TableContents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 20,000 clicks into the PostgreSQL sink while the consumer is SIGKILLed three times (no commit to Kafka, no close,
 * a transaction cut off anywhere) and started again: the table ends with every acknowledged click exactly once, and
 * each partition's offsets run without a gap up to its stored position.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true|postgres",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true (or -Dfault=postgres)")
class PostgresConsumerSigkillFaultIT {

    private static final int RATE = 400;
    private static final int CLICKS = 20_000;
    private static final int KILLS = 3;

    @TempDir
    Path dir;

    @Test
    void a_consumer_killed_three_times_during_20000_clicks_stores_each_exactly_once() throws Exception {
        long seed = Long.getLong("fault.seed", System.nanoTime());
        Random random = new Random(seed);
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startPostgres();
            pipeline.startWeb();
            pipeline.startConsumer();
            AckLedger ledger = new AckLedger();
            ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", 64, BenchClicks::single, ledger,
                    ClickLoad.Client.SOCKET, 30_000);
            CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(
                    () -> load.fixedRate(RATE, CLICKS));

            long rowsAtLastKill = 0;
            for (int kill = 1; kill <= KILLS; kill++) {
                awaitMoreRows(pipeline, rowsAtLastKill);
                FaultPipeline.sleep(random.nextInt(1_500));
                long rows = pipeline.table().sink().lines();
                rowsAtLastKill = rows;
                // Mid-stream: clicks still to store, whether still being sent or in the backlog (on a loaded machine
                // a restart can outlast the load; the consumer is then killed while catching up).
                assertTrue(rows < CLICKS, "the consumer had stored everything before kill " + kill
                        + ": it would not be mid-stream");
                pipeline.consumer.sigkill();
                System.out.printf("PostgresConsumerSigkillFaultIT: consumer SIGKILLed (kill %d of %d) with %d rows"
                        + " stored, %s%n", kill, KILLS, rows, running.isDone() ? "catching up after the load"
                        : "during the load");
                FaultPipeline.sleep(random.nextInt(1_500));
                pipeline.startConsumer();
            }

            running.get(CLICKS / RATE + 60, TimeUnit.SECONDS);
            TableContents table = pipeline.awaitInTable(ledger.acknowledged(), Duration.ofSeconds(90),
                    pipeline.consumer);
            System.out.println("PostgresConsumerSigkillFaultIT: seed " + seed + "; " + ledger.countsAgainst(
                    table.sink()) + "; rows " + table.sink().lines() + ", offset gaps " + table.gaps());

            assertTrue(ledger.protocolFailures().isEmpty(), "answers that break the API: " + ledger.protocolFailures());
            assertEquals(CLICKS, ledger.status(202), "with the broker up every request should get 202: "
                    + ledger.statuses());
            assertEquals(0, ledger.lostFrom(table.sink()), "acknowledged clicks missing from the table (replay:"
                    + " -Dfault.seed=" + seed + ")");
            assertEquals(0, table.sink().duplicates(), "clicks stored twice (replay: -Dfault.seed=" + seed + ")");
            // and the web producer's readiness click (FaultPipeline.startWeb), which no ledger counts
            assertEquals(CLICKS + 1, table.sink().lines(), "rows in the table");
            assertEquals(List.of(), table.gaps(), "offsets without a row");
        }
    }

    /** Waits (at most a minute: JVM start, group join, the schema) until the table has more than {@code rows}. */
    private static void awaitMoreRows(FaultPipeline pipeline, long rows) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (pipeline.table().sink().lines() <= rows) {
            assertTrue(System.nanoTime() < deadline && pipeline.consumer.isAlive(), "the consumer stored nothing"
                    + " within a minute of its start; its log ends with:\n" + pipeline.consumer.logTail(30));
            FaultPipeline.sleep(100);
        }
    }
}
