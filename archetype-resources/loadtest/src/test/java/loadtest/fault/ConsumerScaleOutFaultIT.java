package ${package}.loadtest.fault;

import ${package}.dev.LocalKafkaBroker;
import ${package}.dev.process.ChildJvm;
import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickApps;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.SinkContents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two consumers of one group on one data directory (two JVMs, as two containers on one volume) divide the
 * partitions; clicks flow all along. Then:
 * <ol>
 *   <li>one of them hangs (SIGSTOP): the group gives its partitions to the other after the session timeout, but
 *       the hung one still holds their files' locks, so the other must wait with them paused rather than write
 *       files that a process may still append to. When the hung one goes on (SIGCONT) it finds its partitions
 *       lost and lets go, and the files are written again;</li>
 *   <li>the other one dies (SIGKILL: no commit, no close, perhaps half a line): the survivor takes its partitions
 *       over within the session timeout, from the files' last lines.</li>
 * </ol>
 * In the end every acknowledged click, and every click on the topic, is in the files exactly once.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true|cluster",
        disabledReason = "a fault test takes minutes: run the fault tests with -Dfault=true")
class ConsumerScaleOutFaultIT {

    private static final int RATE = 200;
    /** At least three partitions, so that each of the two consumers has one or more. */
    private static final int PARTITIONS = Math.max(3, LocalKafkaBroker.CLICK_TOPIC_PARTITIONS);
    /**
     * The consumers' session.timeout.ms: how long the group waits for a member that stopped answering before it
     * gives the member's partitions to another one. Kafka's default is 45 s; the test sets 10 s through
     * KAFKA_CLIENT_PROPERTIES, as a user who wants a faster takeover would, so that it waits less for the same proof.
     */
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);
    /** On top of the session timeout: the rebalance, the next poll, the claim, and a batch written. */
    private static final Duration TAKEOVER_SLACK = Duration.ofSeconds(20);
    /** Long enough for two session timeouts and the rebalances around them; checked before the kill. */
    private static final Duration LOAD = Duration.ofSeconds(100);
    /** How long the hung consumer stays hung once the other one waits for its partitions. */
    private static final Duration HUNG_WHILE_WAITED_FOR = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void consumers_of_one_group_on_one_volume_divide_the_partitions_and_take_over_without_loss_or_duplicates()
            throws Exception {
        Set<Integer> all = IntStream.range(0, PARTITIONS).boxed().collect(Collectors.toCollection(TreeSet::new));
        try (FaultPipeline pipeline = FaultPipeline.start(dir, PARTITIONS)) {
            pipeline.startWeb();
            Instance a = Instance.start(pipeline, "a");
            Instance b = Instance.start(pipeline, "b");
            Lines lines = new Lines(pipeline.sinkDir());
            try {
                AckLedger ledger = new AckLedger();
                ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", 32, BenchClicks::single, ledger,
                        ClickLoad.Client.SOCKET, 30_000);
                CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(
                        () -> load.fixedRate(RATE, RATE * LOAD.toSeconds()));
                long start = System.nanoTime();

                // Both write: each owns partitions, and every partition's file grows.
                Split split = awaitSplit(a, b, all, Duration.ofSeconds(90));
                Map<Integer, Long> atSplit = lines.of(all);
                for (int partition : all) {
                    awaitNewLine(lines, Set.of(partition), Map.of(partition, atSplit.get(partition)),
                            Duration.ofSeconds(30), "partition " + partition + "'s file to grow", a, b);
                }
                System.out.printf("ConsumerScaleOutFaultIT: at %.1f s both write: a owns %s, b owns %s%n",
                        seconds(start), split.a(), split.b());

                // b hangs: its partitions go to a after the session timeout, but b still holds their files.
                Set<Integer> hung = split.b();
                b.signal("STOP");
                long stopped = System.nanoTime();
                awaitCondition(() -> a.metrics().waiting().containsAll(hung), SESSION_TIMEOUT.plus(TAKEOVER_SLACK),
                        () -> "a to be given " + hung + " and wait for their files; a's metrics: " + a.metrics(), a);
                double reassignedAfter = seconds(stopped);
                Map<Integer, Long> whileHung = lines.of(hung);
                FaultPipeline.sleep(HUNG_WHILE_WAITED_FOR.toMillis());
                assertEquals(whileHung, lines.of(hung), "the files of a hung consumer's partitions must not be"
                        + " written by the consumer the group gave them to, while the hung one holds them");
                assertTrue(a.metrics().waiting().containsAll(hung), "a still waits: " + a.metrics());
                b.signal("CONT");
                long continued = System.nanoTime();
                long resumedWriting = awaitNewLine(lines, hung, whileHung, Duration.ofSeconds(60),
                        "the hung consumer's partitions to be written again after it went on", a, b);
                System.out.printf("ConsumerScaleOutFaultIT: b hung (SIGSTOP) with %s; a was given them %.1f s later"
                                + " and waited for their files; b went on (SIGCONT) and the files were written again"
                                + " %d ms later%n", hung, reassignedAfter, (resumedWriting - continued) / 1_000_000);

                // b is back in the group: the two divide the partitions again. Then a dies.
                split = awaitSplit(a, b, all, Duration.ofSeconds(90));
                System.out.printf("ConsumerScaleOutFaultIT: at %.1f s both write again: a owns %s, b owns %s%n",
                        seconds(start), split.a(), split.b());
                assertTrue(!running.isDone(), "the load ended before the kill: it would not be mid-stream");
                Set<Integer> orphaned = split.a();
                a.jvm().sigkill();
                long killed = System.nanoTime();
                Map<Integer, Long> atKill = lines.of(orphaned);
                long firstLine = awaitNewLine(lines, orphaned, atKill, SESSION_TIMEOUT.plus(TAKEOVER_SLACK),
                        "b to take over " + orphaned + " from the SIGKILLed a", b);
                long takeoverMillis = (firstLine - killed) / 1_000_000;
                awaitCondition(() -> b.metrics().writing().equals(all), Duration.ofSeconds(30),
                        () -> "b to write every partition; b's metrics: " + b.metrics(), b);

                running.get(LOAD.toSeconds() + 60, TimeUnit.SECONDS);
                SinkContents sink = pipeline.awaitInSink(ledger.acknowledged(), Duration.ofSeconds(90));
                Map<String, Integer> topic = pipeline.eventIdsOnTopic();
                SinkContents drained = pipeline.awaitInSink(topic.keySet(), Duration.ofSeconds(30));
                sink = drained;
                long onTopicNotStored = topic.keySet().stream().filter(id -> drained.count(id) == 0).count();
                System.out.println("ConsumerScaleOutFaultIT: " + ledger.countsAgainst(sink) + "; on the topic "
                        + topic.size() + ", of which not stored " + onTopicNotStored + "; broken sink lines "
                        + sink.brokenLines().size() + ", offsets out of order " + sink.outOfOrderOffsets());
                System.out.printf("ConsumerScaleOutFaultIT: takeover after SIGKILL: %d ms from the kill to the"
                                + " survivor's first line in a taken-over file (session timeout %d s)%n",
                        takeoverMillis, SESSION_TIMEOUT.toSeconds());

                assertTrue(b.jvm().isAlive(), "the survivor died; its log ends with:\n" + b.jvm().logTail(40));
                assertTrue(ledger.protocolFailures().isEmpty(), "answers that break the API: "
                        + ledger.protocolFailures());
                assertEquals(ledger.requests(), ledger.status(202), "with the broker up every request should get"
                        + " 202: " + ledger.statuses());
                assertEquals(0, ledger.lostFrom(sink), "acknowledged clicks missing from the files");
                assertEquals(0, onTopicNotStored, "clicks on the topic missing from the files");
                assertEquals(0, sink.duplicates(), "clicks stored twice");
                assertTrue(sink.brokenLines().isEmpty(), "broken sink lines: " + sink.brokenLines());
                assertEquals(0, sink.outOfOrderOffsets(), "offsets out of order within a partition file");
                assertTrue(takeoverMillis <= SESSION_TIMEOUT.plus(TAKEOVER_SLACK).toMillis(),
                        "takeover took " + takeoverMillis + " ms");
            } finally {
                b.signal("CONT"); // a consumer left stopped would not stop on SIGTERM
                ChildJvm.closeAll(a.jvm(), b.jvm());
            }
        }
    }

    /** Two consumers that together own every partition, each one or more, none of them waiting for a file. */
    private static Split awaitSplit(Instance a, Instance b, Set<Integer> all, Duration timeout) {
        Split[] split = new Split[1];
        awaitCondition(() -> {
            Metrics ma = a.metrics();
            Metrics mb = b.metrics();
            Set<Integer> union = new TreeSet<>(ma.writing());
            union.addAll(mb.writing());
            split[0] = new Split(ma.writing(), mb.writing());
            return !ma.writing().isEmpty() && !mb.writing().isEmpty() && union.equals(all)
                    && ma.writing().size() + mb.writing().size() == all.size()
                    && ma.waiting().isEmpty() && mb.waiting().isEmpty();
        }, timeout, () -> "a and b to divide the partitions; a: " + a.metrics() + ", b: " + b.metrics(), a, b);
        return split[0];
    }

    /**
     * Waits until one of {@code partitions}' files has more lines than {@code before}; returns that moment
     * ({@link System#nanoTime()}, checked every 20 ms).
     */
    private static long awaitNewLine(Lines lines, Set<Integer> partitions, Map<Integer, Long> before,
                                     Duration timeout, String what, Instance... instances) {
        long[] seen = new long[1];
        awaitCondition(() -> {
            Map<Integer, Long> now = lines.of(partitions);
            if (partitions.stream().anyMatch(p -> now.get(p) > before.get(p))) {
                seen[0] = System.nanoTime();
                return true;
            }
            return false;
        }, timeout, () -> what + "; lines before " + before + ", now " + lines.of(partitions), instances);
        return seen[0];
    }

    private static void awaitCondition(Supplier<Boolean> condition, Duration timeout, Supplier<String> what,
                                       Instance... instances) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                StringBuilder logs = new StringBuilder();
                for (Instance instance : instances) {
                    logs.append(System.lineSeparator()).append("consumer ").append(instance.name())
                            .append("'s log ends with:").append(System.lineSeparator())
                            .append(instance.jvm().logTail(25));
                }
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what.get() + logs);
            }
            FaultPipeline.sleep(20);
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    record Split(Set<Integer> a, Set<Integer> b) {
    }

    /** What a consumer's /metrics says about its partitions: those it writes, and those it waits for. */
    record Metrics(Set<Integer> writing, Set<Integer> waiting) {
        private static final Pattern WRITING =
                Pattern.compile("(?m)^consumer_partition_writing\\{partition=\"(\\d+)\"} 1(\\.0)?$");
        private static final Pattern WAITING =
                Pattern.compile("(?m)^consumer_partition_claim_wait_seconds\\{partition=\"(\\d+)\"} \\S+$");

        static Metrics parse(String text) {
            return new Metrics(partitions(WRITING, text), partitions(WAITING, text));
        }

        private static Set<Integer> partitions(Pattern pattern, String text) {
            Set<Integer> partitions = new TreeSet<>();
            Matcher matcher = pattern.matcher(text);
            while (matcher.find()) {
                partitions.add(Integer.parseInt(matcher.group(1)));
            }
            return partitions;
        }
    }

    /** One consumer JVM of the group, with its status port. */
    record Instance(String name, ChildJvm jvm, int port) {
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

        /** Same group, same data directory, no instance id: as two replicas of one service on one volume. */
        static Instance start(FaultPipeline pipeline, String name) {
            int port = LocalKafkaBroker.freePort();
            Path clientProperties = pipeline.dir.resolve("consumer-client.properties");
            try {
                Files.writeString(clientProperties, "session.timeout.ms=" + SESSION_TIMEOUT.toMillis()
                        + "\nheartbeat.interval.ms=1000\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            ChildJvm jvm = ClickApps.consumer(pipeline.broker.bootstrapServers(), FaultPipeline.TOPIC,
                            FaultPipeline.GROUP, pipeline.sinkDir())
                    .environment(Map.of("CONSUMER_PORT", Integer.toString(port),
                            "KAFKA_CLIENT_PROPERTIES", clientProperties.toString()))
                    .log(pipeline.dir.resolve("consumer-" + name + ".log"))
                    .start();
            return new Instance(name, jvm, port);
        }

        /** Nothing owned while the status server is not up (starting, or the JVM is stopped). */
        Metrics metrics() {
            try {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.ofString());
                return response.statusCode() == 200 ? Metrics.parse(response.body()) : new Metrics(Set.of(), Set.of());
            } catch (IOException e) {
                return new Metrics(Set.of(), Set.of());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        /** SIGSTOP (hangs, as a long GC pause or a frozen VM would) or SIGCONT. */
        void signal(String signal) {
            if (!jvm.isAlive()) {
                return;
            }
            try {
                Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(jvm.pid()))
                        .redirectErrorStream(true).start();
                String output = new String(kill.getInputStream().readAllBytes());
                assertEquals(0, kill.waitFor(), "kill -" + signal + " " + jvm.pid() + ": " + output);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot send SIG" + signal + " to consumer " + name, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** Line counts of the partition files, read incrementally: polled every 20 ms, they must stay cheap. */
    static final class Lines {
        private final Path dataDir;
        /** Per file: how far it was read, and how many lines it had there. */
        private final Map<Path, long[]> positionAndCount = new HashMap<>();

        Lines(Path dataDir) {
            this.dataDir = dataDir;
        }

        synchronized Map<Integer, Long> of(Collection<Integer> partitions) {
            Map<Integer, Long> counts = new TreeMap<>();
            for (int partition : partitions) {
                counts.put(partition, count(partition));
            }
            return counts;
        }

        /** The lines of the partition's files (one per hour it has clicks of), each read on from where it was. */
        private long count(int partition) {
            String prefix = FaultPipeline.TOPIC + "-" + partition + "-";
            long lines = 0;
            try {
                for (Path file : SinkContents.files(dataDir, FaultPipeline.TOPIC)) {
                    if (file.getFileName().toString().startsWith(prefix)) {
                        lines += count(file);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dataDir, e);
            }
            return lines;
        }

        private long count(Path file) {
            long[] state = positionAndCount.computeIfAbsent(file, p -> new long[2]);
            if (!Files.exists(file)) {
                return 0;
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < state[0]) {
                    // cut back (a torn line taken away): count again from the start
                    state[0] = 0;
                    state[1] = 0;
                }
                ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
                while (state[0] < size) {
                    buffer.clear();
                    int read = channel.read(buffer, state[0]);
                    if (read <= 0) {
                        break;
                    }
                    for (int i = 0; i < read; i++) {
                        if (buffer.get(i) == '\n') {
                            state[1]++;
                        }
                    }
                    state[0] += read;
                }
                return state[1];
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
    }
}
