package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A full disk, for real: the data directory is a 2 MB tmpfs ({@link SmallTmpfs}), filled up by another file. */
class JsonLinesDiskFullTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);
    private static final Instant NOON = Instant.parse("2024-04-01T12:00:00Z");

    @TempDir
    Path temporary;
    private SmallTmpfs disk;
    private Path dataDir;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        disk = SmallTmpfs.mount(temporary.resolve("small-disk"), "2m");
        dataDir = disk.dir();
    }

    @AfterEach
    void unmount() throws Exception {
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    void a_full_disk_makes_the_sink_unavailable_keeps_nothing_of_the_batch_and_it_goes_on_once_there_is_room()
            throws IOException {
        List<StoredClick> batch = new ArrayList<>();
        for (int offset = 1; offset <= 400; offset++) {
            // Across an hour: the batch appends to the newest file and starts the next hour's file.
            batch.add(Clicks.storedAt(0, offset, offset <= 200 ? NOON : NOON.plusSeconds(3600)));
        }
        try (JsonLinesClickSink sink = JsonLinesClickSink.open(dataDir)) {
            assertTrue(sink.claim(P0));
            sink.write(List.of(Clicks.storedAt(0, 0, NOON)));
            Path newest = JsonLinesClickSink.newestFile(dataDir, P0).orElseThrow();
            byte[] before = Files.readAllBytes(newest);
            Path filler = disk.fillUp();

            SinkUnavailableException e = assertThrows(SinkUnavailableException.class, () -> sink.write(batch));
            assertTrue(e.getMessage().contains("No space left on device") && e.getMessage().contains(dataDir.toString()),
                    e.getMessage());
            assertEquals(OptionalLong.of(0), sink.lastOffset(P0));
            assertEquals(new String(before, StandardCharsets.UTF_8), Files.readString(newest), "cut back");
            assertEquals(List.of(newest), files(), "the next hour's file is gone again");
            assertThrows(SinkUnavailableException.class, () -> sink.write(batch), "still full");

            Files.delete(filler);
            assertEquals(0, sink.write(batch));
            assertEquals(OptionalLong.of(400), sink.lastOffset(P0));
        }
        List<Long> offsets = JsonLinesClickSink.readAll(dataDir).stream().map(StoredClick::offset).toList();
        assertEquals(401, offsets.size());
        assertEquals(400L, offsets.get(400));
        assertEquals(2, files().size());
    }

    private List<Path> files() throws IOException {
        return ClickFiles.filesOf(dataDir, P0).stream().map(ClickFiles.ClickFile::path).toList();
    }
}
