package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.SinkContents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker dies (SIGKILL, no controlled shutdown) during steady load and comes back on the same data.
 * While it is gone, requests must get 503 quickly, never hang and never 202; afterwards every click that got a
 * 202 must be in the sink exactly once.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true")
class BrokerSigkillFaultIT {

    /** Clicks per second, one per request: steady, well below capacity, so the outage is the only stress. */
    private static final int RATE = 200;
    private static final Duration LOAD = Duration.ofSeconds(30);
    private static final Duration KILL_AT = Duration.ofSeconds(6);
    private static final Duration DOWN_FOR = Duration.ofSeconds(8);
    /** The web producer's promise: 503 within about the delivery timeout (5 s); anything near 10 s is a hang. */
    private static final double MAX_ANSWER_MILLIS = 8_000;

    @TempDir
    Path dir;

    @Test
    void acknowledged_clicks_survive_a_broker_sigkill_and_requests_in_the_outage_get_503_fast() throws Exception {
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startWeb();
            pipeline.startConsumer();
            AckLedger ledger = new AckLedger();
            ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", 64, BenchClicks::single, ledger,
                    ClickLoad.Client.SOCKET, 30_000);
            long start = System.nanoTime();
            CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(
                    () -> load.fixedRate(RATE, RATE * LOAD.toSeconds()));

            FaultPipeline.sleep(KILL_AT.toMillis());
            long killed = System.nanoTime();
            int acknowledgedBeforeKill = ledger.acknowledged().size();
            pipeline.broker.kill();
            System.out.printf("BrokerSigkillFaultIT: broker SIGKILLed at %.1f s, %d clicks acknowledged so far%n",
                    (killed - start) / 1e9, acknowledgedBeforeKill);
            FaultPipeline.sleep(DOWN_FOR.toMillis());
            int status503DuringOutage = ledger.status(503);
            pipeline.broker.restart();
            long restarted = System.nanoTime();
            System.out.printf("BrokerSigkillFaultIT: broker back at %.1f s (restart took %d ms); 503s so far: %d%n",
                    (restarted - start) / 1e9, pipeline.broker.lastStartDuration().toMillis(), status503DuringOutage);

            running.get(LOAD.toSeconds() + 120, java.util.concurrent.TimeUnit.SECONDS);
            SinkContents sink = pipeline.awaitInSink(ledger.acknowledged(), Duration.ofSeconds(60));
            long acknowledgedAfterRestart = ledger.acknowledged().size() - ledger.acknowledgedBefore(restarted).size();

            System.out.println("BrokerSigkillFaultIT: " + ledger.countsAgainst(sink) + String.format(
                    "; max 503 answer %.0f ms; acknowledged after the restart %d; broken sink lines %d",
                    ledger.max503ServiceMillis(), acknowledgedAfterRestart, sink.brokenLines().size()));

            assertTrue(ledger.protocolFailures().isEmpty(), "answers that break the API: " + ledger.protocolFailures());
            assertEquals(0, ledger.ioFailures(), "requests without an answer (the web producer must answer 503"
                    + " while the broker is down, not drop connections); first: " + ledger.firstIoFailure());
            assertTrue(status503DuringOutage > 0, "no request got 503 while the broker was down: the outage was not"
                    + " observed, so the test proved nothing (statuses " + ledger.statuses() + ")");
            assertTrue(ledger.max503ServiceMillis() <= MAX_ANSWER_MILLIS, "a 503 took "
                    + ledger.max503ServiceMillis() + " ms: requests during an outage must be answered quickly");
            assertTrue(ledger.maxServiceMillis() <= MAX_ANSWER_MILLIS, "an answer took " + ledger.maxServiceMillis()
                    + " ms: something hung");
            assertTrue(acknowledgedAfterRestart > 0, "no click was acknowledged after the broker came back");
            assertEquals(0, ledger.lostFrom(sink), "clicks answered 202 are missing from the sink");
            assertEquals(0, sink.duplicates(), "clicks stored twice");
            assertTrue(sink.brokenLines().isEmpty(), "broken sink lines: " + sink.brokenLines());
        }
    }
}
