package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator who keeps the files for months relies on: retention by whole hours, and upgrading in place. */
class JsonLinesRetentionTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(Clicks.TOPIC, 1);
    private static final Instant DAY_ONE = Instant.parse("2024-04-01T12:00:00Z");

    @TempDir
    Path dataDir;

    private final SettableClock clock = new SettableClock(DAY_ONE);

    @Test
    void hours_older_than_the_retention_are_deleted_on_start_but_never_a_partitions_newest_file() throws IOException {
        try (JsonLinesClickSink sink = claimed(JsonLinesClickSink.open(dataDir, Duration.ofDays(1), clock))) {
            sink.write(List.of(Clicks.storedAt(0, 0, DAY_ONE), Clicks.storedAt(0, 1, DAY_ONE.plusSeconds(3600)),
                    Clicks.storedAt(0, 2, DAY_ONE.plus(Duration.ofDays(2))),
                    Clicks.storedAt(1, 0, DAY_ONE), Clicks.storedAt(1, 1, DAY_ONE.plusSeconds(60))));
        }
        clock.set(DAY_ONE.plus(Duration.ofDays(3)).plusSeconds(1800));

        try (JsonLinesClickSink sink = claimed(JsonLinesClickSink.open(dataDir, Duration.ofDays(1), clock))) {
            assertEquals(OptionalLong.of(2), sink.lastOffset(P0));
            assertEquals(OptionalLong.of(1), sink.lastOffset(P1), "all of it expired, but it is what P1 resumes from");
        }

        assertEquals(List.of(2L), offsets(JsonLinesClickSink.read(dataDir, P0)));
        assertEquals(List.of(0L, 1L), offsets(JsonLinesClickSink.read(dataDir, P1)));
        Path topicDir = dataDir.resolve(Clicks.TOPIC);
        assertFalse(Files.exists(topicDir.resolve("dt=2024-04-01/hour=13")), "an emptied hour's folder goes too");
        assertTrue(Files.exists(topicDir.resolve("dt=2024-04-01/hour=12")), "it holds P1's newest file");
    }

    @Test
    void the_hourly_check_deletes_a_file_once_a_newer_one_took_over_and_its_hour_expired() throws IOException {
        try (JsonLinesClickSink sink = claimed(JsonLinesClickSink.open(dataDir, Duration.ofDays(1), clock))) {
            sink.write(List.of(Clicks.storedAt(0, 0, DAY_ONE)));
            clock.set(DAY_ONE.plus(Duration.ofDays(2)));
            sink.applyRetention();
            assertEquals(List.of(0L), offsets(JsonLinesClickSink.read(dataDir, P0)), "still the newest file");

            sink.write(List.of(Clicks.storedAt(0, 1, clock.instant())));
            sink.applyRetention();
            assertEquals(List.of(1L), offsets(JsonLinesClickSink.read(dataDir, P0)));

            clock.set(clock.instant().plus(Duration.ofHours(23)));
            sink.write(List.of(Clicks.storedAt(0, 2, clock.instant())));
            sink.applyRetention();
            assertEquals(List.of(1L, 2L), offsets(JsonLinesClickSink.read(dataDir, P0)), "23 hours are within a day");
            assertEquals(OptionalLong.of(2), sink.lastOffset(P0));
        }
    }

    @Test
    void the_retention_comes_from_the_environment_in_whole_days() {
        assertEquals(Duration.ofDays(90), JsonLinesClickSink.retentionFrom(Map.of()));
        assertEquals(Duration.ofDays(7), JsonLinesClickSink.retentionFrom(Map.of("CLICK_RETENTION_DAYS", " 7 ")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JsonLinesClickSink.retentionFrom(Map.of("CLICK_RETENTION_DAYS", "0")));
        assertTrue(e.getMessage().contains("CLICK_RETENTION_DAYS"), e.getMessage());
    }

    @Test
    void a_directory_of_the_earlier_layout_is_taken_over_with_nothing_lost_or_stored_twice() throws IOException {
        // One file per partition at the root, as earlier versions wrote it, its last line cut off by a kill.
        Path legacy = dataDir.resolve(Clicks.TOPIC + "-0.jsonl");
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        for (int offset = 0; offset < 3; offset++) {
            lines.writeBytes(Clicks.fromBrowser(0, offset, "alice", "c-" + offset).toJsonLine());
        }
        lines.writeBytes("{\"topic\":\"".getBytes(StandardCharsets.UTF_8));
        Files.write(legacy, lines.toByteArray());

        try (JsonLinesClickSink sink = claimed(JsonLinesClickSink.open(dataDir, Duration.ofDays(1), clock))) {
            assertEquals(OptionalLong.of(2), sink.lastOffset(P0), "resumes after the old file's last complete line");
            // Kafka redelivers from the committed offset: 1 and 2 are stored, 3 is a browser's retry of c-2.
            assertEquals(1, sink.write(List.of(Clicks.fromBrowser(0, 1, "alice", "c-1"),
                    Clicks.fromBrowser(0, 2, "alice", "c-2"), Clicks.fromBrowser(0, 3, "alice", "c-2"),
                    Clicks.fromBrowser(0, 4, "alice", "c-4"))));
        }
        assertEquals(List.of(0L, 1L, 2L, 4L), offsets(JsonLinesClickSink.readAll(dataDir)));
        assertEquals(dataDir.resolve(Clicks.TOPIC + "/dt=2024-04-01/hour=12/" + Clicks.TOPIC + "-0-4.jsonl"),
                JsonLinesClickSink.newestFile(dataDir, P0).orElseThrow(), "the old file is never appended to");

        try (JsonLinesClickSink sink = claimed(JsonLinesClickSink.open(dataDir, Duration.ofDays(1), clock))) {
            assertEquals(OptionalLong.of(4), sink.lastOffset(P0));
            assertEquals(1, sink.write(List.of(Clicks.fromBrowser(0, 5, "alice", "c-0"))),
                    "the window is read back into the old file");
            clock.set(DAY_ONE.plus(Duration.ofDays(2)));
            sink.applyRetention();
        }
        assertFalse(Files.exists(legacy), "deleted whole once its newest click expired");
        assertEquals(List.of(4L), offsets(JsonLinesClickSink.readAll(dataDir)));
    }

    @Test
    void an_old_file_that_is_still_all_a_partition_has_is_kept_and_read() throws IOException {
        Path legacy = dataDir.resolve(Clicks.TOPIC + "-0.jsonl");
        Files.write(legacy, Clicks.storedAt(0, 7, DAY_ONE).toJsonLine(), StandardOpenOption.CREATE_NEW);
        clock.set(DAY_ONE.plus(Duration.ofDays(30)));

        try (JsonLinesClickSink sink = claimed(JsonLinesClickSink.open(dataDir, Duration.ofDays(1), clock))) {
            assertEquals(OptionalLong.of(7), sink.lastOffset(P0));
        }
        assertTrue(Files.exists(legacy), "the resume point of its partition");
    }

    private static JsonLinesClickSink claimed(JsonLinesClickSink sink) throws IOException {
        assertTrue(sink.claim(P0));
        assertTrue(sink.claim(P1));
        return sink;
    }

    private static List<Long> offsets(List<StoredClick> clicks) {
        return clicks.stream().map(StoredClick::offset).toList();
    }

    /** A clock the test moves. */
    private static final class SettableClock extends Clock {
        private volatile Instant now;

        SettableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
