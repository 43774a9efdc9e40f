package ${package}.consumer;

import ${package}.shared.InvalidClickException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The file of one partition in a {@link JsonLinesClickSink}: its clicks in offset order, one line each.
 *
 * <p>Opening it makes it whole and reads where it stands: a line cut off by a crash is truncated away (that click
 * was never committed, so Kafka delivers it again), the last line gives the last stored offset, and the last
 * {@value #RECENT_CLICKS} lines the window of recent client event ids ({@link RecentClientEvents}).
 *
 * <p>A batch goes in steps, so that the sink can force several files at once and take all of them back if one
 * fails: {@link #stage} each click (new, stored already, or a browser's repeat), {@link #appendStaged},
 * {@link #force}, then {@link #keepStaged} once every file of the batch is durable, or {@link #dropStaged}.
 * Until kept, the last offset and the window stay as they were, so a batch that fails and is retried is not
 * taken for its own repeat.
 *
 * <p>Not thread-safe: the sink calls it under its own lock (only {@link #force} runs on another thread).
 */
final class PartitionFile implements Closeable {

    /** How many of a partition's latest clicks a retry is checked against: {@link RecentClientEvents#WINDOW}. */
    static final int RECENT_CLICKS = RecentClientEvents.WINDOW;
    private static final int READ_BLOCK = 8192;
    private static final Logger log = LoggerFactory.getLogger(PartitionFile.class);
    /** Reads lines of the sink's own files when a partition is opened; no limits beyond Jackson's defaults. */
    private static final JsonMapper TAIL_READER = JsonMapper.builder().build();

    /** What {@link #stage} made of a click. */
    enum Staged { NEW, STORED_ALREADY, REPEAT }

    private final FileChannel channel;
    private final RecentClientEvents recent;
    private long lastOffset;

    // The batch under way: its lines, the fingerprints they add to the window, and the offsets seen.
    private final ByteArrayOutputStream staged = new ByteArrayOutputStream();
    private final List<Long> stagedFingerprints = new ArrayList<>();
    private final Set<Long> stagedIds = new HashSet<>();
    private long lastSeen;
    private long lastStaged = -1;
    private long sizeBefore = -1;

    private PartitionFile(FileChannel channel, long lastOffset, RecentClientEvents recent) {
        this.channel = channel;
        this.lastOffset = lastOffset;
        this.lastSeen = lastOffset;
        this.recent = recent;
    }

    /** Opens (creating it if needed) and checks the file of {@code partition}. */
    static PartitionFile open(Path path, TopicPartition partition, JsonLinesClickSink.FileOpener opener)
            throws IOException {
        boolean isNew = !Files.exists(path);
        FileChannel channel = opener.open(path);
        try {
            if (isNew) {
                syncDirectory(path.getParent());
            }
            long size = channel.size();
            long end = lastIndexOf(channel, (byte) '\n', size) + 1;
            if (end < size) {
                log.warn("{}: truncating {} bytes of a line cut off by a crash; that click was never committed,"
                        + " so Kafka delivers it again", path, size - end);
                channel.truncate(end);
                channel.force(false);
            }
            long lastOffset = -1;
            if (end > 0) {
                long start = lastIndexOf(channel, (byte) '\n', end - 1) + 1;
                StoredClick last = parse(path, -1, readString(channel, start, end - 1 - start));
                if (!last.topicPartition().equals(partition)) {
                    throw new IOException(path + " holds clicks of " + last.topicPartition() + ", not of "
                            + partition + ": move the file away");
                }
                lastOffset = last.offset();
            }
            channel.position(end);
            return new PartitionFile(channel, lastOffset, recentClientEvents(path, channel, end));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The offset of the last click stored, or -1. */
    long lastOffset() {
        return lastOffset;
    }

    /**
     * Adds the click's line to the batch unless its offset is stored already (a redelivery) or its client event id
     * is among the recent ones or earlier in this batch (a browser's repeat).
     */
    Staged stage(StoredClick click) {
        if (click.offset() <= lastSeen) {
            return Staged.STORED_ALREADY;
        }
        lastSeen = click.offset();
        String clientEventId = click.click().clientEventId();
        long fingerprint = RecentClientEvents.fingerprint(click.click().partitionKey(), clientEventId);
        if (recent.contains(fingerprint) || (clientEventId != null && !stagedIds.add(fingerprint))) {
            return Staged.REPEAT;
        }
        staged.writeBytes(click.toJsonLine());
        stagedFingerprints.add(fingerprint);
        lastStaged = click.offset();
        return Staged.NEW;
    }

    /** Appends the staged lines at the end of the file (not yet forced). */
    void appendStaged() throws IOException {
        sizeBefore = channel.position();
        ByteBuffer buffer = ByteBuffer.wrap(staged.toByteArray());
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    void force() throws IOException {
        channel.force(false);
    }

    /** The batch is durable: its clicks join the window, and its last one is the new resume point. */
    void keepStaged() {
        stagedFingerprints.forEach(recent::add);
        if (lastStaged >= 0) {
            // A partition whose clicks of this batch were all repeats keeps its last offset: on a restart those
            // records are read again and dropped again, as the window is rebuilt from the file.
            lastOffset = lastStaged;
        }
        clearStaged();
    }

    /** The batch failed: cut the file back to where it was, as a half-written line would glue onto the next. */
    void dropStaged() throws IOException {
        try {
            if (sizeBefore >= 0) {
                channel.truncate(sizeBefore);
                channel.position(sizeBefore);
            }
        } finally {
            clearStaged();
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Reads one complete line of a sink file; {@code lineNumber} -1 names the last line. */
    static StoredClick parse(Path file, int lineNumber, String line) throws IOException {
        try {
            return StoredClick.fromJsonLine(line);
        } catch (InvalidClickException e) {
            String where = lineNumber > 0 ? file + " line " + lineNumber : file + " (last line)";
            throw new IOException(where + " is not a stored click (" + e.getMessage()
                    + "): fix or move the file", e);
        }
    }

    private void clearStaged() {
        staged.reset();
        stagedFingerprints.clear();
        stagedIds.clear();
        lastSeen = lastOffset;
        lastStaged = -1;
        sizeBefore = -1;
    }

    /**
     * The window of recent client event ids, read back from the file's last {@value #RECENT_CLICKS} lines (backwards,
     * so a large file costs only its tail).
     */
    private static RecentClientEvents recentClientEvents(Path path, FileChannel channel, long end) throws IOException {
        List<Long> newestFirst = new ArrayList<>();
        long lineEnd = end - 1; // the newline ending the last line
        while (lineEnd > 0 && newestFirst.size() < RECENT_CLICKS) {
            long lineStart = lastIndexOf(channel, (byte) '\n', lineEnd) + 1;
            newestFirst.add(fingerprintOf(path, readString(channel, lineStart, lineEnd - lineStart)));
            lineEnd = lineStart - 1;
        }
        RecentClientEvents recent = new RecentClientEvents(RECENT_CLICKS);
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            recent.add(newestFirst.get(i));
        }
        return recent;
    }

    /**
     * The fingerprint of a stored line's client event id, read leniently: a line that an older version of the rules
     * would refuse today must not stop the consumer from starting.
     */
    private static long fingerprintOf(Path path, String line) throws IOException {
        JsonNode click;
        try {
            click = TAIL_READER.readTree(line).path("click");
        } catch (JsonProcessingException e) {
            throw new IOException(path + " has a line that is not JSON (" + e.getOriginalMessage()
                    + "): fix or move the file", e);
        }
        String key = click.hasNonNull("userId") ? click.path("userId").asText() : click.path("sessionId").asText();
        return RecentClientEvents.fingerprint(key, click.hasNonNull("clientEventId")
                ? click.path("clientEventId").asText() : null);
    }

    /** Makes a new file's directory entry durable too, not only its contents. */
    private static void syncDirectory(Path dataDir) {
        try (FileChannel directory = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open a directory; the file's own force still holds its data.
            log.debug("cannot sync directory {}: {}", dataDir, e.toString());
        }
    }

    /** The position of the last {@code b} before {@code end}, or -1; reads backwards, so big files cost nothing. */
    private static long lastIndexOf(FileChannel channel, byte b, long end) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(READ_BLOCK);
        long blockEnd = end;
        while (blockEnd > 0) {
            long blockStart = Math.max(0, blockEnd - READ_BLOCK);
            block.clear().limit((int) (blockEnd - blockStart));
            readFully(channel, block, blockStart);
            for (int i = block.limit() - 1; i >= 0; i--) {
                if (block.get(i) == b) {
                    return blockStart + i;
                }
            }
            blockEnd = blockStart;
        }
        return -1;
    }

    private static String readString(FileChannel channel, long position, long length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(length));
        readFully(channel, buffer, position);
        return new String(buffer.array(), StandardCharsets.UTF_8);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new IOException("unexpected end of file at " + (position + buffer.position()));
            }
        }
    }
}
