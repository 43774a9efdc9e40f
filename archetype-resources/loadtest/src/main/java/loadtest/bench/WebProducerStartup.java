package ${package}.loadtest.bench;

import ${package}.dev.LocalKafkaBroker;
import ${package}.dev.process.JvmClasspath;
import ${package}.loadtest.ClickApps;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.HttpExchange;
import ${package}.loadtest.ProcessStats;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Step 5's web producer rows: its start-up (JVM fork to the first 202) and its peak memory. */
final class WebProducerStartup {

    private WebProducerStartup() {
    }

    /** Starts the web producer as web/Dockerfile runs it, times it to its first 202, and warms it up. */
    static void start(BenchPipeline bench) {
        BenchmarkOptions options = bench.options;
        List<String> jvm = new ArrayList<>(options.webJvmOptions());
        String classpath = JvmClasspath.current();
        if (options.classDataSharing) {
            classpath = WebClassDataArchive.jarsOnlyClasspath(bench.work);
            jvm.add("-XX:SharedArchiveFile=" + WebClassDataArchive.train(bench.work, options.webJvmOptions(), classpath));
        }
        List<Integer> webPorts = LocalKafkaBroker.freePorts(2, Set.of());
        bench.webPort = webPorts.get(0);
        bench.webManagementPort = webPorts.get(1);
        bench.web = ClickApps.webProducer(bench.broker.bootstrapServers(), BenchPipeline.CLICK_TOPIC, bench.webPort,
                        bench.webManagementPort)
                .jvmOptions(jvm)
                .classpath(classpath)
                .log(bench.work.resolve("web-producer.log"))
                .start();
        long ready = ClickApps.awaitFirstAccepted(bench.web, bench.webBase(), Duration.ofSeconds(60));
        double seconds = (ready - bench.web.startedNanos()) / 1e9;
        bench.report.add(new BenchmarkReport.Row("5 web producer start-up (JVM fork to first 202"
                + (options.classDataSharing ? ", class data sharing archive as in web/Dockerfile)" : ", no archive)"),
                String.format(Locale.ROOT, "%.2f s", seconds), "-", Map.of()));
        bench.report.add(BenchmarkReport.Target.atMost("web producer ready <= 1 s", seconds, 1.0, "s"));
        warmUp(bench);
    }

    /**
     * Single clicks and batches for a while before anything is measured, so that the JIT has compiled the web
     * producer's request path: as the broker is warmed up, the server is measured in its steady state, not while
     * it compiles (which costs more CPU per click).
     */
    private static void warmUp(BenchPipeline bench) {
        URI base = bench.webBase();
        ClickLoad.AnswerListener ignore = (seq, response, due, sent, done) -> { };
        long started = System.nanoTime();
        bench.load(base, 64, bench.clicks(1), ignore).closedLoop(bench.options.jitWarmup);
        bench.load(base, 8, bench.clicks(bench.options.batchSize), ignore)
                .closedLoop(bench.options.jitWarmup.dividedBy(2));
        System.out.printf("web producer warmed up with single clicks and batches (%.0f s)%n",
                (System.nanoTime() - started) / 1e9);
    }

    /** The web producer's peak RSS after steps 2 and 3, and what its management port says it holds now. */
    static void footprint(BenchPipeline bench) {
        ProcessStats stats = ProcessStats.of(bench.web.handle());
        double megabytes = stats.peakRssKb() / 1024.0;
        bench.report.add(new BenchmarkReport.Row("5 web producer peak RSS (VmHWM after steps 2-3)",
                String.format(Locale.ROOT, "%.0f MB (now %.0f MB; %s)", megabytes, stats.rssKb() / 1024.0,
                        heldNow(bench)), "-", Map.of()));
        bench.report.add(BenchmarkReport.Target.atMost("web producer peak RSS <= 200 MB", megabytes, 200, "MB"));
    }

    /** Heap in use and Netty's direct memory, from the web producer's /metrics on its management port. */
    private static String heldNow(BenchPipeline bench) {
        try (HttpExchange management = new HttpExchange(bench.webManagementBase(), 5_000)) {
            String metrics = management.get("/metrics").bodyText();
            return String.format(Locale.ROOT, "heap %.0f MiB, Netty direct %.1f MiB",
                    sample(metrics, "jvm_memory_used_bytes{area=\"heap\"}") / 1048576,
                    sample(metrics, "web_netty_direct_memory_bytes") / 1048576);
        } catch (IOException e) {
            return "the management port did not answer: " + e.getMessage();
        }
    }

    private static double sample(String metrics, String name) {
        return metrics.lines().filter(line -> line.startsWith(name + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(name.length() + 1).trim())).orElse(-1.0);
    }
}
