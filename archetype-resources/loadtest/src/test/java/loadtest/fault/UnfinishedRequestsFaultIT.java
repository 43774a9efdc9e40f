package ${package}.loadtest.fault;

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
 * Requests that hold the web producer's memory without ever being worth it, from many clients at once (a botnet:
 * 60 addresses, each within its share, so that only the bound on the sum stands between them and the heap):
 *
 * <ol>
 *   <li>3,000 connections that declare a 64 KiB body and send one byte of it, then wait (the web producer once
 *       allocated the declared 64 KiB at once and died of it, at 1,382 such connections);</li>
 *   <li>3,000 connections that send chunked 64 KiB bodies in 4.5 s each, and begin another when one ends (bodies
 *       that really arrive, 42 MB a second, each holding its bytes while it trickles in).</li>
 * </ol>
 * Meanwhile another client sends 50 real clicks a second, each on a fresh connection. The web producer runs with
 * its real web/jvm.options: it must stay up, at least 99% of the real clicks get 202 with p99 at most 1 s, and its
 * memory stays within what the README states: resident at most 256 MB, the heap live after a full collection at
 * most the worst-case sum (64 MiB), unfinished requests within WEB_REQUEST_MEMORY between reads (a read of at most
 * 64 KiB per event loop over it at an instant), Netty's direct memory at most 13 MiB. Each phase prints the peaks.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true",
        disabledReason = "a fault test takes minutes: run the fault tests with -Dfault=true")
class UnfinishedRequestsFaultIT {

    private static final int CONNECTIONS = 3_000;
    private static final List<InetAddress> ATTACKERS = LoopbackClients.range(1, 2, 60);
    private static final List<ClickProbes.Client> PROBE = List.of(ClickProbes.Client.at("127.0.0.2"));
    private static final Duration SETTLE = Duration.ofSeconds(5);
    private static final double MIN_ACCEPTED = 0.99;
    private static final double MAX_P99_MILLIS = 1_000;
    /** The README's bounds: resident memory, the heap's worst-case sum, the request memory and Netty's. */
    private static final long MAX_RSS_MB = 256;
    private static final long MAX_LIVE_HEAP_MB = 64;
    private static final long REQUEST_MEMORY_BYTES = 12L << 20;
    private static final long MAX_OVER_BETWEEN_SAMPLES = 2 * 64 * 1024;
    private static final long MAX_DIRECT_BYTES = 13L << 20;

    @TempDir
    Path dir;

    @Test
    void requests_that_hold_memory_cannot_take_the_heap_and_real_clicks_still_pass() throws Exception {
        List<String> report = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            Path gcLog = AttackedWebProducer.startWatchedWeb(pipeline, dir, CONNECTIONS, Map.of());
            URI base = pipeline.base();
            byte[] declared = SlowClients.ascii("POST /api/clicks HTTP/1.1\r\nHost: clicks.test\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 65536\r\n\r\n{");

            for (AttackPhase phase : List.of(
                    AttackPhase.run(pipeline, gcLog, CONNECTIONS + " connections declaring a 64 KiB body, one byte sent",
                            SETTLE, PROBE, () -> SlowClients.trickling(base, CONNECTIONS, ATTACKERS, declared,
                                    new byte[0], Duration.ofSeconds(1))),
                    AttackPhase.run(pipeline, gcLog, CONNECTIONS + " connections sending chunked 64 KiB bodies in"
                            + " 4.5 s each", SETTLE, PROBE, () -> SlowClients.chunkedTrickle(base, CONNECTIONS,
                            ATTACKERS, 64 * 1024, 64 * 1024 / 45, Duration.ofMillis(100))))) {
                report.add(phase.describe());
                phase.check(MIN_ACCEPTED, MAX_P99_MILLIS, MAX_RSS_MB, failures);
                checkMemory(phase.name(), phase.peaks(), failures);
            }
            System.out.println("UnfinishedRequestsFaultIT:\n  " + String.join("\n  ", report));
            AttackedWebProducer.assertSurvived(pipeline, failures);
        }
    }

    private static void checkMemory(String name, WebProducerWatch.Peaks peaks, List<String> failures) {
        if (peaks.liveHeapMb() > MAX_LIVE_HEAP_MB) {
            failures.add(name + ": " + peaks.liveHeapMb() + " MiB of heap live after a full collection, over the"
                    + " stated worst case of " + MAX_LIVE_HEAP_MB);
        }
        if (peaks.requestMemoryBytes() > REQUEST_MEMORY_BYTES + MAX_OVER_BETWEEN_SAMPLES) {
            failures.add(name + ": unfinished requests held " + peaks.requestMemoryBytes() + " bytes, over "
                    + REQUEST_MEMORY_BYTES + " and a read per event loop");
        }
        if (peaks.directMemoryBytes() > MAX_DIRECT_BYTES) {
            failures.add(name + ": Netty held " + peaks.directMemoryBytes() + " bytes of direct memory, over "
                    + MAX_DIRECT_BYTES);
        }
    }
}
