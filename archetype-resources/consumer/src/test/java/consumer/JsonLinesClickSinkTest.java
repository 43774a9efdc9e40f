package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonLinesClickSinkTest {

    private static final TopicPartition P0 = new TopicPartition(Clicks.TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(Clicks.TOPIC, 1);

    @TempDir
    Path dataDir;

    @Test
    void write_appends_one_line_per_click_to_the_file_of_its_partition() throws IOException {
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            sink.write(List.of(Clicks.stored(0, 0), Clicks.stored(0, 1)));
            sink.write(List.of(Clicks.stored(0, 2)));
        }

        List<String> lines = Files.readAllLines(JsonLinesClickSink.newestFile(dataDir, P0).orElseThrow());
        assertEquals(3, lines.size());
        assertEquals(new String(Clicks.stored(0, 2).toJsonLine(), StandardCharsets.UTF_8).strip().length(),
                lines.get(2).length());
        assertEquals(List.of(0L, 1L, 2L), offsets(JsonLinesClickSink.readAll(dataDir)));
    }

    @Test
    void a_click_sent_again_by_the_browser_is_stored_once_also_after_a_restart() throws IOException {
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            assertEquals(0, sink.write(List.of(Clicks.fromBrowser(0, 0, "alice", "c-1"),
                    Clicks.fromBrowser(0, 1, "alice", "c-2"))));
            // The answer to the first request was lost: the tracker sends both again, plus a new one.
            assertEquals(2, sink.write(List.of(Clicks.fromBrowser(0, 2, "alice", "c-1"),
                    Clicks.fromBrowser(0, 3, "alice", "c-2"), Clicks.fromBrowser(0, 4, "alice", "c-3"))));
            // Two copies in one poll, and the same id from another user (not a copy).
            assertEquals(1, sink.write(List.of(Clicks.fromBrowser(0, 5, "alice", "c-4"),
                    Clicks.fromBrowser(0, 6, "alice", "c-4"), Clicks.fromBrowser(0, 7, "bob", "c-1"))));
        }
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            // The window is rebuilt from the file: a late copy after the restart is still recognised.
            assertEquals(1, sink.write(List.of(Clicks.fromBrowser(0, 8, "alice", "c-3"),
                    Clicks.fromBrowser(0, 9, "carol", "c-9"))));
        }

        List<StoredClick> stored = JsonLinesClickSink.readAll(dataDir);
        assertEquals(List.of("c-1", "c-2", "c-3", "c-4", "c-1", "c-9"),
                stored.stream().map(click -> click.click().clientEventId()).toList());
        assertEquals(List.of(0L, 1L, 4L, 5L, 7L, 9L), offsets(stored));
    }

    @Test
    void clicks_without_a_client_event_id_are_never_taken_for_repeats() throws IOException {
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            assertEquals(0, sink.write(List.of(Clicks.stored(0, 0), Clicks.stored(0, 1), Clicks.stored(0, 2))));
        }
        assertEquals(3, JsonLinesClickSink.readAll(dataDir).size());
    }

    @Test
    void each_partition_gets_its_own_file_and_its_own_resume_point() throws IOException {
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            sink.write(List.of(Clicks.stored(0, 5), Clicks.stored(1, 9), Clicks.stored(0, 6)));

            assertEquals(OptionalLong.of(6), sink.lastOffset(P0));
            assertEquals(OptionalLong.of(9), sink.lastOffset(P1));
            assertEquals(OptionalLong.empty(), sink.lastOffset(new TopicPartition(Clicks.TOPIC, 2)));
        }

        assertEquals(List.of(5L, 6L), offsets(JsonLinesClickSink.read(dataDir, P0)));
        assertEquals(List.of(9L), offsets(JsonLinesClickSink.read(dataDir, P1)));
    }

    @Test
    void the_last_offset_survives_a_restart_and_is_the_resume_point() throws IOException {
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            sink.write(List.of(Clicks.stored(0, 40), Clicks.stored(0, 41)));
        }

        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            assertEquals(OptionalLong.of(41), sink.lastOffset(P0));
        }
    }

    @Test
    void clicks_at_or_below_the_stored_offset_are_not_stored_twice() throws IOException {
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            sink.write(List.of(Clicks.stored(0, 0), Clicks.stored(0, 1)));
        }
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            // what a redelivery after a crash between the sink and the commit looks like
            sink.write(List.of(Clicks.stored(0, 0), Clicks.stored(0, 1), Clicks.stored(0, 2), Clicks.stored(0, 2)));
        }

        assertEquals(List.of(0L, 1L, 2L), offsets(JsonLinesClickSink.readAll(dataDir)));
    }

    @Test
    void write_forces_every_file_it_touched_to_disk_before_it_returns() throws IOException {
        // The sink forces a batch's files on several threads at once, so the list must take concurrent adds.
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir, file -> new RecordingChannel(file, events, -1)))) {
            sink.write(List.of(Clicks.stored(0, 0), Clicks.stored(1, 0)));
            events.add("returned");
            sink.write(List.of(Clicks.stored(1, 1)));
            events.add("returned");
        }

        String p0 = Clicks.TOPIC + "-0-0.jsonl";
        String p1 = Clicks.TOPIC + "-1-0.jsonl";
        List<String> snapshot = List.copyOf(events);
        assertEquals(8, snapshot.size(), snapshot::toString);
        assertEquals(List.of("write " + p0, "write " + p1), snapshot.subList(0, 2), snapshot::toString);
        // Both files of the first batch are forced before write returns; which force finishes first is up to
        // the threads.
        assertEquals(Set.of("force " + p0, "force " + p1), Set.copyOf(snapshot.subList(2, 4)), snapshot::toString);
        assertEquals(List.of("returned", "write " + p1, "force " + p1, "returned"), snapshot.subList(4, 8),
                snapshot::toString);
    }

    @Test
    void a_failed_write_leaves_no_partial_line_and_the_same_clicks_can_be_written_again() throws IOException {
        List<String> events = new ArrayList<>();
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir, file -> new RecordingChannel(file, events, 1)))) {
            sink.write(List.of(Clicks.stored(0, 0)));
            assertThrows(IOException.class, () -> sink.write(List.of(Clicks.stored(0, 1), Clicks.stored(0, 2))));

            assertEquals(OptionalLong.of(0), sink.lastOffset(P0));
            assertEquals(List.of(0L), offsets(JsonLinesClickSink.readAll(dataDir)));
        }
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            sink.write(List.of(Clicks.stored(0, 1), Clicks.stored(0, 2)));
        }
        assertEquals(List.of(0L, 1L, 2L), offsets(JsonLinesClickSink.readAll(dataDir)));
    }

    @Test
    void a_batch_that_fails_in_one_file_is_taken_back_out_of_every_file() throws IOException {
        String p1 = Clicks.TOPIC + "-1-0.jsonl";
        List<String> events = new ArrayList<>();
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir,
                file -> new RecordingChannel(file, events, file.endsWith(p1) ? 0 : -1)))) {
            assertThrows(IOException.class, () -> sink.write(List.of(Clicks.stored(0, 0), Clicks.stored(1, 0))));

            assertEquals(OptionalLong.empty(), sink.lastOffset(P0));
            assertEquals(Optional.empty(), JsonLinesClickSink.newestFile(dataDir, P0),
                    "partition 0 was written first; the file the batch started is gone again");
            assertEquals(Optional.empty(), JsonLinesClickSink.newestFile(dataDir, P1));
        }
    }

    @Test
    void a_pretty_printed_click_takes_one_line_and_the_file_resumes_after_it() throws IOException {
        StoredClick click = ClickBatch.decode(List.of(Clicks.record(0, 3, Clicks.prettyPrinted()))).clicks().get(0);
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            sink.write(List.of(click));
        }

        assertEquals(1, Files.readAllLines(JsonLinesClickSink.newestFile(dataDir, P0).orElseThrow()).size());
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(dataDir))) {
            assertEquals(OptionalLong.of(3), sink.lastOffset(P0));
            assertEquals(1, sink.write(List.of(Clicks.fromBrowser(0, 4, "alice", "c-1"))),
                    "the window read back from the file knows the click's id");
        }
    }

    @Test
    void a_partition_claimed_by_one_sink_is_refused_to_another_until_released() throws IOException {
        // Two sinks in one JVM, as two consumers in a test: the JVM's file locks belong to the process, so the
        // second one must wait like another process would.
        try (JsonLinesClickSink first = JsonLinesClickSink.open(dataDir);
             JsonLinesClickSink second = JsonLinesClickSink.open(dataDir)) {
            assertTrue(first.claim(P0));
            assertTrue(first.claim(P0), "claiming again what the sink holds is granted");
            assertTrue(!second.claim(P0), "the first sink holds partition 0");
            assertTrue(second.claim(P1), "another partition is free");
            IOException e = assertThrows(IOException.class, () -> second.write(List.of(Clicks.stored(0, 0))));
            assertTrue(e.getMessage().contains(Clicks.TOPIC + "-0.jsonl.lock"), e.getMessage());
            assertThrows(IOException.class, () -> second.lastOffset(P0));

            first.write(List.of(Clicks.stored(0, 0)));
            second.write(List.of(Clicks.stored(1, 0)));
            assertEquals(Set.of(P0), first.claimed());
            assertEquals(Set.of(P1), second.claimed());

            first.release(List.of(P0));
            assertTrue(second.claim(P0), "released");
            assertTrue(!first.claim(P0), "now the second sink holds it");
        }
        assertEquals(List.of(0L), offsets(JsonLinesClickSink.read(dataDir, P0)));
        assertEquals(List.of(0L), offsets(JsonLinesClickSink.read(dataDir, P1)));
    }

    @Test
    void a_new_owner_reads_the_file_as_the_previous_owner_left_it_when_it_let_go() throws IOException {
        try (JsonLinesClickSink previous = JsonLinesClickSink.open(dataDir);
             JsonLinesClickSink next = JsonLinesClickSink.open(dataDir)) {
            assertTrue(previous.claim(P0));
            previous.write(List.of(Clicks.stored(0, 0)));
            assertTrue(!next.claim(P0));
            // The previous owner writes on until it lets go; its last line is cut by a crash.
            previous.write(List.of(Clicks.stored(0, 1)));
            Files.write(JsonLinesClickSink.newestFile(dataDir, P0).orElseThrow(), "{\"topic\":\"cut".getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.APPEND);
            previous.release(List.of(P0));

            assertTrue(next.claim(P0));
            assertEquals(OptionalLong.of(1), next.lastOffset(P0), "resumes after the previous owner's last line");
            // A redelivery of offset 1 is not stored twice; the torn line is gone.
            next.write(List.of(Clicks.stored(0, 1), Clicks.stored(0, 2)));
            next.release(List.of(P0));

            // The first sink gets the partition back: it reads the file again instead of trusting what it knew.
            assertTrue(previous.claim(P0));
            assertEquals(OptionalLong.of(2), previous.lastOffset(P0));
        }
        assertEquals(List.of(0L, 1L, 2L), offsets(JsonLinesClickSink.read(dataDir, P0)));
    }

    @Test
    void a_partition_held_by_another_process_is_refused_until_that_process_dies() throws Exception {
        Path lockFile = JsonLinesClickSink.lockFile(dataDir, P0);
        Process holder = lockInAnotherProcess(lockFile);
        try (JsonLinesClickSink sink = JsonLinesClickSink.open(dataDir)) {
            assertTrue(!sink.claim(P0), "another process holds " + lockFile);
            assertTrue(sink.claim(P1));

            holder.destroyForcibly(); // SIGKILL: no clean-up in that process, the operating system lets go
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
            assertTrue(sink.claim(P0), "the lock of a killed process is free");
            sink.write(List.of(Clicks.stored(0, 0)));
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void a_second_sink_of_the_same_jvm_that_is_refused_leaves_the_first_ones_lock_in_place() throws Exception {
        try (JsonLinesClickSink first = JsonLinesClickSink.open(dataDir);
             JsonLinesClickSink second = JsonLinesClickSink.open(dataDir)) {
            assertTrue(first.claim(P0));
            assertTrue(!second.claim(P0));
            assertTrue(!second.claim(P0));
            // On Linux, a second descriptor of the lock file, once closed, would have dropped the first one's lock.
            assertEquals("held", lockAsSeenByAnotherProcess(JsonLinesClickSink.lockFile(dataDir, P0)));
            first.release(List.of(P0));
            assertEquals("free", lockAsSeenByAnotherProcess(JsonLinesClickSink.lockFile(dataDir, P0)));
        }
    }

    @Test
    void close_releases_every_partition() throws IOException {
        JsonLinesClickSink first = claimingAll(JsonLinesClickSink.open(dataDir));
        first.close();
        try (JsonLinesClickSink second = JsonLinesClickSink.open(dataDir)) {
            assertTrue(second.claim(P0) && second.claim(P1));
            assertThrows(IOException.class, () -> first.claim(P0), "a closed sink claims nothing");
        }
    }

    @Test
    void the_data_directory_is_created_when_missing() throws IOException {
        Path nested = dataDir.resolve("a/b");
        try (JsonLinesClickSink sink = claimingAll(JsonLinesClickSink.open(nested))) {
            sink.write(List.of(Clicks.stored(0, 0)));
        }
        assertTrue(JsonLinesClickSink.newestFile(nested, P0).isPresent());
    }

    /** The partitions these tests write, claimed as the consumer does when they are assigned. */
    private static JsonLinesClickSink claimingAll(JsonLinesClickSink sink) throws IOException {
        for (int partition = 0; partition < 3; partition++) {
            assertTrue(sink.claim(new TopicPartition(Clicks.TOPIC, partition)), "partition " + partition + " is free");
        }
        return sink;
    }

    /**
     * A JVM of its own that locks {@code file} and keeps it until killed: another consumer process, as far as
     * the lock is concerned. Returns once the lock is taken.
     */
    private Process lockInAnotherProcess(Path file) throws IOException {
        Process process = otherProcess("hold", file);
        String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        if (!"locked".equals(line)) {
            process.destroyForcibly();
            throw new IOException("the lock-holding JVM did not start: " + line);
        }
        return process;
    }

    /** Whether another process could lock {@code file} now: "free" or "held". */
    private String lockAsSeenByAnotherProcess(Path file) throws IOException, InterruptedException {
        Process process = otherProcess("try", file);
        String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return line;
    }

    /** A JVM of its own (a single-file source program) that holds the lock of {@code file}, or only tries it. */
    private Process otherProcess(String mode, Path file) throws IOException {
        Path source = dataDir.resolve("OtherProcess.java");
        Files.writeString(source, String.join("\n",
                "import java.nio.channels.FileChannel;",
                "import java.nio.channels.FileLock;",
                "import java.nio.file.Path;",
                "import java.nio.file.StandardOpenOption;",
                "public class OtherProcess {",
                "    public static void main(String[] args) throws Exception {",
                "        FileChannel channel = FileChannel.open(Path.of(args[1]), StandardOpenOption.CREATE,"
                        + " StandardOpenOption.WRITE);",
                "        if (args[0].equals(\"try\")) {",
                "            FileLock lock = channel.tryLock();",
                "            System.out.println(lock == null ? \"held\" : \"free\");",
                "            return;",
                "        }",
                "        channel.lock();",
                "        System.out.println(\"locked\");",
                "        Thread.sleep(120_000);",
                "    }",
                "}"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, source.toString(), mode, file.toString()).redirectErrorStream(true).start();
    }

    private static List<Long> offsets(List<StoredClick> clicks) {
        return clicks.stream().map(StoredClick::offset).toList();
    }

    /** A real file channel that records writes and forces, and can fail its n-th write half-way. */
    private static final class RecordingChannel extends FileChannel {
        private final FileChannel file;
        private final String name;
        private final List<String> events;
        private int writesUntilFailure;

        RecordingChannel(Path path, List<String> events, int writesBeforeFailure) throws IOException {
            this.file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            this.name = path.getFileName().toString();
            this.events = events;
            this.writesUntilFailure = writesBeforeFailure;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            events.add("write " + name);
            if (writesUntilFailure-- == 0) {
                ByteBuffer half = src.duplicate();
                half.limit(src.position() + src.remaining() / 2);
                file.write(half);
                throw new IOException("disk full (simulated)");
            }
            return file.write(src);
        }

        @Override
        public void force(boolean metaData) throws IOException {
            events.add("force " + name);
            file.force(metaData);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return file.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return file.read(dsts, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            throw new UnsupportedOperationException("the sink writes one buffer at a time");
        }

        @Override
        public long position() throws IOException {
            return file.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            file.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return file.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            file.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return file.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return file.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return file.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) {
            throw new UnsupportedOperationException("the sink appends at the channel's position");
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return file.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return file.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return file.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            file.close();
        }
    }
}
