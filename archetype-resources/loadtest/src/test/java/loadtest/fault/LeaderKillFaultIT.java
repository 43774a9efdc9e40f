package ${package}.loadtest.fault;

import ${package}.dev.LocalKafkaBroker;
import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.HttpExchange;
import ${package}.loadtest.SinkContents;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One node of the three-node cluster dies (SIGKILL) during steady load: the node that leads partitions of the
 * click topic and, when it can be, is the active controller too (combined mode: the quorum must elect a new
 * leader before the dead broker is fenced and its partitions move). With three replicas and two in sync required,
 * writes go on: every click that got a 202 must be in the sink exactly once, and the moved partitions must take
 * clicks again. Prints how long clients saw 503s and how long the moved partitions took to take clicks again.
 *
 * <p>Only in projects generated with kafkaNodes=3 (the post-generate script leaves it out of others).
 */
@EnabledIfSystemProperty(named = "fault", matches = "true|cluster",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true (all) or -Dfault=cluster")
class LeaderKillFaultIT {

    /** Clicks per second, one per request: steady, well below capacity, so the lost node is the only stress. */
    private static final int RATE = 200;
    private static final Duration LOAD = Duration.ofSeconds(30);
    private static final Duration KILL_AT = Duration.ofSeconds(8);
    /** The web producer's promise: 202 or 503 within about the delivery timeout (5 s); near 10 s is a hang. */
    private static final double MAX_ANSWER_MILLIS = 8_000;
    /**
     * From the kill to the first 202 on a moved partition: the broker session timeout of the tests' cluster (3 s),
     * a controller election, the producer's next metadata; far less than this on an idle machine.
     */
    private static final Duration MAX_MOVE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void acknowledged_clicks_survive_a_sigkill_of_a_partition_leader_and_its_partitions_move() throws Exception {
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            LocalKafkaBroker cluster = pipeline.broker;
            assertEquals(3, cluster.nodeIds().size(), "the leader kill needs the three-node cluster (kafkaNodes=3)");
            pipeline.startWeb();
            pipeline.startConsumer();

            int partitions = LocalKafkaBroker.CLICK_TOPIC_PARTITIONS;
            Map<Integer, Integer> leaders = leaders(cluster, partitions);
            int controller = cluster.activeController();
            int victim = leaders.containsValue(controller) ? controller : leaders.get(0);
            List<Integer> moved = leaders.entrySet().stream().filter(e -> e.getValue() == victim)
                    .map(Map.Entry::getKey).sorted().toList();

            AckLedger ledger = new AckLedger();
            AtomicLong killedAt = new AtomicLong();
            LongAccumulator first503 = new LongAccumulator(Math::min, Long.MAX_VALUE);
            LongAccumulator last503 = new LongAccumulator(Math::max, Long.MIN_VALUE);
            LongAccumulator firstMovedAccepted = new LongAccumulator(Math::min, Long.MAX_VALUE);
            AtomicLong acceptedOnOthersAfterKill = new AtomicLong();
            ClickLoad.AnswerListener listener = new ClickLoad.AnswerListener() {
                @Override
                public void onAnswer(long seq, HttpExchange.Response response, long due, long sent, long done) {
                    ledger.onAnswer(seq, response, due, sent, done);
                    if (response.status() == 503) {
                        first503.accumulate(done);
                        last503.accumulate(done);
                    }
                    long kill = killedAt.get();
                    if (response.status() == 202 && kill != 0 && sent > kill) {
                        if (moved.contains(partitionOf(seq, partitions))) {
                            firstMovedAccepted.accumulate(done);
                        } else {
                            acceptedOnOthersAfterKill.incrementAndGet();
                        }
                    }
                }

                @Override
                public void onFailure(long seq, IOException error, long due, long sent, long done) {
                    ledger.onFailure(seq, error, due, sent, done);
                }
            };
            ClickLoad load = new ClickLoad(pipeline.base(), "/api/clicks", 64, BenchClicks::single, listener,
                    ClickLoad.Client.SOCKET, 30_000);
            long start = System.nanoTime();
            CompletableFuture<ClickLoad.Result> running = CompletableFuture.supplyAsync(
                    () -> load.fixedRate(RATE, RATE * LOAD.toSeconds()));

            FaultPipeline.sleep(KILL_AT.toMillis());
            int acknowledgedBeforeKill = ledger.acknowledged().size();
            killedAt.set(System.nanoTime());
            cluster.kill(victim);
            System.out.printf("LeaderKillFaultIT: SIGKILLed node %d at %.1f s: leader of partition(s) %s of %d, %s;"
                            + " %d clicks acknowledged so far%n", victim, (killedAt.get() - start) / 1e9, moved,
                    partitions, victim == controller ? "and the active controller" : "not the active controller"
                            + " (node " + controller + " is)", acknowledgedBeforeKill);

            Map<Integer, Integer> newLeaders = awaitNewLeaders(cluster, moved, victim);
            long leadersMoved = System.nanoTime();
            int newController = cluster.activeController();
            System.out.printf("LeaderKillFaultIT: %.1f s after the kill the cluster names new leaders %s (partition ->"
                            + " node); active controller now node %d%n", (leadersMoved - killedAt.get()) / 1e9,
                    newLeaders, newController);

            running.get(LOAD.toSeconds() + 120, TimeUnit.SECONDS);
            SinkContents sink = pipeline.awaitInSink(ledger.acknowledged(), Duration.ofSeconds(90));
            long onTopicTwice = pipeline.eventIdsOnTopic().values().stream().filter(n -> n > 1).count();
            long acknowledgedAfterKill = ledger.acknowledged().size() - ledger.acknowledgedBefore(killedAt.get()).size();
            String window503 = ledger.status(503) == 0 ? "no 503 at all"
                    : String.format("503s from %.2f s to %.2f s after the kill: a window of %.2f s",
                    (first503.get() - killedAt.get()) / 1e9, (last503.get() - killedAt.get()) / 1e9,
                    (last503.get() - first503.get()) / 1e9);
            double movedAfter = firstMovedAccepted.get() == Long.MAX_VALUE ? -1
                    : (firstMovedAccepted.get() - killedAt.get()) / 1e9;

            System.out.println("LeaderKillFaultIT: " + ledger.countsAgainst(sink));
            System.out.printf("LeaderKillFaultIT: %s (%d answers 503); first 202 on the moved partition(s) %s for a"
                            + " click sent after the kill: %.2f s after the kill; 202s on the other partitions"
                            + " after the kill: %d; acknowledged after the kill %d; eventIds twice on the topic %d%n",
                    window503, ledger.status(503), moved, movedAfter, acceptedOnOthersAfterKill.get(),
                    acknowledgedAfterKill, onTopicTwice);

            assertTrue(ledger.protocolFailures().isEmpty(), "answers that break the API: " + ledger.protocolFailures());
            assertEquals(0, ledger.ioFailures(), "requests without an answer (the web producer must answer 202 or"
                    + " 503, not drop connections); first: " + ledger.firstIoFailure());
            assertTrue(ledger.maxServiceMillis() <= MAX_ANSWER_MILLIS, "an answer took " + ledger.maxServiceMillis()
                    + " ms: something hung");
            newLeaders.forEach((partition, leader) -> assertTrue(leader != victim,
                    "partition " + partition + " is still led by the killed node " + victim));
            assertTrue(movedAfter >= 0, "no click sent after the kill was acknowledged on the moved partition(s) "
                    + moved + ": they never took writes again (statuses " + ledger.statuses() + ")");
            assertTrue(movedAfter <= MAX_MOVE.toSeconds(), "the moved partitions took " + movedAfter + " s to take"
                    + " clicks again");
            assertEquals(0, ledger.lostFrom(sink), "clicks answered 202 are missing from the sink");
            assertEquals(0, sink.duplicates(), "clicks stored twice");
            assertEquals(0, onTopicTwice, "clicks written to the topic twice (the producer's retries must be"
                    + " idempotent across a leader change)");
            assertTrue(sink.brokenLines().isEmpty(), "broken sink lines: " + sink.brokenLines());
        }
    }

    /** The partition the web producer's default partitioner picks for click {@code seq} (keyed by its user). */
    private static int partitionOf(long seq, int partitions) {
        byte[] key = ("user-" + (seq % BenchClicks.USERS)).getBytes(StandardCharsets.UTF_8);
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }

    private static Map<Integer, Integer> leaders(LocalKafkaBroker cluster, int partitions) {
        Map<Integer, Integer> leaders = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            OptionalInt leader = cluster.leaderOf(new TopicPartition(FaultPipeline.TOPIC, p));
            assertTrue(leader.isPresent(), "partition " + p + " has no leader before the kill");
            leaders.put(p, leader.getAsInt());
        }
        return leaders;
    }

    /** Waits until every one of {@code moved} has a leader other than {@code victim}; returns them. */
    private static Map<Integer, Integer> awaitNewLeaders(LocalKafkaBroker cluster, List<Integer> moved, int victim) {
        long deadline = System.nanoTime() + MAX_MOVE.toNanos();
        while (true) {
            Map<Integer, Integer> now = new TreeMap<>();
            List<Integer> waiting = new ArrayList<>();
            for (int p : moved) {
                OptionalInt leader = cluster.leaderOf(new TopicPartition(FaultPipeline.TOPIC, p));
                if (leader.isPresent() && leader.getAsInt() != victim) {
                    now.put(p, leader.getAsInt());
                } else {
                    waiting.add(p);
                }
            }
            if (waiting.isEmpty()) {
                return now;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("partition(s) " + waiting + " still have no leader but the killed node "
                        + victim + " after " + MAX_MOVE.toSeconds() + " s; leaders now " + now.entrySet().stream()
                        .map(e -> e.getKey() + "->" + e.getValue()).collect(Collectors.joining(", ")));
            }
            FaultPipeline.sleep(100);
        }
    }
}
