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
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One partition's file on its own: what opening it finds, and a batch's steps. */
class PartitionFileTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);

    @TempDir
    Path dataDir;

    @Test
    void a_line_torn_by_a_crash_is_truncated_and_the_last_complete_line_is_the_resume_point() throws IOException {
        Path file = fileOf(Clicks.stored(0, 0), Clicks.stored(0, 1));
        long complete = Files.size(file);
        byte[] next = Clicks.stored(0, 2).toJsonLine();
        Files.write(file, Arrays.copyOf(next, next.length / 2), StandardOpenOption.APPEND);

        assertEquals(2, JsonLinesClickSink.read(file).size(), "a reader skips the line being written");
        try (PartitionFile partition = open(file)) {
            assertEquals(1, partition.lastOffset());
            assertEquals(complete, Files.size(file));
        }
    }

    @Test
    void a_file_holding_only_a_torn_line_is_emptied_and_has_no_resume_point() throws IOException {
        Path file = JsonLinesClickSink.file(dataDir, P0);
        Files.write(file, "{\"topic\":\"".getBytes(StandardCharsets.UTF_8));

        try (PartitionFile partition = open(file)) {
            assertEquals(-1, partition.lastOffset());
        }
        assertEquals(0, Files.size(file));
    }

    @Test
    void a_corrupt_complete_last_line_stops_with_the_file_name_instead_of_guessing() throws IOException {
        Path file = JsonLinesClickSink.file(dataDir, P0);
        Files.write(file, "this is not a click\n".getBytes(StandardCharsets.UTF_8));

        IOException e = assertThrows(IOException.class, () -> open(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void a_file_holding_another_partitions_clicks_is_refused() throws IOException {
        Path file = fileOf(Clicks.stored(1, 0));

        IOException e = assertThrows(IOException.class, () -> open(file));
        assertTrue(e.getMessage().contains("move the file away"), e.getMessage());
    }

    @Test
    void a_resume_point_is_found_in_a_file_larger_than_one_read_block() throws IOException {
        StoredClick[] many = new StoredClick[500];
        for (int offset = 0; offset < many.length; offset++) {
            many[offset] = Clicks.stored(0, offset);
        }

        try (PartitionFile partition = open(fileOf(many))) {
            assertEquals(499, partition.lastOffset());
        }
    }

    @Test
    void a_kept_batch_moves_the_resume_point_and_the_window_of_client_event_ids() throws IOException {
        try (PartitionFile partition = open(JsonLinesClickSink.file(dataDir, P0))) {
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
        try (PartitionFile partition = open(file)) {
            partition.stage(Clicks.fromBrowser(0, 1, "alice", "c-1"));
            partition.appendStaged();
            partition.dropStaged();

            assertEquals(0, partition.lastOffset());
            assertEquals(PartitionFile.Staged.NEW, partition.stage(Clicks.fromBrowser(0, 1, "alice", "c-1")),
                    "the same click again is no repeat of the dropped one");
        }
        assertEquals(Arrays.toString(before), Arrays.toString(Files.readAllBytes(file)));
    }

    /** A file of these clicks' lines, written directly. */
    private Path fileOf(StoredClick... clicks) throws IOException {
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        for (StoredClick click : clicks) {
            lines.writeBytes(click.toJsonLine());
        }
        Path file = JsonLinesClickSink.file(dataDir, P0);
        Files.write(file, lines.toByteArray());
        return file;
    }

    private static PartitionFile open(Path file) throws IOException {
        return PartitionFile.open(file, P0, path -> FileChannel.open(path,
                StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }
}
