package ${package}.loadtest.fault;

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
 * Two consumers of one group started at the same moment on an empty database: both migrate it (Flyway's lock lets
 * one do it), both make the day partitions, they divide the topic's partitions, and the table ends with every click
 * once.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true|postgres",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true (or -Dfault=postgres)")
class PostgresTwoConsumersFaultIT {

    private static final int RATE = 500;
    private static final int CLICKS = 5_000;

    @TempDir
    Path dir;

    @Test
    void two_consumers_starting_together_on_an_empty_database_store_each_click_once() throws Exception {
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startPostgres();
            pipeline.startWeb();
            Path clientProperties = dir.resolve("consumer-client.properties");
            Files.writeString(clientProperties, "session.timeout.ms=10000\nheartbeat.interval.ms=1000\n");
            Map<String, String> environment = Map.of("KAFKA_CLIENT_PROPERTIES", clientProperties.toString());
            ChildJvm first = pipeline.startConsumer("consumer-a", environment);
            ChildJvm second = pipeline.startConsumer("consumer-b", environment);
            AckLedger ledger = new AckLedger();
            ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", 64, BenchClicks::single, ledger,
                    ClickLoad.Client.SOCKET, 30_000);
            CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(
                    () -> load.fixedRate(RATE, CLICKS));
            running.get(CLICKS / RATE + 60, TimeUnit.SECONDS);
            TableContents table = pipeline.awaitInTable(ledger.acknowledged(), Duration.ofSeconds(90), first, second);
            String migrations;
            try (Connection db = DriverManager.getConnection(pipeline.postgres.jdbcUrl(), pipeline.postgres.user(),
                    pipeline.postgres.password());
                 Statement query = db.createStatement();
                 ResultSet row = query.executeQuery("SELECT count(*) || ' applied, ' || count(*) FILTER (WHERE NOT"
                         + " success) || ' failed' FROM flyway_schema_history")) {
                row.next();
                migrations = row.getString(1);
            }
            long writing = List.of(first, second).stream().filter(jvm -> logHas(jvm, "Partitions assigned")).count();
            System.out.println("PostgresTwoConsumersFaultIT: " + ledger.countsAgainst(table.sink()) + "; rows "
                    + table.sink().lines() + ", offset gaps " + table.gaps() + "; migrations " + migrations
                    + "; consumers given partitions: " + writing);

            assertEquals("1 applied, 0 failed", migrations, "the schema was created once");
            assertTrue(first.isAlive() && second.isAlive(), "both consumers run");
            assertEquals(2, writing, "both consumers were given partitions");
            assertEquals(CLICKS, ledger.status(202), "every request got 202: " + ledger.statuses());
            assertEquals(0, ledger.lostFrom(table.sink()), "acknowledged clicks missing from the table");
            assertEquals(0, table.sink().duplicates(), "clicks stored twice");
            // and the web producer's readiness click (FaultPipeline.startWeb), which no ledger counts
            assertEquals(CLICKS + 1, table.sink().lines(), "rows in the table");
            assertEquals(List.of(), table.gaps(), "offsets without a row");
            ChildJvm.closeAll(first, second);
        }
    }

    private static boolean logHas(ChildJvm jvm, String text) {
        try {
            return Files.readAllLines(jvm.log()).stream().anyMatch(line -> line.contains(text));
        } catch (IOException e) {
            return false;
        }
    }
}
