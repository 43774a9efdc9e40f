package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web producer gets SIGTERM (what {@code docker stop} and Ctrl-C send) under load. Its shutdown must flush
 * the producer: every click it answered 202 is on the topic, exactly once; requests it can no longer take get
 * 503 or a refused connection, never a 202 for a click that is not written; and it exits within its bound.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true")
class WebProducerSigtermFaultIT {

    private static final int RATE = 2_000;
    private static final Duration LOAD = Duration.ofSeconds(10);
    private static final Duration SIGTERM_AT = Duration.ofSeconds(4);
    /** Delivery timeout (5 s) plus the server's own grace: a clean stop takes less. */
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void every_202_given_before_sigterm_is_on_the_topic_exactly_once() throws Exception {
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startWeb();
            AckLedger ledger = new AckLedger();
            // Short timeouts: after the stop, connections are refused and the generator moves on quickly.
            ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", 64, BenchClicks::single, ledger,
                    ClickLoad.Client.SOCKET, 10_000);
            CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(
                    () -> load.fixedRate(RATE, RATE * LOAD.toSeconds()));

            FaultPipeline.sleep(SIGTERM_AT.toMillis());
            int acknowledgedAtSigterm = ledger.acknowledged().size();
            long sigterm = System.nanoTime();
            pipeline.web.sigterm();
            boolean exited = pipeline.web.waitFor(EXIT_WITHIN.plusSeconds(20));
            double exitSeconds = (System.nanoTime() - sigterm) / 1e9;
            running.get(LOAD.toSeconds() + 60, TimeUnit.SECONDS);

            Map<String, Integer> topic = pipeline.eventIdsOnTopic();
            long duplicates = topic.values().stream().mapToLong(n -> n - 1L).sum();
            long lost = ledger.lostFrom(topic);
            long unconfirmedOnTopic = topic.keySet().stream().filter(id -> !ledger.acknowledged().contains(id)).count();
            System.out.printf("WebProducerSigtermFaultIT: sent %d, acknowledged %d (%d before SIGTERM), on topic %d,"
                            + " duplicates %d, lost %d; statuses %s, refused or cut connections %d, on the topic"
                            + " without a 202 %d; %s %.1f s after SIGTERM (exit code %s)%n",
                    ledger.requests(), ledger.acknowledged().size(), acknowledgedAtSigterm, topic.size(), duplicates,
                    lost, ledger.statuses(), ledger.ioFailures(), unconfirmedOnTopic, exited ? "exited" : "still running",
                    exitSeconds,
                    exited ? pipeline.web.exitCode() : "-");

            assertTrue(exited, "the web producer did not exit within " + EXIT_WITHIN.plusSeconds(20).toSeconds()
                    + " s of SIGTERM; its log ends with:\n" + pipeline.web.logTail(30));
            assertTrue(exitSeconds <= EXIT_WITHIN.toSeconds(), "the web producer took " + exitSeconds
                    + " s to stop after SIGTERM (bound: " + EXIT_WITHIN.toSeconds() + " s)");
            assertTrue(acknowledgedAtSigterm > 0, "no click was acknowledged before SIGTERM: nothing was tested");
            assertTrue(ledger.protocolFailures().isEmpty(), "answers that break the API: " + ledger.protocolFailures());
            assertEquals(0, lost, "clicks answered 202 are not on the topic");
            assertEquals(0, duplicates, "clicks on the topic twice");
            assertTrue(topic.keySet().stream().noneMatch(id -> id.startsWith("undecodable")),
                    "undecodable records on the topic");
        }
    }
}
