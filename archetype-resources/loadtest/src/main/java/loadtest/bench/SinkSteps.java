package ${package}.loadtest.bench;

import ${package}.dev.LocalKafkaBroker;
#if( $sink == "postgres" )
import ${package}.dev.process.ChildJvm;
#end
import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickApps;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.LatencyRecorder;
import ${package}.loadtest.SinkTail;
#if( $sink == "postgres" )
import ${package}.consumer.postgres.PostgresSinkConfig;
import ${package}.dev.LocalPostgres;
import ${package}.loadtest.postgres.ServerCpu;
import ${package}.loadtest.postgres.TableTail;
#end
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.nio.file.Path;
#if( $sink == "postgres" )
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
#end
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

import static ${package}.loadtest.bench.BenchmarkReport.latency;
import static ${package}.loadtest.bench.BenchmarkReport.problems;

/**
 * The steps measured at the consumer's sink, with one {@link SinkTail} following its files: the consumer's
 * catch-up on everything steps 2 and 3 wrote (step 5), then end-to-end latency (step 4).
#if( $sink == "postgres" )
 * Then both again with the PostgreSQL sink, followed by a {@link TableTail}.
#end
 */
final class SinkSteps {

    /** Sequence numbers of the end-to-end step start here, apart from every click sent before it. */
    private static final long E2E_SEQ_BASE = 1_000_000_000L;
#if( $sink == "postgres" )
    /** And those of the PostgreSQL sink's end-to-end step here. */
    private static final long POSTGRES_E2E_SEQ_BASE = 2_000_000_000L;
    /** The JSON Lines consumer's catch-up, clicks/s: the PostgreSQL one's reference. */
    private double jsonLinesCatchUp;
#end

    private final BenchPipeline bench;
    private final BenchmarkOptions options;
    /** Set during step 4: the sink tail's lines are matched against it. */
    private volatile EndToEndClicks e2eRun;

    SinkSteps(BenchPipeline bench) {
        this.bench = bench;
        this.options = bench.options;
    }

    /** Starts the consumer on everything steps 2 and 3 wrote and times it to the last record; then step 4. */
    void run() {
        long total = endOffsets(BenchPipeline.CLICK_TOPIC);
        Path sink = bench.work.resolve("sink");
        long[] firstLine = {0};
        long[] lastLine = {0};
        LongAdder lines = new LongAdder();
        try (SinkTail tail = new SinkTail(sink, BenchPipeline.CLICK_TOPIC, (line, seen) -> {
            if (firstLine[0] == 0) {
                firstLine[0] = seen;
            }
            lastLine[0] = seen;
            lines.increment();
            e2eLine(line, seen);
        })) {
            CpuWindow cpu = bench.cpuWindow();
            bench.consumer = ClickApps.consumer(bench.broker.bootstrapServers(), BenchPipeline.CLICK_TOPIC,
                            "click-benchmark", sink)
                    .jvmOptions(options.consumerJvmOptions())
                    .log(bench.work.resolve("consumer.log"))
                    .start();
            cpu.add("consumer", bench.consumer.handle());
            long forked = bench.consumer.startedNanos();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (lines.sum() < total) {
                if (!bench.consumer.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the consumer stored " + lines.sum() + " of " + total
                            + " clicks; its log ends with:" + System.lineSeparator() + bench.consumer.logTail(30));
                }
                ClickApps.sleepMillis(20);
            }
            double fromFirst = (lastLine[0] - firstLine[0]) / 1e9;
            double fromFork = (lastLine[0] - forked) / 1e9;
            bench.report.add(new BenchmarkReport.Row(String.format(Locale.ROOT, "5 consumer catch-up, %,d clicks", total),
                    String.format(Locale.ROOT, "%,.0f clicks/s (%,.0f/s counting JVM start)", total / fromFirst,
                            total / fromFork), "-", cpu.close()));
            writeBackCatchUp();
            endToEnd(E2E_SEQ_BASE, "sink line", "in sink", 50, "");
#if( $sink == "postgres" )
            jsonLinesCatchUp = total / fromFirst;
#end
        }
#if( $sink == "postgres" )
        postgresSteps();
#end
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

    /**
     * Step 4: a fixed rate of single clicks, numbered from {@code seqBase}, timed from each request's due time to
     * when the sink's reader saw it ({@code arrival}, counted {@code stored}); {@code sinkName} tells the targets
     * of a second sink apart.
     */
    private void endToEnd(long seqBase, String arrival, String stored, double p99LimitMillis, String sinkName) {
        EndToEndClicks run = new EndToEndClicks(options.e2eRate, (long) (options.e2eRate * options.e2eDuration.toSeconds()),
                seqBase);
        e2eRun = run;
        ClickLoad load = bench.load(bench.webBase(), options.e2eConnections,
                seq -> BenchClicks.single(seqBase + seq),
                (seq, response, due, sent, done) -> {
                    if (response.status() == 202) {
                        run.acknowledge(seq);
                    }
                });
        CpuWindow cpu = bench.cpuWindow();
        ClickLoad.Result http = load.fixedRate(run.schedule);
        long grace = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (run.missing() > 0 && System.nanoTime() < grace) {
            ClickApps.sleepMillis(10);
        }
        Map<String, Double> usage = cpu.close();
        LatencyRecorder.Summary e2e = run.latencies();
        bench.report.add(new BenchmarkReport.Row(String.format(Locale.ROOT, "4 end to end, POST to %s,"
                        + " %,.0f clicks/s fixed rate, %d connections", arrival, options.e2eRate, options.e2eConnections),
                String.format(Locale.ROOT, "%,d acknowledged, %,d %s, %d lost, %d duplicates%s",
                        run.acknowledged(), run.stored(), stored, run.missing(), run.duplicates(), problems(http)),
                "e2e " + latency(e2e) + "; HTTP " + latency(http.latency()), usage));
        bench.report.add(BenchmarkReport.Target.atMost("end-to-end p99" + sinkName + " <= " + (long) p99LimitMillis
                + " ms at " + (long) options.e2eRate + " clicks/s", e2e.percentileMillis(99), p99LimitMillis, "ms"));
        bench.report.add(BenchmarkReport.Target.atMost("no acknowledged click lost end to end" + sinkName,
                run.missing(), 0, "clicks"));
    }

    /** Called by the sink tail for every line: step 4's lines give end-to-end latencies. */
    private void e2eLine(byte[] line, long seen) {
        e2eStored(BenchClicks.seqOf(line), seen);
    }

    /** A click's {@code seq} seen in the sink at {@code seen}: one of step 4's gives its end-to-end latency. */
    private void e2eStored(long clickSeq, long seen) {
        EndToEndClicks run = e2eRun;
        if (run != null) {
            long seq = clickSeq - run.seqBase;
            if (seq >= 0 && seq < run.schedule.total()) {
                run.stored(seq, seen);
            }
        }
    }

#if( $sink == "postgres" )
    /**
     * The PostgreSQL sink: a consumer with {@code CLICK_SINK=postgres}, in a group of its own, on a database started
     * here, catches up on the topic the JSON Lines consumer read (step 5, timed to the last row committed); then
     * step 4 again, from the POST to the row committed. The JSON Lines consumer is stopped first, so that each step
     * measures one consumer.
     */
    private void postgresSteps() {
        ChildJvm.closeAll(bench.consumer);
        LocalPostgres postgres = startPostgres();
        long total = endOffsets(BenchPipeline.CLICK_TOPIC);
        try (TableTail positions = tableTail(postgres, Duration.ofMillis(5), null)) {
            CpuWindow cpu = bench.cpuWindow();
            ServerCpu database = ServerCpu.start();
            bench.consumer = ClickApps.consumer(bench.broker.bootstrapServers(), BenchPipeline.CLICK_TOPIC,
                            "click-benchmark-postgres", bench.work.resolve("sink"))
                    .jvmOptions(options.consumerJvmOptions())
                    .environment(Map.of("CLICK_SINK", "postgres",
                            PostgresSinkConfig.URL_ENV_VARIABLE, postgres.jdbcUrl(),
                            PostgresSinkConfig.USER_ENV_VARIABLE, postgres.user(),
                            PostgresSinkConfig.PASSWORD_ENV_VARIABLE, postgres.password()))
                    .log(bench.work.resolve("consumer-postgres.log"))
                    .start();
            cpu.add("consumer", bench.consumer.handle());
            long forked = bench.consumer.startedNanos();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
            while (positions.stored() < total) {
                if (!bench.consumer.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the PostgreSQL consumer stored " + positions.stored() + " of "
                            + total + " clicks; its log ends with:" + System.lineSeparator()
                            + bench.consumer.logTail(30));
                }
                ClickApps.sleepMillis(20);
            }
            double rate = total / ((positions.lastMoveNanos() - positions.firstMoveNanos()) / 1e9);
            double fromFork = total / ((positions.lastMoveNanos() - forked) / 1e9);
            double databaseCores = database.cores();
            bench.report.add(new BenchmarkReport.Row(String.format(Locale.ROOT, "5 consumer catch-up, PostgreSQL"
                            + " sink (COPY per batch), %,d clicks", total),
                    String.format(Locale.ROOT, "%,.0f clicks/s (%,.0f/s counting JVM start); PostgreSQL used %.2f"
                            + " cores", rate, fromFork, databaseCores), "-", cpu.close()));
            bench.report.add(BenchmarkReport.Target.atLeast("PostgreSQL catch-up >= 50% of JSON Lines catch-up",
                    rate, jsonLinesCatchUp, 0.50));
            bench.report.add(BenchmarkReport.Target.atLeast("PostgreSQL catch-up >= 30,000 clicks/s", rate, 30_000,
                    1.0));
        }
        checkpoint(postgres);
        writeBackCatchUp();
        try (TableTail rows = tableTail(postgres, Duration.ofMillis(2), this::e2eStored)) {
            endToEnd(POSTGRES_E2E_SEQ_BASE, "row committed (PostgreSQL)", "in table", 100, " to PostgreSQL row");
        }
    }

    /** In {@code work}/postgres, which the server's user (nobody, when this JVM is root) must be able to reach. */
    private LocalPostgres startPostgres() {
        try {
            Files.setPosixFilePermissions(bench.work, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open " + bench.work + " to the database server's user", e);
        }
        bench.postgres = LocalPostgres.start(bench.work.resolve("postgres"), 0);
        return bench.postgres;
    }

    private static TableTail tableTail(LocalPostgres postgres, Duration poll, TableTail.RowListener listener) {
        return new TableTail(postgres.jdbcUrl(), postgres.user(), postgres.password(), BenchPipeline.CLICK_TOPIC, poll,
                listener);
    }

    /** The catch-up's pages and WAL written out now, not by a checkpoint in the middle of step 4. */
    private static void checkpoint(LocalPostgres postgres) {
        System.out.println("checkpointing PostgreSQL before its step 4 ...");
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
             Statement checkpoint = c.createStatement()) {
            checkpoint.execute("CHECKPOINT");
        } catch (SQLException e) {
            System.out.println("CHECKPOINT failed (" + e.getMessage() + "); step 4 may include one");
        }
    }

#end
    private long endOffsets(String topic) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < LocalKafkaBroker.CLICK_TOPIC_PARTITIONS; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bench.broker.bootstrapServers()))) {
            long total = 0;
            for (ListOffsetsResult.ListOffsetsResultInfo info : admin.listOffsets(latest).all()
                    .get(30, TimeUnit.SECONDS).values()) {
                total += info.offset();
            }
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the end offsets of " + topic, e);
        }
    }

    /** The clicks of step 4: which were acknowledged, which reached the sink, and how long that took. */
    private static final class EndToEndClicks {
        final ClickLoad.FixedRate schedule;
        /** The first click's {@code seq}. */
        final long seqBase;
        private final BitSet acknowledged = new BitSet();
        private final BitSet stored = new BitSet();
        private final LatencyRecorder latencies = new LatencyRecorder();
        private long duplicates;

        EndToEndClicks(double perSecond, long total, long seqBase) {
            schedule = ClickLoad.FixedRate.startingNow(perSecond, total);
            this.seqBase = seqBase;
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

        synchronized long duplicates() {
            return duplicates;
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
}
