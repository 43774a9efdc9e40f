package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.HttpExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One client floods the web producer while four others send real clicks; each client may hold only its share of
 * connections and clicks in flight, so the flood gets 429 and the others get 202, fast. Three times:
 *
 * <ol>
 *   <li>directly: 127.0.0.2 opens 5,000 connections and posts batches of 100 clicks on every one it gets, as fast
 *       as the answers come; the clients are 127.0.0.3 to 127.0.0.6;</li>
 *   <li>through a trusted proxy (127.0.0.9, in WEB_TRUSTED_PROXIES): the flood's X-Forwarded-For names
 *       203.0.113.66, the others' 203.0.113.10 to 203.0.113.13, all on the proxy's connections;</li>
 *   <li>from 127.0.0.7, which is no proxy, with an X-Forwarded-For of a new address on every request: the header is
 *       ignored, and 127.0.0.7 is one client.</li>
 * </ol>
 * Each time the real clicks must all get 202 (no 503: the flood cannot take what the server has for everyone) with
 * p99 at most 1 s, and the flood must get 429s. First, the management port: /metrics and the readiness detail are
 * there, and not on the public port, even for a caller on this machine.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true",
        disabledReason = "a fault test takes minutes: run the fault tests with -Dfault=true")
class ClientSharesFaultIT {

    private static final String PROXY = "127.0.0.9";
    private static final int FLOOD_CONNECTIONS = 5_000;
    private static final int PROXY_FLOOD_CONNECTIONS = 1_000;
    private static final Duration PROBING = Duration.ofSeconds(15);
    /**
     * The flood runs this long before the real clicks are measured: what is measured is the server under a flood,
     * not its first seconds, when the JIT compiles the paths that refuse (the warm-up sent only good traffic).
     */
    private static final Duration SETTLE = Duration.ofSeconds(8);
    private static final double MAX_P99_MILLIS = 1_000;

    @TempDir
    Path dir;

    @Test
    void one_client_flooding_gets_429_and_the_others_keep_getting_202() throws Exception {
        List<String> report = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            AttackedWebProducer.startWatchedWeb(pipeline, dir, FLOOD_CONNECTIONS, Map.of("WEB_TRUSTED_PROXIES", PROXY));
            operationsAreOffThePublicPort(pipeline);
            AtomicLong sequence = new AtomicLong(7_000_000_000L);

            phase(pipeline, "directly: 127.0.0.2 floods from " + FLOOD_CONNECTIONS + " connections",
                    ClickProbes.address("127.0.0.2"), FLOOD_CONNECTIONS, n -> batch(sequence, ""),
                    List.of(ClickProbes.Client.at("127.0.0.3"), ClickProbes.Client.at("127.0.0.4"),
                            ClickProbes.Client.at("127.0.0.5"), ClickProbes.Client.at("127.0.0.6")),
                    true, report, failures);
            phase(pipeline, "through the trusted proxy " + PROXY + ": 203.0.113.66 floods from "
                            + PROXY_FLOOD_CONNECTIONS + " of its connections",
                    ClickProbes.address(PROXY), PROXY_FLOOD_CONNECTIONS,
                    n -> batch(sequence, "X-Forwarded-For: 198.51.100.1, 203.0.113.66\r\n"),
                    List.of(ClickProbes.Client.through(PROXY, "203.0.113.10"),
                            ClickProbes.Client.through(PROXY, "203.0.113.11"),
                            ClickProbes.Client.through(PROXY, "203.0.113.12"),
                            ClickProbes.Client.through(PROXY, "203.0.113.13")),
                    false, report, failures);
            phase(pipeline, "from 127.0.0.7, no proxy, with a forged X-Forwarded-For on every request",
                    ClickProbes.address("127.0.0.7"), FLOOD_CONNECTIONS,
                    n -> batch(sequence, "X-Forwarded-For: 203.0.113." + ThreadLocalRandom.current().nextInt(1, 255)
                            + "\r\n"),
                    List.of(ClickProbes.Client.at("127.0.0.3"), ClickProbes.Client.at("127.0.0.4"),
                            ClickProbes.Client.at("127.0.0.5"), ClickProbes.Client.at("127.0.0.6")),
                    true, report, failures);

            System.out.println("ClientSharesFaultIT:\n  " + String.join("\n  ", report));
            AttackedWebProducer.assertSurvived(pipeline, failures);
        }
    }

    /** A batch of 100 clicks with the flood's header lines. */
    private static byte[] batch(AtomicLong sequence, String headerLines) {
        return Flood.post(BenchClicks.batch(sequence.getAndAdd(100), 100), headerLines);
    }

    /**
     * @param refusedConnections whether the flood's own connections past its share must be refused (429 at once):
     *                           not through a proxy, whose connections carry many clients
     */
    private static void phase(FaultPipeline pipeline, String name, InetAddress flooder, int connections,
                              IntFunction<byte[]> requests, List<ClickProbes.Client> clients,
                              boolean refusedConnections, List<String> report, List<String> failures)
            throws Exception {
        ClickProbes.Result probes;
        long refused;
        long accepted;
        String flood;
        double connectionRefusals = metric(pipeline, "web_requests_rejected_total{reason=\"client_connections\"}");
        double inFlightRefusals = metric(pipeline, "web_requests_rejected_total{reason=\"client_clicks_in_flight\"}");
        try (Flood flooding = new Flood(pipeline.base(), flooder, connections, requests)) {
            FaultPipeline.sleep(SETTLE.toMillis());
            probes = ClickProbes.run(pipeline.base(), clients, AttackPhase.PROBES_PER_SECOND, PROBING);
            refused = flooding.answered(429);
            accepted = flooding.answered(202);
            flood = flooding.describe();
        }
        connectionRefusals = metric(pipeline, "web_requests_rejected_total{reason=\"client_connections\"}")
                - connectionRefusals;
        inFlightRefusals = metric(pipeline, "web_requests_rejected_total{reason=\"client_clicks_in_flight\"}")
                - inFlightRefusals;
        report.add(String.format("%s: real clicks: %s; the flood: %s (429s: %.0f for connections past its share,"
                + " %.0f for clicks in flight past its share)", name, probes.describe(), flood, connectionRefusals,
                inFlightRefusals));
        if (probes.accepted() != probes.sent()) {
            failures.add(name + ": " + (probes.sent() - probes.accepted()) + " real clicks did not get 202 (first: "
                    + probes.firstOther() + ")");
        }
        if (probes.p99Millis() > MAX_P99_MILLIS) {
            failures.add(name + ": real clicks' p99 " + probes.p99Millis() + " ms, more than " + MAX_P99_MILLIS);
        }
        if (refused == 0 || accepted == 0) {
            failures.add(name + ": the flood got " + refused + " 429s and " + accepted + " 202s: it should get both,"
                    + " its share and no more");
        }
        if (inFlightRefusals == 0) {
            failures.add(name + ": no 429 for clicks in flight past the flood's share");
        }
        if (refusedConnections && connectionRefusals == 0) {
            failures.add(name + ": no 429 for connections past the flood's share");
        }
    }

    private static void operationsAreOffThePublicPort(FaultPipeline pipeline) throws Exception {
        try (HttpExchange publicPort = new HttpExchange(pipeline.base(), 5_000);
             HttpExchange management = new HttpExchange(pipeline.managementBase(), 5_000)) {
            assertEquals(404, publicPort.get("/metrics").status(), "/metrics on the public port");
            String ready = publicPort.get("/readyz").bodyText();
            assertEquals("{\"status\":\"READY\"}", ready, "/readyz on the public port, from this machine, says no"
                    + " more than that");
            HttpExchange.Response metrics = management.get("/metrics");
            assertEquals(200, metrics.status());
            assertTrue(metrics.bodyText().contains("web_clicks_accepted_total"), "the management port's /metrics");
            String detail = management.get("/readyz").bodyText();
            assertTrue(detail.contains("\"detail\":\"bootstrap "), "the readiness detail, on the management port: "
                    + detail);
            System.out.printf("ClientSharesFaultIT: public port: /metrics 404, /readyz %s; management port: /metrics"
                    + " 200 (%d bytes), /readyz %s%n", ready, metrics.body().length, detail);
        }
    }

    private static double metric(FaultPipeline pipeline, String sample) throws Exception {
        try (HttpExchange management = new HttpExchange(pipeline.managementBase(), 5_000)) {
            return management.get("/metrics").bodyText().lines().filter(line -> line.startsWith(sample + " "))
                    .findFirst().map(line -> Double.parseDouble(line.substring(sample.length() + 1).trim()))
                    .orElse(0.0);
        }
    }
}
