package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.LoopbackClients;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Clients that hold connections without finishing a request, one kind at a time, from 20 client addresses (each
 * within its share of connections), while a well-behaved client sends 50 clicks per second, each on a fresh
 * connection as a browser's first click does:
 *
 * <ol>
 *   <li>2,000 connections trickling request headers, one byte every 2 s;</li>
 *   <li>2,000 connections trickling a body of Content-Length 1,000, one byte every 2 s;</li>
 *   <li>200 connections posting batches of 100 clicks, pipelined, never reading an answer.</li>
 * </ol>
 * At least 99% of the well-behaved clicks must get 202, with p99 at most 1 s (at most 100 ms against the clients
 * that never read: they must cost everyone else next to nothing), and the web producer's resident memory must stay
 * under 256 MB, the bound the README states for it. Run with the JVM options it ships with.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true",
        disabledReason = "a fault test takes minutes: run the fault tests with -Dfault=true")
class SlowClientsFaultIT {

    private static final int TRICKLING = 2_000;
    private static final int NEVER_READING = 200;
    private static final Duration TRICKLE_INTERVAL = Duration.ofSeconds(2);
    private static final List<InetAddress> SLOW_CLIENTS = LoopbackClients.range(2, 2, 20);
    private static final List<ClickProbes.Client> PROBE = List.of(ClickProbes.Client.at("127.0.0.2"));
    /** Time for the slow clients to connect and settle before the probes start. */
    private static final Duration SETTLE = Duration.ofSeconds(5);
    private static final double MIN_ACCEPTED = 0.99;
    private static final double MAX_P99_MILLIS = 1_000;
    private static final double MAX_P99_MILLIS_NEVER_READING = 100;
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
        List<String> report = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            Path gcLog = AttackedWebProducer.startWatchedWeb(pipeline, dir, TRICKLING, Map.of());
            URI base = pipeline.base();
            byte[] head = SlowClients.ascii("POST /api/clicks HTTP/1.1\r\nHost: clicks.test\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
            byte[] batch = BenchClicks.batch(1_000_000, 100);
            byte[] batchRequest = SlowClients.concat(SlowClients.ascii("POST /api/clicks HTTP/1.1\r\n"
                    + "Host: clicks.test\r\nContent-Type: application/json\r\nContent-Length: " + batch.length
                    + "\r\n\r\n"), batch);
            List<AttackPhase> phases = new ArrayList<>();
            if (runs(1)) {
                AttackPhase phase = AttackPhase.run(pipeline, gcLog, TRICKLING + " connections trickling headers, 1 byte"
                        + " / 2 s", SETTLE, PROBE, () -> SlowClients.trickling(base, TRICKLING, SLOW_CLIENTS,
                        new byte[0], head, TRICKLE_INTERVAL));
                phase.check(MIN_ACCEPTED, MAX_P99_MILLIS, MAX_RSS_MB, failures);
                phases.add(phase);
            }
            if (runs(2)) {
                AttackPhase phase = AttackPhase.run(pipeline, gcLog, TRICKLING + " connections trickling a body"
                        + " (Content-Length 1000), 1 byte / 2 s", SETTLE, PROBE, () -> SlowClients.trickling(base,
                        TRICKLING, SLOW_CLIENTS, head, SlowClients.ascii("{"), TRICKLE_INTERVAL));
                phase.check(MIN_ACCEPTED, MAX_P99_MILLIS, MAX_RSS_MB, failures);
                phases.add(phase);
            }
            if (runs(3)) {
                AttackPhase phase = AttackPhase.run(pipeline, gcLog, NEVER_READING + " connections posting batches of"
                        + " 100 clicks, never reading", SETTLE, PROBE, () -> SlowClients.neverReading(base,
                        NEVER_READING, SLOW_CLIENTS, batchRequest));
                phase.check(MIN_ACCEPTED, MAX_P99_MILLIS_NEVER_READING, MAX_RSS_MB, failures);
                phases.add(phase);
            }
            phases.forEach(phase -> report.add(phase.describe()));
            System.out.println("SlowClientsFaultIT:\n  " + String.join("\n  ", report));
            AttackedWebProducer.assertSurvived(pipeline, failures);
        }
    }

    private static boolean runs(int phase) {
        return ONLY_PHASE == 0 || ONLY_PHASE == phase;
    }
}
