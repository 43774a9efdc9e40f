package ${package}.loadtest.bench;

import ${package}.dev.LocalKafkaBroker;
import ${package}.dev.process.ChildJvm;
import ${package}.loadtest.ClickApps;
import ${package}.loadtest.ClickLoad;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import static ${package}.loadtest.bench.BenchmarkReport.cpuPerThousand;
import static ${package}.loadtest.bench.BenchmarkReport.latency;
import static ${package}.loadtest.bench.BenchmarkReport.problems;

/**
 * Steps 2 and 3, HTTP ingest: one click per request (each connection count followed by its reference, Netty
 * alone), then batches. Closed loop at each connection count for the highest rate, then a fixed rate at half
 * the best one for honest latency figures.
 */
final class HttpIngestStep {

    private final BenchPipeline bench;
    private final BenchmarkOptions options;
    private final double raw;

    /** @param raw the raw producer's records/s of step 1, which every rate is compared to */
    HttpIngestStep(BenchPipeline bench, double raw) {
        this.bench = bench;
        this.options = bench.options;
        this.raw = raw;
    }

    /** Returns the best clicks/s answered 202. */
    double run(boolean batched) {
        URI base = bench.webBase();
        int clicksPerRequest = batched ? options.batchSize : 1;
        String step = batched ? "3 HTTP, " + clicksPerRequest + " clicks/request" : "2 HTTP, 1 click/request";
        LongAdder accepted = new LongAdder();
        ClickLoad.AnswerListener countAccepted = (seq, response, due, sent, done) -> {
            if (response.status() == 202) {
                accepted.add(batched ? ClickLoad.acceptedClicks(response.body()) : 1);
            }
        };
        double best = 0;
        int bestConnections = 0;
        for (int connections : batched ? options.batchConnections : options.singleConnections) {
            ClickLoad load = bench.load(base, connections, bench.clicks(clicksPerRequest), countAccepted);
            load.closedLoop(options.httpWarmup);
            accepted.reset();
            CpuWindow cpu = bench.cpuWindow();
            ClickLoad.Result result = load.closedLoop(options.httpRun);
            double clicksPerSecond = accepted.sum() / result.seconds();
            Map<String, Double> cores = cpu.close();
            bench.report.add(new BenchmarkReport.Row(step + ", " + connections + " connections, closed loop",
                    String.format(Locale.ROOT, "%,.0f clicks/s (%.1f%% of raw)%s", clicksPerSecond,
                            100 * clicksPerSecond / raw, problems(result)),
                    latency(result.latency()), cores, cpuPerThousand(cores.get("web"), clicksPerSecond)));
            if (!batched) {
                singleClickTargets(connections, clicksPerSecond, result.latency().percentileMillis(99));
                bareServerReference(connections, clicksPerSecond);
            }
            if (clicksPerSecond > best) {
                best = clicksPerSecond;
                bestConnections = connections;
            }
        }
        double requestRate = best / 2 / clicksPerRequest;
        long requests = Math.max(100, (long) (requestRate * options.httpRun.toMillis() / 1000));
        ClickLoad load = bench.load(base, bestConnections, bench.clicks(clicksPerRequest), countAccepted);
        CpuWindow cpu = bench.cpuWindow();
        ClickLoad.Result result = load.fixedRate(requestRate, requests);
        bench.report.add(new BenchmarkReport.Row(step + ", " + bestConnections + " connections, fixed rate (half the best)",
                String.format(Locale.ROOT, "%,.0f clicks/s offered%s", requestRate * clicksPerRequest,
                        problems(result)),
                latency(result.latency()) + " from due time", cpu.close(), "-"));
        return best;
    }

    /** The targets for one click per request: a share of the raw producer, and a p99. */
    private void singleClickTargets(int connections, double clicksPerSecond, double p99Millis) {
        double share = connections >= 256 ? 0.15 : connections >= 32 ? 0.04 : 0;
        double p99Limit = connections >= 256 ? 100 : 15;
        if (share == 0) {
            return;
        }
        bench.report.add(BenchmarkReport.Target.atLeast(String.format(Locale.ROOT,
                "1 click/request at %d connections >= %.0f%% of raw", connections, 100 * share),
                clicksPerSecond, raw, share));
        bench.report.add(BenchmarkReport.Target.atMost(String.format(Locale.ROOT,
                "1 click/request at %d connections: p99 <= %.0f ms", connections, p99Limit), p99Millis, p99Limit, "ms"));
    }

    /**
     * Step 2's reference: Netty alone ({@link BareNettyServer}), with the same JVM options, load generator and
     * connection count as the web producer's row above it. It tells how much of the single-click figure is the
     * server itself and how much the web producer's own work (JSON, Kafka, limits, answers).
     */
    private void bareServerReference(int connections, double web) {
        int port = LocalKafkaBroker.freePort();
        try (ChildJvm bare = ChildJvm.of("bare Netty server", BareNettyServer.class.getName())
                .jvmOptions(options.webJvmOptions())
                .environment(Map.of("WEB_PORT", Integer.toString(port)))
                .log(bench.work.resolve("bare-netty-server.log"))
                .start()) {
            URI base = ClickApps.baseUri(port);
            ClickApps.awaitFirstAccepted(bare, base, Duration.ofSeconds(60));
            LongAdder answered = new LongAdder();
            ClickLoad load = bench.load(base, connections, bench.clicks(1), (seq, response, due, sent, done) -> {
                if (response.status() == 202) {
                    answered.increment();
                }
            });
            load.closedLoop(options.httpWarmup);
            answered.reset();
            CpuWindow cpu = bench.cpuWindow().add("web", bare.handle());
            ClickLoad.Result result = load.closedLoop(options.httpRun);
            double perSecond = answered.sum() / result.seconds();
            Map<String, Double> cores = cpu.close();
            bench.report.add(new BenchmarkReport.Row("2 reference: Netty alone (fixed 202, no JSON, no Kafka), "
                    + connections + " connections, closed loop",
                    String.format(Locale.ROOT,
                            "%,.0f requests/s (%.1f%% of raw; the web producer reached %.0f%% of it)%s", perSecond,
                            100 * perSecond / raw, 100 * web / perSecond, problems(result)),
                    latency(result.latency()), cores, cpuPerThousand(cores.get("web"), perSecond)));
        }
    }
}
