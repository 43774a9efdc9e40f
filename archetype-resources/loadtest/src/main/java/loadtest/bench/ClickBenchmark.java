package ${package}.loadtest.bench;

import ${package}.dev.LocalKafkaBroker;
import ${package}.loadtest.ProcessStats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * How fast the pipeline is, measured in one run on one real broker so that the figures compare as ratios:
 *
 * <ol>
 *   <li>the raw Kafka producer with the web producer's own records and settings: the ceiling (here);</li>
 *   <li>HTTP ingest, one click per request, keep-alive, 32 and 256 connections; and, as its reference, Netty
 *       alone answering a fixed 202 ({@link HttpIngestStep}, {@link BareNettyServer});</li>
 *   <li>the same with 100 clicks per request;</li>
 *   <li>end-to-end latency from the POST to the line in the consumer's sink, at a fixed rate
 *       ({@link SinkSteps});</li>
 *   <li>web producer start-up (JVM fork to first 202) and peak RSS ({@link WebProducerStartup}); the
 *       consumer's catch-up rate ({@link SinkSteps}).</li>
 * </ol>
 *
 * <p>Run from the project root (loadtest/pom.xml configures {@code exec:exec}: a JVM of its own):
 * <pre>./mvnw -q install -DskipTests &amp;&amp; ./mvnw -q -pl loadtest exec:exec -Dbenchmark.args="--quick"</pre>
 * Options: see {@link BenchmarkOptions} and the README. The broker, both apps and this load generator share
 * the machine's cores: every step prints the CPU each process used, and the figures are worth comparing only
 * within one run.
 */
public final class ClickBenchmark {

    private ClickBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        BenchmarkOptions options;
        try {
            options = BenchmarkOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (!ProcessStats.supported()) {
            System.err.println("ClickBenchmark reads memory figures from /proc: it runs on Linux only.");
            System.exit(2);
        }
        long missed = run(options);
        System.out.println(missed == 0 ? "All targets met." : missed + " target(s) missed: see the table.");
        // the apps' JVMs are stopped; end this one although the Kafka clients may leave threads behind
        System.exit(0);
    }

    /** @return how many targets were missed */
    private static long run(BenchmarkOptions options) throws Exception {
        Path work = options.workDir != null ? options.workDir : Files.createTempDirectory("click-benchmark");
        if (options.workDirIsOurs) {
            deleteRecursively(work);
        } else if (Files.isDirectory(work) && Files.list(work).findAny().isPresent()) {
            throw new IllegalArgumentException(work + " is not empty: give --dir a new or empty directory");
        }
        Files.createDirectories(work);
        String loadBefore = loadAverage();
        long started = System.nanoTime();
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("click benchmark: %d cores, load average %s, data in %s%n", cores, loadBefore, work);
        BenchmarkReport report;
        try (BenchPipeline bench = BenchPipeline.start(options, work)) {
            report = bench.report;
            System.out.printf("broker ready in %.1f s (%d node(s), pids %s, -Xmx%s each, %d partitions per topic)%n",
                    bench.broker.lastStartDuration().toMillis() / 1000.0, bench.broker.nodeIds().size(),
                    bench.broker.pids(), options.brokerHeap, LocalKafkaBroker.CLICK_TOPIC_PARTITIONS);
            double raw = rawProducer(bench);
            WebProducerStartup.start(bench);
            HttpIngestStep http = new HttpIngestStep(bench, raw);
            http.run(false);
            double batched = http.run(true);
            WebProducerStartup.footprint(bench);
            new SinkSteps(bench).run();
            report.add(BenchmarkReport.Target.atLeast("100 clicks/request >= 90% of raw", batched, raw, 0.90));
        } finally {
            if (!options.keep) {
                deleteRecursively(work);
            }
        }
        System.out.println();
        System.out.print(report.render(cores, loadBefore, loadAverage(), (System.nanoTime() - started) / 1e9));
        return report.missedTargets();
    }

    /** Step 1: the raw Kafka producer, after warming the broker up. Returns its records/s. */
    private static double rawProducer(BenchPipeline bench) {
        BenchmarkOptions options = bench.options;
        RawClickProducer producer = new RawClickProducer(bench.broker.bootstrapServers(), BenchPipeline.RAW_TOPIC);
        System.out.printf("raw producer: %d-byte records, settings %s%n", producer.recordSize(), producer.settings());
        System.out.printf("warming the broker with %,d records ...%n", options.warmupRecords);
        producer.send(options.warmupRecords);
        CpuWindow cpu = bench.cpuWindow();
        RawClickProducer.Result result = producer.send(options.rawRecords);
        bench.report.add(new BenchmarkReport.Row("1 raw producer, " + String.format(Locale.ROOT, "%,d",
                options.rawRecords) + " records", String.format(Locale.ROOT, "%,.0f rec/s (%.1f MB/s)",
                result.recordsPerSecond(), result.megabytesPerSecond()), "-", cpu.close()));
        if (result.failed() > 0) {
            throw new IllegalStateException(result.failed() + " raw records failed: the broker is not healthy");
        }
        return result.recordsPerSecond();
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
