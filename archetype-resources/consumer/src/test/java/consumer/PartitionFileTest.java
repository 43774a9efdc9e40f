package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One partition's files on their own: what opening them finds, a batch's steps, and the hourly files. */
class PartitionFileTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);
    /** The hour of {@link Clicks}' clicks, 2024-04-01T12:00Z, in hours since the epoch. */
    private static final long NOON = ClickFiles.hourOf(Instant.parse("2024-04-01T12:00:00Z"));

    @TempDir
    Path dataDir;

    @Test
    void a_line_torn_by_a_crash_is_truncated_and_the_last_complete_line_is_the_resume_point() throws IOException {
        Path file = fileOf(Clicks.stored(0, 0), Clicks.stored(0, 1));
        long complete = Files.size(file);
        byte[] next = Clicks.stored(0, 2).toJsonLine();
        Files.write(file, Arrays.copyOf(next, next.length / 2), StandardOpenOption.APPEND);

        assertEquals(2, JsonLinesClickSink.read(file).size(), "a reader skips the line being written");
        try (PartitionFile partition = open()) {
            assertEquals(1, partition.lastOffset());
            assertEquals(complete, Files.size(file));
        }
    }

    @Test
    void a_newest_file_holding_only_a_torn_line_is_deleted_and_the_file_before_is_the_resume_point()
            throws IOException {
        fileOf(Clicks.stored(0, 0), Clicks.stored(0, 1));
        Path started = fileAt(NOON + 1, 2);
        Files.write(started, "{\"topic\":\"".getBytes(StandardCharsets.UTF_8));

        try (PartitionFile partition = open()) {
            assertEquals(1, partition.lastOffset());
            partition.stage(Clicks.stored(0, 2));
            partition.appendStaged();
            partition.force();
            partition.keepStaged();
        }
        assertEquals(List.of(fileAt(NOON, 0)), files(), "offset 2 is of noon: the file of noon goes on");
    }

    @Test
    void a_partition_without_files_has_no_resume_point_and_creates_none_until_a_click_comes() throws IOException {
        try (PartitionFile partition = open()) {
            assertEquals(-1, partition.lastOffset());
        }
        assertEquals(List.of(), files());
    }

    @Test
    void a_corrupt_complete_last_line_stops_with_the_file_name_instead_of_guessing() throws IOException {
        Path file = fileAt(NOON, 0);
        Files.write(file, "this is not a click\n".getBytes(StandardCharsets.UTF_8));

        IOException e = assertThrows(IOException.class, this::open);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void a_file_holding_another_partitions_clicks_is_refused() throws IOException {
        fileOf(Clicks.stored(1, 0));

        IOException e = assertThrows(IOException.class, this::open);
        assertTrue(e.getMessage().contains("move the file away"), e.getMessage());
    }

    @Test
    void a_resume_point_is_found_in_a_file_larger_than_one_read_block() throws IOException {
        StoredClick[] many = new StoredClick[500];
        for (int offset = 0; offset < many.length; offset++) {
            many[offset] = Clicks.stored(0, offset);
        }

        fileOf(many);
        try (PartitionFile partition = open()) {
            assertEquals(499, partition.lastOffset());
        }
    }

    @Test
    void a_kept_batch_moves_the_resume_point_and_the_window_of_client_event_ids() throws IOException {
        try (PartitionFile partition = open()) {
            assertEquals(PartitionFile.Staged.NEW, partition.stage(Clicks.fromBrowser(0, 0, "alice", "c-1")));
            assertEquals(PartitionFile.Staged.REPEAT, partition.stage(Clicks.fromBrowser(0, 1, "alice", "c-1")));
            assertEquals(PartitionFile.Staged.STORED_ALREADY, partition.stage(Clicks.fromBrowser(0, 1, "alice", "c-9")));
            assertEquals(-1, partition.lastOffset(), "nothing is stored before the batch is kept");
            partition.appendStaged();
            partition.force();
            partition.keepStaged();

            assertEquals(0, partition.lastOffset());
            assertEquals(PartitionFile.Staged.REPEAT, partition.stage(Clicks.fromBrowser(0, 2, "alice", "c-1")));
        }
    }

    @Test
    void a_dropped_batch_leaves_the_file_and_its_resume_point_as_they_were() throws IOException {
        Path file = fileOf(Clicks.stored(0, 0));
        byte[] before = Files.readAllBytes(file);
        try (PartitionFile partition = open()) {
            partition.stage(Clicks.fromBrowser(0, 1, "alice", "c-1"));
            partition.appendStaged();
            partition.dropStaged();

            assertEquals(0, partition.lastOffset());
            assertEquals(PartitionFile.Staged.NEW, partition.stage(Clicks.fromBrowser(0, 1, "alice", "c-1")),
                    "the same click again is no repeat of the dropped one");
        }
        assertEquals(Arrays.toString(before), Arrays.toString(Files.readAllBytes(file)));
    }

    @Test
    void a_click_of_another_hour_starts_a_file_in_its_hour_named_after_its_offset() throws IOException {
        try (PartitionFile partition = open()) {
            stageAndKeep(partition, at(0, 0, NOON), at(0, 1, NOON), at(0, 2, NOON + 1), at(0, 3, NOON + 1));
            stageAndKeep(partition, at(0, 4, NOON + 1));
            // A late click (its producer's clock, or a long queue) starts a file of its own hour, never one before.
            stageAndKeep(partition, at(0, 5, NOON), at(0, 6, NOON + 1));
        }

        assertEquals(List.of(fileAt(NOON, 0), fileAt(NOON + 1, 2), fileAt(NOON, 5), fileAt(NOON + 1, 6)), files());
        assertTrue(fileAt(NOON + 1, 2).toString().endsWith(
                Clicks.TOPIC + "/dt=2024-04-01/hour=13/" + Clicks.TOPIC + "-0-2.jsonl"), fileAt(NOON + 1, 2).toString());
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L),
                JsonLinesClickSink.read(dataDir, P0).stream().map(StoredClick::offset).toList());
        try (PartitionFile partition = open()) {
            assertEquals(6, partition.lastOffset(), "the newest file is the one of the highest first offset");
        }
    }

    @Test
    void a_batch_across_an_hour_is_forced_in_every_file_and_dropped_from_every_file() throws IOException {
        fileOf(at(0, 0, NOON));
        byte[] noon = Files.readAllBytes(fileAt(NOON, 0));
        try (PartitionFile partition = open()) {
            partition.stage(at(0, 1, NOON));
            partition.stage(at(0, 2, NOON + 1));
            partition.appendStaged();
            partition.force();
            partition.dropStaged();

            assertEquals(0, partition.lastOffset());
            assertEquals(List.of(fileAt(NOON, 0)), files(), "the file the batch started is deleted");
            assertEquals(Arrays.toString(noon), Arrays.toString(Files.readAllBytes(fileAt(NOON, 0))));

            // The same clicks again (Kafka redelivers them) go into the same files.
            stageAndKeep(partition, at(0, 1, NOON), at(0, 2, NOON + 1));
        }
        assertEquals(List.of(fileAt(NOON, 0), fileAt(NOON + 1, 2)), files());
    }

    @Test
    void the_window_of_client_event_ids_is_read_back_into_the_files_before_the_newest() throws IOException {
        try (PartitionFile partition = open()) {
            stageAndKeep(partition, Clicks.fromBrowser(0, 0, "alice", "c-1"), at(0, 1, NOON + 1));
        }
        try (PartitionFile partition = open()) {
            assertEquals(PartitionFile.Staged.REPEAT, partition.stage(Clicks.fromBrowser(0, 2, "alice", "c-1")),
                    "c-1 is in the file of the hour before the newest");
        }
    }

    /** A click of partition {@code partition} at the start of {@code hour} (hours since the epoch). */
    private static StoredClick at(int partition, long offset, long hour) {
        return Clicks.storedAt(partition, offset, Instant.ofEpochSecond(hour * 3600));
    }

    private static void stageAndKeep(PartitionFile partition, StoredClick... clicks) throws IOException {
        for (StoredClick click : clicks) {
            assertEquals(PartitionFile.Staged.NEW, partition.stage(click));
        }
        partition.appendStaged();
        partition.force();
        partition.keepStaged();
    }

    private List<Path> files() throws IOException {
        return ClickFiles.filesOf(dataDir, P0).stream().map(ClickFiles.ClickFile::path).toList();
    }

    private Path fileAt(long hour, long firstOffset) throws IOException {
        Path file = ClickFiles.file(dataDir, P0, hour, firstOffset);
        Files.createDirectories(file.getParent());
        return file;
    }

    /** A file of these clicks' lines, written directly. */
    private Path fileOf(StoredClick... clicks) throws IOException {
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        for (StoredClick click : clicks) {
            lines.writeBytes(click.toJsonLine());
        }
        Path file = fileAt(ClickFiles.hourOf(clicks[0].click().timestamp()), clicks[0].offset());
        Files.write(file, lines.toByteArray());
        return file;
    }

    private PartitionFile open() throws IOException {
        return PartitionFile.open(dataDir, P0, path -> FileChannel.open(path,
                StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }
}
