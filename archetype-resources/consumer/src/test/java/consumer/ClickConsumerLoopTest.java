package ${package}.consumer;

import ${package}.doctor.BootstrapServers;
import ${package}.doctor.KafkaClientProperties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The consumer loop against Kafka's MockConsumer and MockProducer, with the real JSON Lines sink: what is stored,
 * committed and dead-lettered, and in which order. The same with a real broker is the dev module's smoke test.
 */
@Timeout(60)
class ClickConsumerLoopTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);
    private static final String DEAD_LETTERS = Clicks.TOPIC + ".dlq";

    @TempDir
    Path dataDir;

    private final CommitRecordingConsumer consumer = new CommitRecordingConsumer();
    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private ClickConsumerApp app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void every_click_is_stored_and_committed_only_after_the_sink_has_it() throws Exception {
        ClickSink sink = new CommitCheckingSink(JsonLinesClickSink.open(dataDir));
        assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.validRecord(0, 1), Clicks.validRecord(0, 2));

        app = ClickConsumerApp.start(config(), sink, consumer, () -> producer);
        await("3 clicks stored", () -> app.storedCount() == 3);
        app.close();

        assertEquals(List.of(0L, 1L, 2L), offsets(JsonLinesClickSink.readAll(dataDir)));
        assertEquals(3, committed(P0));
        assertTrue(consumer.closed(), "the consumer is closed");
        assertEquals(Set.of(), app.assignment());
    }

    @Test
    void a_valid_record_lands_in_its_file_with_the_bytes_it_came_with() throws Exception {
        assignAndAdd(0, Clicks.record(0, 0, Clicks.handWritten()));

        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        await("1 click stored", () -> app.storedCount() == 1);
        app.close();

        String envelope = "{\"topic\":\"" + Clicks.TOPIC + "\",\"partition\":0,\"offset\":0,\"click\":";
        String click = new String(Clicks.handWritten(), StandardCharsets.UTF_8);
        assertArrayEquals((envelope + click + "}\n").getBytes(StandardCharsets.UTF_8),
                Files.readAllBytes(JsonLinesClickSink.newestFile(dataDir, P0).orElseThrow()));
    }

    @Test
    void a_partition_resumes_after_the_last_stored_click_when_the_commit_lags_behind() throws Exception {
        try (JsonLinesClickSink earlier = JsonLinesClickSink.open(dataDir)) {
            assertTrue(earlier.claim(P0));
            earlier.write(List.of(Clicks.stored(0, 0), Clicks.stored(0, 1), Clicks.stored(0, 2)));
        }
        // the crash came after the sink had offset 2 and before offsets 1 and 2 were committed
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(1)));
        assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.validRecord(0, 1), Clicks.validRecord(0, 2),
                Clicks.validRecord(0, 3));

        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        await("offset 3 committed", () -> committed(P0) == 4);
        app.close();

        assertEquals(List.of(0L, 1L, 2L, 3L), offsets(JsonLinesClickSink.readAll(dataDir)));
        assertEquals(1, app.storedCount(), "only offset 3 was new");
    }

    @Test
    void a_partition_with_nothing_stored_or_committed_starts_at_its_beginning() throws Exception {
        assignAndAdd(3, Clicks.validRecord(0, 3), Clicks.validRecord(0, 4));

        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        await("2 clicks stored", () -> app.storedCount() == 2);
        app.close();

        assertEquals(List.of(3L, 4L), offsets(JsonLinesClickSink.readAll(dataDir)));
    }

    @Test
    void an_undecodable_record_goes_to_the_dead_letter_topic_and_the_commit_covers_it() throws Exception {
        assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.record(0, 1, null),
                Clicks.record(0, 2, "{\"itemId\":".getBytes(StandardCharsets.UTF_8)));

        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        await("offset 2 committed", () -> committed(P0) == 3);
        app.close();

        assertEquals(List.of(0L), offsets(JsonLinesClickSink.readAll(dataDir)));
        List<ProducerRecord<byte[], byte[]>> letters = producer.history();
        assertEquals(2, letters.size());
        assertEquals(DEAD_LETTERS, letters.get(0).topic());
        assertEquals("1", new String(letters.get(0).headers().lastHeader(DeadLetter.OFFSET_HEADER).value(),
                StandardCharsets.UTF_8));
        assertEquals(2, app.deadLetteredCount());
        assertTrue(producer.closed(), "the dead-letter producer is closed");
    }

    @Test
    void a_dead_letter_the_broker_did_not_take_is_sent_again_and_nothing_is_stored_or_committed_before() throws Exception {
        MockProducer<byte[], byte[]> manual =
                new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        assignAndAdd(0, Clicks.record(0, 0, null), Clicks.validRecord(0, 1));

        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> manual);
        await("the first attempt", () -> manual.history().size() == 1);
        manual.errorNext(new TimeoutException("the broker is away (simulated)"));
        // the consumer seeks back to the dead letter, and the batch comes again (CommitRecordingConsumer.seek)
        await("the second attempt", () -> manual.history().size() == 2);
        assertEquals(List.of(), JsonLinesClickSink.readAll(dataDir), "the click after the dead letter waits");
        assertEquals(-1, committed(P0));
        manual.completeNext();
        await("offset 1 committed", () -> committed(P0) == 2);
        app.close();

        assertEquals(List.of(1L), offsets(JsonLinesClickSink.readAll(dataDir)));
        assertEquals(1, app.deadLetteredCount());
    }

    @Test
    void a_sink_that_cannot_write_stops_the_consumer_with_the_cause_and_commits_nothing() throws Exception {
        ClickSink broken = new ClickSink() {
            @Override
            public int write(List<StoredClick> clicks) throws IOException {
                throw new IOException("disk full (simulated)");
            }

            @Override
            public OptionalLong lastOffset(TopicPartition partition) {
                return OptionalLong.empty();
            }

            @Override
            public void close() {
            }
        };
        assignAndAdd(0, Clicks.validRecord(0, 0));

        app = ClickConsumerApp.start(config(), broken, consumer, () -> producer);

        assertTrue(app.awaitTermination(Duration.ofSeconds(10)), "the loop stopped");
        assertInstanceOf(IOException.class, app.failure().orElseThrow());
        assertEquals(-1, committed(P0));
    }

    @Test
    void a_topic_that_ends_before_the_stored_clicks_stops_the_consumer_naming_the_file() throws Exception {
        try (JsonLinesClickSink earlier = JsonLinesClickSink.open(dataDir)) {
            assertTrue(earlier.claim(P0));
            earlier.write(List.of(Clicks.stored(0, 99)));
        }
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        consumer.updateEndOffsets(Map.of(P0, 10L));
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            consumer.setPollException(new OffsetOutOfRangeException(Map.of(P0, 100L)));
        });

        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);

        assertTrue(app.awaitTermination(Duration.ofSeconds(10)), "the loop stopped");
        String message = app.failure().orElseThrow().getMessage();
        assertTrue(message.contains("ends at offset 10") && message.contains(Clicks.TOPIC + "-0-*.jsonl"), message);
    }

    @Test
    void close_does_not_wait_for_a_dead_letter_the_broker_never_answers_and_stores_nothing_after_it() throws Exception {
        MockProducer<byte[], byte[]> silent =
                new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        assignAndAdd(0, Clicks.record(0, 0, null), Clicks.validRecord(0, 1));
        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> silent);
        await("the dead letter sent", () -> silent.history().size() == 1);

        long start = System.nanoTime();
        app.close();

        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "close returned within seconds");
        assertTrue(app.failure().isEmpty(), "a requested stop is no failure");
        assertEquals(List.of(), JsonLinesClickSink.readAll(dataDir));
        assertEquals(-1, committed(P0));
    }

    @Test
    void close_leaves_poll_commits_and_releases_the_data_directory() throws Exception {
        assignAndAdd(0, Clicks.validRecord(0, 0));
        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        await("1 click stored", () -> app.storedCount() == 1);

        app.close();

        assertTrue(!app.isRunning() && app.failure().isEmpty(), "stopped without a failure");
        assertEquals(1, committed(P0));
        try (JsonLinesClickSink next = JsonLinesClickSink.open(dataDir)) {
            assertTrue(next.claim(P0), "the partition's file is free for the next consumer");
        }
    }

    @Test
    void a_partition_another_consumer_still_holds_waits_paused_then_resumes_where_that_one_stopped() throws Exception {
        JsonLinesClickSink previous = JsonLinesClickSink.open(dataDir);
        assertTrue(previous.claim(P0));
        previous.write(List.of(Clicks.stored(0, 0), Clicks.stored(0, 1)));
        // The group has given partition 0 to this consumer before its previous owner let go; nothing is committed.
        assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.validRecord(0, 1), Clicks.validRecord(0, 2),
                Clicks.validRecord(0, 3));

        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        await("partition 0 waits for its file", () -> app.waitingForClaim().containsKey(P0));
        Thread.sleep(500);
        assertEquals(0, app.storedCount(), "nothing is read while the previous owner holds the file");
        assertTrue(consumer.paused().contains(P0), "paused meanwhile");
        // The previous owner stores one more batch, then lets go.
        previous.write(List.of(Clicks.stored(0, 2)));
        previous.close();

        await("offset 3 committed", () -> committed(P0) == 4);
        assertEquals(Map.of(), app.waitingForClaim());
        app.close();
        assertEquals(List.of(0L, 1L, 2L, 3L), offsets(JsonLinesClickSink.readAll(dataDir)));
        assertEquals(1, app.storedCount(), "only offset 3 was new: the resume point was read after the other let go");
    }

    @Test
    void a_partition_waiting_for_its_file_and_without_any_position_is_not_read_from_the_sink_until_claimed()
            throws Exception {
        JsonLinesClickSink previous = JsonLinesClickSink.open(dataDir);
        assertTrue(previous.claim(P0));
        previous.write(List.of(Clicks.stored(0, 0), Clicks.stored(0, 1)));
        assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.validRecord(0, 1), Clicks.validRecord(0, 2));
        // Nothing committed and no automatic reset: Kafka asks where to start, also for the paused partition.
        consumer.schedulePollTask(() -> consumer.setPollException(new NoOffsetForPartitionException(P0)));

        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        await("partition 0 waits for its file", () -> app.waitingForClaim().containsKey(P0));
        Thread.sleep(500);
        assertTrue(app.isRunning(), "the question is answered without reading a file another process writes: "
                + app.failure());
        assertEquals(0, app.storedCount());
        previous.close();

        await("offset 2 committed", () -> committed(P0) == 3);
        app.close();
        assertEquals(List.of(0L, 1L, 2L), offsets(JsonLinesClickSink.readAll(dataDir)));
        assertEquals(1, app.storedCount(), "resumed after the file's last line once claimed");
    }

    @Test
    void a_revoked_partition_is_committed_and_its_file_let_go_while_the_consumer_runs_on() throws Exception {
        assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.validRecord(0, 1));
        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        await("2 clicks stored", () -> app.storedCount() == 2);

        consumer.schedulePollTask(() -> consumer.rebalance(List.of()));
        await("partition 0 revoked", () -> app.assignment().isEmpty());

        try (JsonLinesClickSink next = JsonLinesClickSink.open(dataDir)) {
            assertTrue(next.claim(P0), "the next owner gets the file at once");
            assertEquals(OptionalLong.of(1), next.lastOffset(P0));
        }
        assertTrue(app.isRunning());
        assertEquals(2, committed(P0), "committed before it was given up");
    }

    @Test
    void refused_credentials_keep_the_loop_running_and_not_ready_until_kafka_takes_them() throws Exception {
        Path file = Files.writeString(dataDir.resolveSibling(dataDir.getFileName() + "-client.properties"),
                "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n");
        consumer.setPollException(new SaslAuthenticationException("invalid credentials"));
        app = ClickConsumerApp.start(new ClickConsumerConfig(BootstrapServers.resolve(Map.of()), Clicks.TOPIC,
                "test-group", dataDir, Map.of(), KafkaClientProperties.load(file)),
                JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        await("not ready: refused", () -> app.health().problem().startsWith(
                "Kafka refused the credentials from KAFKA_CLIENT_PROPERTIES=" + file));
        assertTrue(app.isRunning() && app.health().live(), "a refusal is not fatal: " + app.health());

        assignAndAdd(0, Clicks.validRecord(0, 0));
        await("the click stored once Kafka takes the credentials", () -> app.storedCount() == 1);
        assertTrue(app.failure().isEmpty());
    }

    @Test
    void a_sink_that_cannot_store_pauses_shows_why_commits_nothing_and_resumes_by_itself() throws Exception {
        FaultySink sink = new FaultySink(new CommitCheckingSink(JsonLinesClickSink.open(dataDir)));
        sink.failures.add(new SinkUnavailableException("the database at db:5432 cannot be reached (refused)", null));
        sink.failures.add(new SinkUnavailableException("the database at db:5432 cannot be reached (refused)", null));
        assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.validRecord(0, 1));

        app = ClickConsumerApp.start(config(), sink, consumer, () -> producer);
        await("two writes refused", () -> sink.attempts.get() >= 2);
        assertEquals(-1, committed(P0), "nothing committed while the sink cannot store");
        assertTrue(app.isRunning(), "the consumer keeps running");
        await("both clicks stored once the sink can again", () -> app.storedCount() == 2);
        await("committed", () -> committed(P0) == 2);
        app.close();

        assertEquals(List.of(0L, 1L), offsets(JsonLinesClickSink.readAll(dataDir)));
        assertEquals(2, app.sinkRetryCount());
    }

    @Test
    void while_the_sink_cannot_store_readyz_says_why() throws Exception {
        FaultySink sink = new FaultySink(JsonLinesClickSink.open(dataDir));
        for (int i = 0; i < 1000; i++) {
            sink.failures.add(new SinkUnavailableException("the database at db:5432 refuses the credentials", null));
        }
        assignAndAdd(0, Clicks.validRecord(0, 0));

        app = ClickConsumerApp.start(config(), sink, consumer, () -> producer);
        await("a write refused", () -> sink.attempts.get() >= 1);
        await("not ready, with the reason", () -> app.health().problem().contains("refuses the credentials"));
        assertTrue(app.health().live(), "live: a restart would not help");
        assertEquals(-1, committed(P0));
        sink.failures.clear();
        await("stored once the sink can", () -> app.storedCount() == 1);
        await("the reason gone", () -> !app.health().problem().contains("refuses the credentials"));
    }

    @Test
    void a_full_disk_pauses_shows_why_commits_nothing_and_goes_on_once_there_is_room() throws Exception {
        try (SmallTmpfs disk = SmallTmpfs.mount(dataDir.resolve("small-disk"), "2m")) {
            Path filler = disk.fillUp();
            assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.validRecord(0, 1));

            app = ClickConsumerApp.start(new ClickConsumerConfig(BootstrapServers.resolve(Map.of()), Clicks.TOPIC,
                    "test-group", disk.dir(), Map.of()), JsonLinesClickSink.open(disk.dir()), consumer, () -> producer);
            await("not ready, with the reason", () -> app.health().problem().contains("No space left on device"));
            assertTrue(app.isRunning() && app.health().live(), "a full disk is not fatal: " + app.health());
            assertEquals(-1, committed(P0), "nothing committed while nothing can be written");

            Files.delete(filler);
            await("both clicks stored once there is room", () -> app.storedCount() == 2);
            await("committed", () -> committed(P0) == 2);
            await("ready again", () -> !app.health().problem().contains("No space left on device"));
            app.close();
            assertEquals(List.of(0L, 1L), offsets(JsonLinesClickSink.readAll(disk.dir())));
        }
    }

    @Test
    void a_fenced_batch_is_not_stored_and_its_partitions_are_read_again_from_the_sink() throws Exception {
        FaultySink sink = new FaultySink(JsonLinesClickSink.open(dataDir));
        sink.failures.add(new BatchFencedException(Set.of(P0), "another consumer stored clicks of [" + P0 + "]"));
        assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.validRecord(0, 1), Clicks.validRecord(0, 2));

        app = ClickConsumerApp.start(config(), sink, consumer, () -> producer);
        await("stored after the fence", () -> app.storedCount() == 3);
        await("committed", () -> committed(P0) == 3);
        app.close();

        assertEquals(List.of(0L, 1L, 2L), offsets(JsonLinesClickSink.readAll(dataDir)));
        assertEquals(1, app.fencedBatchCount());
        assertTrue(sink.claims.get() >= 2, "claimed again after the fence, got " + sink.claims.get() + " claims");
    }

    @Test
    void a_topic_deleted_and_created_again_is_refused_with_what_to_do() throws Exception {
        try (JsonLinesClickSink earlier = JsonLinesClickSink.open(dataDir)) {
            assertTrue(earlier.claim(P0));
            earlier.checkTopicId(Clicks.TOPIC, Uuid.randomUuid());
            earlier.write(List.of(Clicks.stored(0, 0), Clicks.stored(0, 1), Clicks.stored(0, 2)));
        }
        // the new topic has grown past the old offsets: without its id, offsets 0..2 would be skipped as stored
        assignAndAdd(0, Clicks.validRecord(0, 0), Clicks.validRecord(0, 1), Clicks.validRecord(0, 2),
                Clicks.validRecord(0, 3));

        app = ClickConsumerApp.start(config(), JsonLinesClickSink.open(dataDir), consumer, () -> producer);
        assertTrue(app.awaitTermination(Duration.ofSeconds(10)), "the consumer stops");
        String failure = app.failure().orElseThrow().getMessage();
        assertTrue(failure.contains("deleted and created again") && failure.contains("Move"), failure);
        assertEquals(List.of(0L, 1L, 2L), offsets(JsonLinesClickSink.readAll(dataDir)), "nothing mixed in");
        assertEquals(-1, committed(P0));
    }

    private ClickConsumerConfig config() {
        return new ClickConsumerConfig(BootstrapServers.resolve(Map.of()), Clicks.TOPIC, "test-group", dataDir,
                Map.of());
    }

    /** On the first poll (on the loop thread, as a real rebalance would be): assign partition 0, then records. */
    @SafeVarargs
    private void assignAndAdd(long beginning, ConsumerRecord<byte[], byte[]>... records) {
        consumer.updateBeginningOffsets(Map.of(P0, beginning));
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            for (var record : records) {
                consumer.addRecord(record);
            }
        });
    }

    /** The committed offset of a partition, or -1; readable after the consumer was closed. */
    private long committed(TopicPartition partition) {
        return consumer.commits.getOrDefault(partition, -1L);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private static List<Long> offsets(List<StoredClick> clicks) {
        return clicks.stream().map(StoredClick::offset).toList();
    }

    /**
     * A MockConsumer whose commits behave like the group's: kept across a rebalance (MockConsumer forgets them)
     * and readable after close(); and whose records can be read again after a seek back, as a broker's can
     * (MockConsumer hands each added record out once).
     */
    private static final class CommitRecordingConsumer extends MockConsumer<byte[], byte[]> {
        final Map<TopicPartition, Long> commits = new ConcurrentHashMap<>();
        private final List<ConsumerRecord<byte[], byte[]>> added = new CopyOnWriteArrayList<>();

        CommitRecordingConsumer() {
            super("none");
        }

        @Override
        public synchronized void addRecord(ConsumerRecord<byte[], byte[]> record) {
            super.addRecord(record);
            added.add(record);
        }

        /** Offers every record from the offset on again; those the position has passed are skipped by poll(). */
        @Override
        public synchronized void seek(TopicPartition partition, long offset) {
            super.seek(partition, offset);
            for (ConsumerRecord<byte[], byte[]> record : added) {
                if (record.topic().equals(partition.topic()) && record.partition() == partition.partition()
                        && record.offset() >= offset) {
                    super.addRecord(record);
                }
            }
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            super.commitSync(offsets);
            offsets.forEach((partition, offset) -> commits.put(partition, offset.offset()));
        }

        @Override
        public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            commitSync(offsets);
        }

        @Override
        public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                                             OffsetCommitCallback callback) {
            super.commitAsync(offsets, callback);
            offsets.forEach((partition, offset) -> commits.put(partition, offset.offset()));
        }

        @Override
        public synchronized Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> result = new HashMap<>();
            partitions.stream().filter(commits::containsKey)
                    .forEach(partition -> result.put(partition, new OffsetAndMetadata(commits.get(partition))));
            return result;
        }

        @Override
        public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions, Duration timeout) {
            return committed(partitions);
        }
    }

    /** A sink whose writes throw the queued failures first, one each; counts writes and claims. */
    private static final class FaultySink implements ClickSink {
        final Queue<IOException> failures = new ConcurrentLinkedQueue<>();
        final AtomicInteger attempts = new AtomicInteger();
        final AtomicInteger claims = new AtomicInteger();
        private final ClickSink sink;

        FaultySink(ClickSink sink) {
            this.sink = sink;
        }

        @Override
        public int write(List<StoredClick> clicks) throws IOException {
            attempts.incrementAndGet();
            IOException failure = failures.poll();
            if (failure != null) {
                throw failure;
            }
            return sink.write(clicks);
        }

        @Override
        public boolean claim(TopicPartition partition) throws IOException {
            claims.incrementAndGet();
            return sink.claim(partition);
        }

        @Override
        public void checkTopicId(String topic, Uuid topicId) throws IOException {
            sink.checkTopicId(topic, topicId);
        }

        @Override
        public void release(Collection<TopicPartition> partitions) throws IOException {
            sink.release(partitions);
        }

        @Override
        public OptionalLong lastOffset(TopicPartition partition) throws IOException {
            return sink.lastOffset(partition);
        }

        @Override
        public void close() throws IOException {
            sink.close();
        }
    }

    /** Fails a write if any of its clicks is committed already: commits must follow the sink, never lead it. */
    private final class CommitCheckingSink implements ClickSink {
        private final ClickSink sink;

        CommitCheckingSink(ClickSink sink) {
            this.sink = sink;
        }

        @Override
        public int write(List<StoredClick> clicks) throws IOException {
            for (StoredClick click : clicks) {
                if (committed(click.topicPartition()) > click.offset()) {
                    throw new IOException("offset " + click.offset() + " was committed before the sink had it");
                }
            }
            return sink.write(clicks);
        }

        @Override
        public boolean claim(TopicPartition partition) throws IOException {
            return sink.claim(partition);
        }

        @Override
        public void checkTopicId(String topic, Uuid topicId) throws IOException {
            sink.checkTopicId(topic, topicId);
        }

        @Override
        public void release(Collection<TopicPartition> partitions) throws IOException {
            sink.release(partitions);
        }

        @Override
        public OptionalLong lastOffset(TopicPartition partition) throws IOException {
            return sink.lastOffset(partition);
        }

        @Override
        public void close() throws IOException {
            sink.close();
        }
    }
}
