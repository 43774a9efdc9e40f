package ${package}.dev.bench;

import ${package}.dev.LocalKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * How fast the pipeline is, measured in one run on one real broker so that the figures compare as ratios:
 *
 * <ol>
 *   <li>the raw Kafka producer with the web producer's own records and settings: the ceiling;</li>
 *   <li>HTTP ingest, one click per request, keep-alive, 32 and 256 connections; and, as its reference, Netty
 *       alone answering a fixed 202 ({@link BareNettyServer});</li>
 *   <li>the same with 100 clicks per request;</li>
 *   <li>end-to-end latency from the POST to the line in the consumer's sink, at a fixed rate;</li>
 *   <li>web producer start-up (JVM fork to first 202) and peak RSS; the consumer's catch-up rate.</li>
 * </ol>
 *
 * <p>Run from the project root:
 * <pre>./mvnw -q install -DskipTests &amp;&amp; ./mvnw -q -pl dev exec:exec -Dexec.executable=java -Dexec.args="-cp %classpath ${package}.dev.bench.ClickBenchmark"</pre>
 * ({@code exec:exec}, a JVM of its own: dev/pom.xml configures {@code exec:java} for dev mode.)
 * Arguments (after {@code -Dexec.args="..."}): {@code --quick} (a short run, for a check that it works),
 * {@code --web-jvm=-Xmx64m --web-jvm=-XX:+UseSerialGC} (options of the web producer's JVM, one each), {@code --client=jdk}
 * (java.net.http.HttpClient instead of the plain-socket generator), {@code --keep} (keep the data directory).
 *
 * <p>The broker, both apps and this load generator share the machine's cores: every step prints the CPU
 * each process used, and the figures are worth comparing only within one run.
 */
public final class ClickBenchmark {

    private static final String RAW_TOPIC = "bench-raw";
    private static final String CLICK_TOPIC = "bench-clicks";
    private static final int PARTITIONS = 3;
    private static final String PATH = "/api/clicks";
    /** Sequence numbers of the end-to-end step start here, apart from every click sent before it. */
    private static final long E2E_SEQ_BASE = 1_000_000_000L;

    private final Options options;
    private final List<Row> rows = new ArrayList<>();
    private final List<Target> targets = new ArrayList<>();
    private LocalKafkaBroker broker;
    private ChildJvm web;
    private ChildJvm consumer;
    private int webPort;
    /** The next click's seq in steps 2 and 3. */
    private long sequence;
    /** Set during step 4: the sink tail's lines are matched against it. */
    private volatile E2eRun e2eRun;

    private ClickBenchmark(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        if (!ProcessStats.supported()) {
            System.err.println("ClickBenchmark reads CPU and memory figures from /proc: it runs on Linux only.");
            System.exit(2);
        }
        int missed = new ClickBenchmark(options).run();
        System.out.println(missed == 0 ? "All targets met." : missed + " target(s) missed: see the table.");
        // the apps' JVMs are stopped; end this one although the Kafka clients may leave threads behind
        System.exit(0);
    }

    /** @return how many targets were missed */
    private int run() throws Exception {
        Path work = options.workDir != null ? options.workDir : Files.createTempDirectory("click-benchmark");
        if (options.workDirIsOurs) {
            deleteRecursively(work);
        } else if (Files.isDirectory(work) && Files.list(work).findAny().isPresent()) {
            throw new IllegalArgumentException(work + " is not empty: give --dir a new or empty directory");
        }
        Files.createDirectories(work);
        String loadBefore = loadAverage();
        long started = System.nanoTime();
        System.out.printf("click benchmark: %d cores, load average %s, data in %s%n",
                Runtime.getRuntime().availableProcessors(), loadBefore, work);
        try {
            broker = LocalKafkaBroker.start(LocalKafkaBroker.Settings.forTests(work.resolve("broker"))
                    .withMaxHeap(options.brokerHeap));
            broker.createTopics(PARTITIONS, RAW_TOPIC, CLICK_TOPIC);
            System.out.printf("broker ready in %.1f s (pid %d, -Xmx%s, %d partitions per topic)%n",
                    broker.lastStartDuration().toMillis() / 1000.0, broker.pid(), options.brokerHeap, PARTITIONS);

            double raw = rawProducer();
            httpIngest(false, raw);
            double batched = httpIngest(true, raw);
            webProducerFootprint();
            consumerCatchUpThenEndToEnd(work);

            targets.add(Target.atLeast("100 clicks/request >= 90% of raw", batched, raw, 0.90));
        } finally {
            if (web != null) {
                web.close();
            }
            if (consumer != null) {
                consumer.close();
            }
            if (broker != null) {
                broker.close();
            }
            if (!options.keep) {
                deleteRecursively(work);
            }
        }
        printReport(loadBefore, loadAverage(), (System.nanoTime() - started) / 1e9);
        return (int) targets.stream().filter(t -> !t.met()).count();
    }

    private double rawProducer() {
        RawClickProducer producer = new RawClickProducer(broker.bootstrapServers(), RAW_TOPIC);
        System.out.printf("raw producer: %d-byte records, settings %s%n", producer.recordSize(), producer.settings());
        System.out.printf("warming the broker with %,d records ...%n", options.warmupRecords);
        producer.send(options.warmupRecords);
        CpuWindow cpu = new CpuWindow();
        RawClickProducer.Result result = producer.send(options.rawRecords);
        rows.add(new Row("1 raw producer, " + String.format(Locale.ROOT, "%,d", options.rawRecords) + " records",
                String.format(Locale.ROOT, "%,.0f rec/s (%.1f MB/s)", result.recordsPerSecond(),
                        result.megabytesPerSecond()), "-", cpu.close()));
        if (result.failed() > 0) {
            throw new IllegalStateException(result.failed() + " raw records failed: the broker is not healthy");
        }
        return result.recordsPerSecond();
    }

    /**
     * Closed loop at several connection counts for the highest rate, then a fixed rate at half the best one
     * for honest latency figures. Returns the best clicks/s answered 202.
     */
    private double httpIngest(boolean batched, double raw) {
        if (web == null) {
            startWebProducer();
        }
        URI base = ClickApps.baseUri(webPort);
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
            ClickLoad load = new ClickLoad(base, PATH, connections, requestSource(clicksPerRequest),
                    countAccepted, options.client, 30_000);
            load.closedLoop(options.httpWarmup);
            accepted.reset();
            CpuWindow cpu = new CpuWindow();
            ClickLoad.Result result = load.closedLoop(options.httpRun);
            double clicksPerSecond = accepted.sum() / result.seconds();
            Map<String, Double> cores = cpu.close();
            rows.add(new Row(step + ", " + connections + " connections, closed loop",
                    String.format(Locale.ROOT, "%,.0f clicks/s (%.1f%% of raw)%s", clicksPerSecond,
                            100 * clicksPerSecond / raw, problems(result, clicksPerRequest)),
                    latency(result.latency()), cores, cpuPerThousand(cores.get("web"), clicksPerSecond)));
            if (!batched) {
                singleClickTargets(connections, clicksPerSecond, raw, result.latency().percentileMillis(99));
                bareServerReference(connections, clicksPerSecond, raw);
            }
            if (clicksPerSecond > best) {
                best = clicksPerSecond;
                bestConnections = connections;
            }
        }
        double requestRate = best / 2 / clicksPerRequest;
        long requests = Math.max(100, (long) (requestRate * options.httpRun.toMillis() / 1000));
        ClickLoad load = new ClickLoad(base, PATH, bestConnections, requestSource(clicksPerRequest),
                countAccepted, options.client, 30_000);
        CpuWindow cpu = new CpuWindow();
        ClickLoad.Result result = load.fixedRate(requestRate, requests);
        rows.add(new Row(step + ", " + bestConnections + " connections, fixed rate (half the best)",
                String.format(Locale.ROOT, "%,.0f clicks/s offered%s", requestRate * clicksPerRequest,
                        problems(result, clicksPerRequest)),
                latency(result.latency()) + " from due time", cpu.close(), "-"));
        return best;
    }

    /** The targets for one click per request: a share of the raw producer, and a p99. */
    private void singleClickTargets(int connections, double clicksPerSecond, double raw, double p99Millis) {
        double share = connections >= 256 ? 0.15 : connections >= 32 ? 0.04 : 0;
        double p99Limit = connections >= 256 ? 100 : 15;
        if (share == 0) {
            return;
        }
        targets.add(Target.atLeast(String.format(Locale.ROOT, "1 click/request at %d connections >= %.0f%% of raw",
                connections, 100 * share), clicksPerSecond, raw, share));
        targets.add(Target.atMost(String.format(Locale.ROOT, "1 click/request at %d connections: p99 <= %.0f ms",
                connections, p99Limit), p99Millis, p99Limit, "ms"));
    }

    /** Web producer CPU per 1,000 clicks: so a change that only moves work to another process still shows. */
    private static String cpuPerThousand(Double webCores, double clicksPerSecond) {
        if (webCores == null || clicksPerSecond <= 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f ms", webCores * 1e6 / clicksPerSecond);
    }

    /**
     * Step 2's reference: Netty alone ({@link BareNettyServer}), with the same JVM options, load generator and
     * connection count as the web producer's row above it. It tells how much of the single-click figure is the
     * server itself and how much the web producer's own work (JSON, Kafka, limits, answers).
     */
    private void bareServerReference(int connections, double web, double raw) {
        int port = LocalKafkaBroker.freePort();
        try (ChildJvm bare = ChildJvm.start("bare Netty server", BareNettyServer.class.getName(),
                options.webJvm, Map.of("WEB_PORT", Integer.toString(port)),
                broker.settings().dataDir().resolveSibling("bare-netty-server.log"))) {
            URI base = ClickApps.baseUri(port);
            ClickApps.awaitFirstAccepted(bare, base, Duration.ofSeconds(60));
            LongAdder answered = new LongAdder();
            ClickLoad load = new ClickLoad(base, PATH, connections, requestSource(1),
                    (seq, response, due, sent, done) -> {
                        if (response.status() == 202) {
                            answered.increment();
                        }
                    }, options.client, 30_000);
            load.closedLoop(options.httpWarmup);
            answered.reset();
            CpuWindow cpu = new CpuWindow();
            cpu.add("web", bare.pid());
            ClickLoad.Result result = load.closedLoop(options.httpRun);
            double perSecond = answered.sum() / result.seconds();
            Map<String, Double> cores = cpu.close();
            rows.add(new Row("2 reference: Netty alone (fixed 202, no JSON, no Kafka), " + connections
                    + " connections, closed loop",
                    String.format(Locale.ROOT,
                            "%,.0f requests/s (%.1f%% of raw; the web producer reached %.0f%% of it)%s", perSecond,
                            100 * perSecond / raw, 100 * web / perSecond, problems(result, 1)),
                    latency(result.latency()), cores, cpuPerThousand(cores.get("web"), perSecond)));
        }
    }

    private void startWebProducer() {
        List<String> jvm = new ArrayList<>(options.webJvm);
        String classpath = RuntimeClasspath.current();
        if (options.classDataSharing) {
            classpath = RuntimeClasspath.jarsOnly(broker.settings().dataDir().getParent());
            jvm.add("-XX:SharedArchiveFile=" + webClassDataArchive(classpath));
        }
        webPort = LocalKafkaBroker.freePort();
        web = ClickApps.startWebProducer(broker.bootstrapServers(), CLICK_TOPIC, webPort, classpath, jvm,
                broker.settings().dataDir().resolveSibling("web-producer.log"));
        long ready = ClickApps.awaitFirstAccepted(web, ClickApps.baseUri(webPort), Duration.ofSeconds(60));
        double seconds = (ready - web.startedNanos()) / 1e9;
        rows.add(new Row("5 web producer start-up (JVM fork to first 202"
                + (options.classDataSharing ? ", class data sharing archive as in web/Dockerfile)" : ", no archive)"),
                String.format(Locale.ROOT, "%.2f s", seconds), "-", Map.of()));
        targets.add(Target.atMost("web producer ready <= 1 s", seconds, 1.0, "s"));
        warmUpWebProducer();
    }

    /**
     * Single clicks and batches for a while before anything is measured, so that the JIT has compiled the web
     * producer's request path: as the broker is warmed up, the server is measured in its steady state, not while
     * it compiles (which showed as twice the CPU per click in the first step).
     */
    private void warmUpWebProducer() {
        URI base = ClickApps.baseUri(webPort);
        ClickLoad.AnswerListener ignore = (seq, response, due, sent, done) -> { };
        long started = System.nanoTime();
        new ClickLoad(base, PATH, 64, requestSource(1), ignore, options.client, 30_000).closedLoop(options.jitWarmup);
        new ClickLoad(base, PATH, 8, requestSource(options.batchSize), ignore, options.client, 30_000)
                .closedLoop(options.jitWarmup.dividedBy(2));
        System.out.printf("web producer warmed up with single clicks and batches (%.0f s)%n",
                (System.nanoTime() - started) / 1e9);
    }

    /**
     * Makes the web producer's class data sharing archive the way web/Dockerfile does when it builds the image:
     * one start with no broker (localhost:1), stopped with SIGTERM after 5 s, the JVM writing the archive as it
     * exits. The start measured next then maps those classes instead of loading them, as the container does.
     */
    private Path webClassDataArchive(String classpath) {
        Path archive = broker.settings().dataDir().resolveSibling("web.jsa");
        List<String> jvm = new ArrayList<>(options.webJvm);
        jvm.add("-XX:ArchiveClassesAtExit=" + archive);
        Path log = broker.settings().dataDir().resolveSibling("web-producer-cds-training.log");
        long started = System.nanoTime();
        ChildJvm training = ClickApps.startWebProducer("localhost:1", CLICK_TOPIC, LocalKafkaBroker.freePort(),
                classpath, jvm, log);
        try {
            ClickApps.sleepMillis(5_000);
        } finally {
            training.close();
        }
        try {
            if (!Files.isRegularFile(archive) || Files.size(archive) == 0) {
                throw new IllegalStateException("the web producer's training start wrote no class data sharing"
                        + " archive (run with --no-cds to measure without one); its log ends with:"
                        + System.lineSeparator() + training.logTail(30));
            }
            System.out.printf("web producer: class data sharing archive from a training start with no broker,"
                            + " as web/Dockerfile makes it (%.0f MB in %.1f s)%n", Files.size(archive) / 1e6,
                    (System.nanoTime() - started) / 1e9);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return archive;
    }

    private void webProducerFootprint() {
        ProcessStats stats = web.stats();
        double megabytes = stats.peakRssKb() / 1024.0;
        rows.add(new Row("5 web producer peak RSS (VmHWM after steps 2-3)",
                String.format(Locale.ROOT, "%.0f MB (now %.0f MB)", megabytes, stats.rssKb() / 1024.0), "-",
                Map.of()));
        targets.add(Target.atMost("web producer peak RSS <= 200 MB", megabytes, 200, "MB"));
    }

    /**
     * Starts the consumer on everything steps 2 and 3 wrote and times it to the last record; then step 4,
     * with the same sink tail following the consumer's files.
     */
    private void consumerCatchUpThenEndToEnd(Path work) {
        long total = endOffsets(CLICK_TOPIC);
        Path sink = work.resolve("sink");
        long[] firstLine = {0};
        long[] lastLine = {0};
        LongAdder lines = new LongAdder();
        try (SinkTail tail = new SinkTail(sink, CLICK_TOPIC, (line, seen) -> {
            if (firstLine[0] == 0) {
                firstLine[0] = seen;
            }
            lastLine[0] = seen;
            lines.increment();
            e2eLine(line, seen);
        })) {
            CpuWindow cpu = new CpuWindow();
            consumer = ClickApps.startConsumer(broker.bootstrapServers(), CLICK_TOPIC, "click-benchmark", sink,
                    options.consumerJvm, work.resolve("consumer.log"));
            cpu.add("consumer", consumer.pid());
            long forked = consumer.startedNanos();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (lines.sum() < total) {
                if (!consumer.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the consumer stored " + lines.sum() + " of " + total
                            + " clicks; its log ends with:" + System.lineSeparator() + consumer.logTail(30));
                }
                ClickApps.sleepMillis(20);
            }
            double fromFirst = (lastLine[0] - firstLine[0]) / 1e9;
            double fromFork = (lastLine[0] - forked) / 1e9;
            rows.add(new Row(String.format(Locale.ROOT, "5 consumer catch-up, %,d clicks", total),
                    String.format(Locale.ROOT, "%,.0f clicks/s (%,.0f/s counting JVM start)", total / fromFirst,
                            total / fromFork), "-", cpu.close()));
            writeBackCatchUp();
            endToEnd();
        }
    }

    /**
     * The catch-up just left gigabytes of sink lines in the page cache. With ext4's ordered journal, each fsync of
     * step 4 would wait for their write-back, and step 4 would measure the previous step, not the pipeline:
     * write them back first (the {@code sync} command) so each step starts from a settled disk.
     */
    private static void writeBackCatchUp() {
        System.out.println("writing the catch-up's sink lines back to disk before step 4 ...");
        try {
            Process sync = new ProcessBuilder("sync").inheritIO().start();
            if (!sync.waitFor(2, TimeUnit.MINUTES)) {
                sync.destroyForcibly();
                System.out.println("sync did not finish within 2 minutes; step 4 may include write-back stalls");
            }
        } catch (IOException e) {
            System.out.println("could not run sync (" + e.getMessage() + "); step 4 may include write-back stalls");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Step 4: a fixed rate of single clicks, timed from each request's due time to its line in the sink. */
    private void endToEnd() {
        E2eRun run = new E2eRun(options.e2eRate, (long) (options.e2eRate * options.e2eDuration.toSeconds()));
        e2eRun = run;
        ClickLoad load = new ClickLoad(ClickApps.baseUri(webPort), PATH, options.e2eConnections,
                seq -> BenchClicks.single(E2E_SEQ_BASE + seq),
                (seq, response, due, sent, done) -> {
                    if (response.status() == 202) {
                        run.acknowledge(seq);
                    }
                }, options.client, 30_000);
        CpuWindow cpu = new CpuWindow();
        ClickLoad.Result http = load.fixedRate(run.schedule);
        long grace = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (run.missing() > 0 && System.nanoTime() < grace) {
            ClickApps.sleepMillis(10);
        }
        Map<String, Double> usage = cpu.close();
        LatencyRecorder.Summary e2e = run.latencies();
        rows.add(new Row(String.format(Locale.ROOT, "4 end to end, POST to sink line, %,.0f clicks/s fixed rate,"
                        + " %d connections", options.e2eRate, options.e2eConnections),
                String.format(Locale.ROOT, "%,d acknowledged, %,d in sink, %d lost, %d duplicates%s",
                        run.acknowledged(), run.stored(), run.missing(), run.duplicates, problems(http, 1)),
                "e2e " + latency(e2e) + "; HTTP " + latency(http.latency()), usage));
        targets.add(Target.atMost("end-to-end p99 <= 50 ms at " + (long) options.e2eRate + " clicks/s",
                e2e.percentileMillis(99), 50, "ms"));
        targets.add(Target.atMost("no acknowledged click lost end to end", run.missing(), 0, "clicks"));
    }

    /** Called by the sink tail for every line: step 4's lines give end-to-end latencies. */
    private void e2eLine(byte[] line, long seen) {
        E2eRun run = e2eRun;
        if (run != null) {
            long seq = BenchClicks.seqOf(line) - E2E_SEQ_BASE;
            if (seq >= 0 && seq < run.schedule.total()) {
                run.stored(seq, seen);
            }
        }
    }

    /** The clicks of step 4: which were acknowledged, which reached the sink, and how long that took. */
    private static final class E2eRun {
        final ClickLoad.FixedRate schedule;
        final BitSet acknowledged = new BitSet();
        final BitSet stored = new BitSet();
        final LatencyRecorder latencies = new LatencyRecorder();
        long duplicates;

        E2eRun(double perSecond, long total) {
            schedule = ClickLoad.FixedRate.startingNow(perSecond, total);
        }

        synchronized void acknowledge(long seq) {
            acknowledged.set((int) seq);
        }

        /** Only the sink tail's thread calls this. */
        synchronized void stored(long seq, long seenNanos) {
            if (stored.get((int) seq)) {
                duplicates++;
                return;
            }
            stored.set((int) seq);
            latencies.record(seenNanos - schedule.dueNanos(seq));
        }

        synchronized long acknowledged() {
            return acknowledged.cardinality();
        }

        synchronized long stored() {
            return stored.cardinality();
        }

        synchronized long missing() {
            BitSet lost = (BitSet) acknowledged.clone();
            lost.andNot(stored);
            return lost.cardinality();
        }

        synchronized LatencyRecorder.Summary latencies() {
            return LatencyRecorder.merge(List.of(latencies));
        }
    }

    private ClickLoad.RequestSource requestSource(int clicksPerRequest) {
        return seq -> {
            long first;
            synchronized (this) {
                first = sequence;
                sequence += clicksPerRequest;
            }
            return clicksPerRequest == 1 ? BenchClicks.single(first) : BenchClicks.batch(first, clicksPerRequest);
        };
    }

    private static String problems(ClickLoad.Result result, int clicksPerRequest) {
        long other = result.requests() - result.answered(202);
        if (other == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "; NOT 202: %d requests (statuses %s, %d I/O failures, first: %s)",
                other, result.statuses(), result.failures(), result.firstFailure());
    }

    private static String latency(LatencyRecorder.Summary summary) {
        return String.format(Locale.ROOT, "%.1f / %.1f / %.0f ms", summary.percentileMillis(50),
                summary.percentileMillis(99), summary.maxMillis());
    }

    private long endOffsets(String topic) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            long total = 0;
            for (ListOffsetsResult.ListOffsetsResultInfo info : admin.listOffsets(latest).all()
                    .get(30, TimeUnit.SECONDS).values()) {
                total += info.offset();
            }
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot read the end offsets of " + topic, e);
        }
    }

    /** CPU used by each process between its creation and {@link #close()}, in cores (CPU seconds / seconds). */
    private final class CpuWindow {
        private final long started = System.nanoTime();
        private final Map<String, Long> pids = new LinkedHashMap<>();
        private final Map<String, ProcessStats> before = new HashMap<>();

        CpuWindow() {
            add("broker", broker.pid());
            if (web != null && web.isAlive()) {
                add("web", web.pid());
            }
            if (consumer != null && consumer.isAlive()) {
                add("consumer", consumer.pid());
            }
            add("bench", ProcessHandle.current().pid());
        }

        void add(String name, long pid) {
            pids.put(name, pid);
            before.put(name, ProcessStats.of(pid));
        }

        Map<String, Double> close() {
            double seconds = (System.nanoTime() - started) / 1e9;
            Map<String, Double> cores = new LinkedHashMap<>();
            pids.forEach((name, pid) -> cores.put(name, ProcessStats.of(pid).cpuSince(before.get(name)) / seconds));
            return cores;
        }
    }

    /** @param cpuPerThousand the web producer's CPU per 1,000 clicks, where it applies */
    private record Row(String step, String result, String latency, Map<String, Double> cores, String cpuPerThousand) {
        Row(String step, String result, String latency, Map<String, Double> cores) {
            this(step, result, latency, cores, "-");
        }
    }

    private record Target(String name, String measured, double ratio, boolean met) {
        static Target atLeast(String name, double value, double reference, double minimumRatio) {
            double ratio = value / reference;
            return new Target(name, String.format(Locale.ROOT, "%,.0f / %,.0f = %.0f%%", value, reference,
                    100 * ratio), ratio, ratio >= minimumRatio);
        }

        static Target atMost(String name, double value, double limit, String unit) {
            return new Target(name, String.format(Locale.ROOT, "%.2f %s (limit %s %s)", value, unit,
                    trim(limit), unit), limit == 0 ? value : value / limit, value <= limit);
        }

        private static String trim(double value) {
            return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
        }
    }

    private void printReport(String loadBefore, String loadAfter, double seconds) {
        System.out.println();
        System.out.printf("Click benchmark, %d cores, load average before %s, after %s; %.0f s in all%n",
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter, seconds);
        System.out.println("CPU in cores (CPU seconds per second) of broker / web producer / consumer / benchmark"
                + " (load generator, raw producer, sink reader)");
        System.out.println();
        System.out.println("| step | result | latency p50 / p99 / max | CPU b / w / c / bench | web CPU per 1,000 clicks |");
        System.out.println("|---|---|---|---|---|");
        for (Row row : rows) {
            System.out.printf("| %s | %s | %s | %s | %s |%n", row.step(), row.result(), row.latency(),
                    cores(row.cores()), row.cpuPerThousand());
        }
        System.out.println();
        System.out.println("| target | measured | met |");
        System.out.println("|---|---|---|");
        targets.stream().sorted(Comparator.comparing(Target::name)).forEach(t ->
                System.out.printf("| %s | %s | %s |%n", t.name(), t.measured(), t.met() ? "yes" : "NO"));
    }

    private static String cores(Map<String, Double> cores) {
        if (cores.isEmpty()) {
            return "-";
        }
        List<String> parts = new ArrayList<>();
        for (String name : List.of("broker", "web", "consumer", "bench")) {
            Double value = cores.get(name);
            parts.add(value == null ? "-" : String.format(Locale.ROOT, "%.2f", value));
        }
        return String.join(" / ", parts);
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

    /** Command-line options; every default is what the README's sample run used. */
    private static final class Options {
        boolean quick;
        boolean keep;
        /** As web/Dockerfile: the web producer starts with a class data sharing archive (--no-cds: without). */
        boolean classDataSharing = true;
        Path workDir;
        /** True for the default under the project's target/: left-overs of an earlier run are deleted. */
        boolean workDirIsOurs;
        String brokerHeap = "512m";
        long warmupRecords = 2_000_000;
        long rawRecords = 1_000_000;
        Duration httpWarmup = Duration.ofSeconds(5);
        /** Before the first HTTP step: long enough for the JIT to compile the request path. */
        Duration jitWarmup = Duration.ofSeconds(20);
        Duration httpRun = Duration.ofSeconds(10);
        int[] singleConnections = {32, 256};
        int[] batchConnections = {16, 32};
        int batchSize = 100;
        double e2eRate = 2_000;
        /** Enough that requests of about 10 ms each keep up with the rate: 2,000/s x 10 ms = 20 busy. */
        int e2eConnections = 64;
        Duration e2eDuration = Duration.ofSeconds(20);
        ClickLoad.Client client = ClickLoad.Client.SOCKET;
        /** One JVM option per --web-jvm= (so options may hold commas, as -XX:StartFlightRecording does). */
        final List<String> webJvm = new ArrayList<>();
        final List<String> consumerJvm = new ArrayList<>();

        static Options parse(String[] args) {
            Options o = new Options();
            for (String arg : args) {
                String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : "";
                if (arg.equals("--quick")) {
                    o.quick = true;
                    o.warmupRecords = 200_000;
                    o.rawRecords = 200_000;
                    o.httpWarmup = Duration.ofSeconds(2);
                    o.jitWarmup = Duration.ofSeconds(4);
                    o.httpRun = Duration.ofSeconds(3);
                    o.singleConnections = new int[] {32};
                    o.batchConnections = new int[] {16};
                    o.e2eDuration = Duration.ofSeconds(5);
                } else if (arg.equals("--no-cds")) {
                    o.classDataSharing = false;
                } else if (arg.equals("--keep")) {
                    o.keep = true;
                } else if (arg.startsWith("--dir=")) {
                    o.workDir = Path.of(value);
                } else if (arg.startsWith("--broker-heap=")) {
                    o.brokerHeap = value;
                } else if (arg.startsWith("--web-jvm=")) {
                    o.webJvm.add(value);
                } else if (arg.startsWith("--consumer-jvm=")) {
                    o.consumerJvm.add(value);
                } else if (arg.startsWith("--client=")) {
                    o.client = ClickLoad.Client.valueOf(value.toUpperCase(Locale.ROOT));
                } else if (arg.startsWith("--single-connections=")) {
                    o.singleConnections = Stream.of(value.split(",")).mapToInt(Integer::parseInt).toArray();
                } else if (arg.startsWith("--batch-connections=")) {
                    o.batchConnections = Stream.of(value.split(",")).mapToInt(Integer::parseInt).toArray();
                } else if (arg.startsWith("--seconds=")) {
                    o.httpRun = Duration.ofSeconds(Long.parseLong(value));
                } else if (!arg.startsWith("-") && Files.isDirectory(Path.of(arg)) && o.workDir == null) {
                    // the project root, which dev/pom.xml passes to every exec:java main (see DevMode)
                    o.workDir = Path.of(arg, "target", "click-benchmark");
                    o.workDirIsOurs = true;
                } else {
                    System.err.println("unknown argument '" + arg + "'. Arguments: --quick --keep --no-cds --dir=PATH"
                            + " --broker-heap=512m --web-jvm=-Xmx64m (repeat per option) --consumer-jvm=... --client=socket|jdk"
                            + " --single-connections=32,256 --batch-connections=16,32 --seconds=10");
                    System.exit(2);
                }
            }
            // Unless told otherwise, the apps run with the JVM options they ship with (web/jvm.options,
            // consumer/jvm.options, which the images and the README use): the benchmark measures what is shipped.
            if (o.webJvm.isEmpty()) {
                o.webJvm.addAll(AppJvmOptions.web());
            }
            if (o.consumerJvm.isEmpty()) {
                o.consumerJvm.addAll(AppJvmOptions.consumer());
            }
            return o;
        }
    }
}
