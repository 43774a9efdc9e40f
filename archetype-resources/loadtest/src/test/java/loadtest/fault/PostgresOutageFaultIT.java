package ${package}.loadtest.fault;

import ${package}.dev.LocalKafkaBroker;
import ${package}.dev.process.ChildJvm;
import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.postgres.TableContents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PostgreSQL stops for 10 s while clicks flow. The consumer must not crash or commit what it has not stored: it says
 * why on /readyz (503), logs the problem once rather than once per try, waits, and goes on by itself when the
 * database is back. The table ends with every acknowledged click exactly once.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true|postgres",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true (or -Dfault=postgres)")
class PostgresOutageFaultIT {

    private static final int RATE = 500;
    private static final int CLICKS = 15_000;
    /** The outage starts once this much of the load is stored. */
    private static final Duration DOWN_AT = Duration.ofSeconds(5);
    private static final Duration DOWN_FOR = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void postgres_stopped_for_10_s_mid_stream_loses_nothing_and_stores_nothing_twice() throws Exception {
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startPostgres();
            pipeline.startWeb();
            int statusPort = LocalKafkaBroker.freePort();
            ChildJvm consumer = pipeline.startConsumer("fault-consumer-1",
                    Map.of("CONSUMER_PORT", Integer.toString(statusPort)));
            pipeline.consumer = consumer;
            AckLedger ledger = new AckLedger();
            ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", 64, BenchClicks::single, ledger,
                    ClickLoad.Client.SOCKET, 30_000);
            CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(
                    () -> load.fixedRate(RATE, CLICKS));

            // mid-stream: once the consumer (JVM start, group join, schema) has stored for a while
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (pipeline.table().sink().lines() < RATE * DOWN_AT.toSeconds()) {
                assertTrue(System.nanoTime() < deadline && consumer.isAlive(), "the consumer stored too little within"
                        + " a minute; its log ends with:\n" + consumer.logTail(30));
                FaultPipeline.sleep(100);
            }
            long rowsBefore = pipeline.table().sink().lines();
            pipeline.postgres.stop();
            long stoppedAt = System.nanoTime();
            String readyDuringOutage = "";
            while (System.nanoTime() - stoppedAt < DOWN_FOR.toNanos()) {
                String ready = readyz(statusPort);
                if (ready.startsWith("503")) {
                    readyDuringOutage = ready;
                }
                assertTrue(consumer.isAlive(), "the consumer died during the outage; its log ends with:\n"
                        + consumer.logTail(30));
                FaultPipeline.sleep(250);
            }
            pipeline.postgres.restart();
            System.out.printf("PostgresOutageFaultIT: PostgreSQL stopped for %d ms with %d rows stored; /readyz"
                    + " meanwhile: %s%n", (System.nanoTime() - stoppedAt) / 1_000_000, rowsBefore, readyDuringOutage);

            running.get(CLICKS / RATE + 60, TimeUnit.SECONDS);
            TableContents table = pipeline.awaitInTable(ledger.acknowledged(), Duration.ofSeconds(90), consumer);
            String readyAfter = readyz(statusPort);
            List<String> problemLines = Files.readAllLines(consumer.log()).stream()
                    .filter(line -> line.contains("The sink cannot store clicks")).toList();
            System.out.println("PostgresOutageFaultIT: " + ledger.countsAgainst(table.sink()) + "; rows "
                    + table.sink().lines() + ", offset gaps " + table.gaps() + "; the problem logged "
                    + problemLines.size() + " time(s): " + problemLines + "; /readyz after: " + readyAfter);

            assertTrue(readyDuringOutage.contains("cannot store"), "/readyz said 503 with the reason during the"
                    + " outage, got: '" + readyDuringOutage + "'");
            assertTrue(readyAfter.startsWith("200"), "/readyz is 200 again: " + readyAfter);
            // SinkOutageLog: the outage's start, then a changed reason at most every 30 s; a 10 s outage is one
            // line, or two when a connection from before the restart fails once more after a first stored batch
            assertTrue(!problemLines.isEmpty() && problemLines.size() <= 2, "the outage is logged when it starts,"
                    + " not once per try or per passing reason: " + problemLines);
            assertEquals(CLICKS, ledger.status(202), "every request got 202: " + ledger.statuses());
            assertEquals(0, ledger.lostFrom(table.sink()), "acknowledged clicks missing from the table");
            assertEquals(0, table.sink().duplicates(), "clicks stored twice");
            // and the web producer's readiness click (FaultPipeline.startWeb), which no ledger counts
            assertEquals(CLICKS + 1, table.sink().lines(), "rows in the table");
            assertEquals(List.of(), table.gaps(), "offsets without a row");
        }
    }

    /** "status body", or "down: why" when the status server does not answer. */
    private static String readyz(int port) throws InterruptedException {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/readyz")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() + " " + response.body().strip();
        } catch (IOException e) {
            return "down: " + e;
        }
    }
}
