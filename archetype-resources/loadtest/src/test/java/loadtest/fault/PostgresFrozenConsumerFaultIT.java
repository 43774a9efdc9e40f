package ${package}.loadtest.fault;

import ${package}.consumer.postgres.PostgresClickSink;
import ${package}.dev.process.ChildJvm;
import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.postgres.TableContents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A consumer frozen (SIGSTOP, as a long GC pause or a frozen VM) in the middle of storing a batch, past its session
 * timeout, while another consumer takes its partitions and stores them; then thawed. Its batch must be refused,
 * since the partitions' positions moved on, and the table end with every click exactly once.
 *
 * <p>To freeze it mid-batch for sure, the test holds a SHARE lock on the clicks table until the consumer's COPY
 * waits for it, then stops the process: the server then waits for the COPY's rows from a client that cannot send
 * them, and the batch's transaction stays open across the takeover.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true|postgres",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true (or -Dfault=postgres)")
class PostgresFrozenConsumerFaultIT {

    private static final int RATE = 300;
    private static final int CLICKS = 12_000;
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

    @TempDir
    Path dir;

    @Test
    void a_consumer_frozen_mid_batch_past_its_session_timeout_stores_nothing_of_it_when_thawed() throws Exception {
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startPostgres();
            pipeline.startWeb();
            Path clientProperties = dir.resolve("consumer-client.properties");
            Files.writeString(clientProperties, "session.timeout.ms=" + SESSION_TIMEOUT.toMillis()
                    + "\nheartbeat.interval.ms=1000\n");
            Map<String, String> shortSession = Map.of("KAFKA_CLIENT_PROPERTIES", clientProperties.toString());
            ChildJvm frozen = pipeline.startConsumer("consumer-a", shortSession);
            ChildJvm other = null;
            AckLedger ledger = new AckLedger();
            ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", 64, BenchClicks::single, ledger,
                    ClickLoad.Client.SOCKET, 30_000);
            CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(
                    () -> load.fixedRate(RATE, CLICKS));
            try (Connection db = DriverManager.getConnection(pipeline.postgres.jdbcUrl(), pipeline.postgres.user(),
                    pipeline.postgres.password())) {
                awaitRows(pipeline, 1_000, frozen);
                db.setAutoCommit(false);
                try (Statement lock = db.createStatement()) {
                    lock.execute("LOCK TABLE clicks IN SHARE MODE");
                }
                awaitCopyWaitingForLock(db);
                signal(frozen, "STOP");
                long rowsAtFreeze = pipeline.table().sink().lines();
                System.out.printf("PostgresFrozenConsumerFaultIT: consumer a frozen in its COPY with %d rows stored%n",
                        rowsAtFreeze);
                other = pipeline.startConsumer("consumer-b", shortSession);
                db.commit(); // the lock goes; consumer a's COPY now waits for rows a frozen process cannot send
                // consumer b gets every partition once a's session times out, and stores
                awaitRows(pipeline, rowsAtFreeze + 1_500, other);
                System.out.printf("PostgresFrozenConsumerFaultIT: consumer b took over: %d rows; thawing a%n",
                        pipeline.table().sink().lines());
                signal(frozen, "CONT");
            }

            running.get(CLICKS / RATE + 60, TimeUnit.SECONDS);
            TableContents table = pipeline.awaitInTable(ledger.acknowledged(), Duration.ofSeconds(90), frozen, other);
            List<String> refused = Files.readAllLines(frozen.log()).stream()
                    .filter(line -> line.contains("Batch not stored")).toList();
            System.out.println("PostgresFrozenConsumerFaultIT: " + ledger.countsAgainst(table.sink()) + "; rows "
                    + table.sink().lines() + ", offset gaps " + table.gaps() + "; consumer a's refused batches: "
                    + refused);

            assertTrue(!refused.isEmpty(), "the thawed consumer's batch was refused (fenced); its log ends with:\n"
                    + frozen.logTail(40));
            assertEquals(CLICKS, ledger.status(202), "every request got 202: " + ledger.statuses());
            assertEquals(0, ledger.lostFrom(table.sink()), "acknowledged clicks missing from the table");
            assertEquals(0, table.sink().duplicates(), "clicks stored twice");
            // and the web producer's readiness click (FaultPipeline.startWeb), which no ledger counts
            assertEquals(CLICKS + 1, table.sink().lines(), "rows in the table");
            assertEquals(List.of(), table.gaps(), "offsets without a row");
            ChildJvm.closeAll(other);
        }
    }

    /** Until a consumer's COPY waits for the test's lock: then it is in the middle of a batch. */
    private static void awaitCopyWaitingForLock(Connection db) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            // pg_stat_activity is read once per transaction unless told to read it again: the lock's is still open
            try (Statement query = db.createStatement();
                 ResultSet row = query.executeQuery("SELECT pg_stat_clear_snapshot(), count(*) FROM pg_stat_activity"
                         + " WHERE application_name = '" + PostgresClickSink.APPLICATION_NAME + "' AND wait_event_type = 'Lock'"
                         + " AND query LIKE 'COPY clicks%'")) {
                if (row.next() && row.getInt(2) > 0) {
                    return;
                }
            }
            FaultPipeline.sleep(50);
        }
        throw new AssertionError("no consumer COPY waited for the test's lock within 30 s");
    }

    private static void awaitRows(FaultPipeline pipeline, long rows, ChildJvm consumer) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (pipeline.table().sink().lines() < rows) {
            assertTrue(System.nanoTime() < deadline && consumer.isAlive(), "fewer than " + rows + " rows within a"
                    + " minute; the consumer's log ends with:\n" + consumer.logTail(30));
            FaultPipeline.sleep(100);
        }
    }

    private static void signal(ChildJvm jvm, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(jvm.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + jvm.pid());
    }
}
