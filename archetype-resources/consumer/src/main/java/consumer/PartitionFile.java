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
 * The files of one partition in a {@link JsonLinesClickSink} ({@link ClickFiles}): its clicks in offset order, one
 * line each, a file per run of clicks of one hour; only the newest file is appended to.
 *
 * <p>Opening it makes the newest file whole and reads where it stands: a line cut off by a crash is truncated away
 * (that click was never committed, so Kafka delivers it again), a newest file left empty by a crash is deleted, the
 * last line gives the last stored offset, and the last {@value #RECENT_CLICKS} lines, read back through as many files
 * as it takes, the window of recent client event ids ({@link RecentClientEvents}).
 *
 * <p>A click goes into the newest file if it is of that file's hour; otherwise it starts a new file, in its own
 * hour's folder, named after its offset. So a replay from the last stored click writes the same clicks into the same
 * files, and the newest file (the highest first offset) always ends with the last stored click.
 *
 * <p>A batch goes in steps, so that the sink can force several files at once and take all of them back if one
 * fails: {@link #stage} each click (new, stored already, or a browser's repeat), {@link #appendStaged},
 * {@link #force}, then {@link #keepStaged} once every file of the batch is durable, or {@link #dropStaged} (which
 * cuts the newest file back and deletes the files the batch started). Until kept, the last offset and the window
 * stay as they were, so a batch that fails and is retried is not taken for its own repeat.
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

    /**
     * The staged lines of one file, the newest one ({@code firstOffset} -1) or one the batch starts: where they are
     * in {@link #staged}.
     */
    private static final class Run {
        final long hour;
        final long firstOffset;
        final int start;
        int end;

        Run(long hour, long firstOffset, int start) {
            this.hour = hour;
            this.firstOffset = firstOffset;
            this.start = start;
            this.end = start;
        }
    }

    /** A file the batch appended to: how long it was before, or that the batch created it. */
    private record Appended(Path path, FileChannel channel, long sizeBefore, boolean created) {
    }

    private final Path dataDir;
    private final TopicPartition partition;
    private final JsonLinesClickSink.FileOpener opener;
    private final RecentClientEvents recent;
    /** The newest file, open for appending; null while the partition has none (or only a legacy file). */
    private FileChannel newest;
    private Path newestPath;
    private long newestHour;
    private long lastOffset;

    // The batch under way: its lines (one buffer, kept from batch to batch), which of them go to which file, the
    // fingerprints they add to the window, and the offsets seen.
    private final ByteArrayOutputStream staged = new ByteArrayOutputStream();
    private final List<Run> runs = new ArrayList<>();
    private final List<Appended> appended = new ArrayList<>();
    private final List<Long> stagedFingerprints = new ArrayList<>();
    private final Set<Long> stagedIds = new HashSet<>();
    private long lastSeen;
    private long lastStaged = -1;

    private PartitionFile(Path dataDir, TopicPartition partition, JsonLinesClickSink.FileOpener opener,
                          RecentClientEvents recent, long lastOffset) {
        this.dataDir = dataDir;
        this.partition = partition;
        this.opener = opener;
        this.recent = recent;
        this.lastOffset = lastOffset;
        this.lastSeen = lastOffset;
    }

    /** Opens and checks the files of {@code partition}; creates none until a click comes. */
    static PartitionFile open(Path dataDir, TopicPartition partition, JsonLinesClickSink.FileOpener opener)
            throws IOException {
        List<ClickFiles.ClickFile> files = new ArrayList<>(ClickFiles.filesOf(dataDir, partition));
        FileChannel channel = null;
        long end = 0;
        while (!files.isEmpty()) {
            ClickFiles.ClickFile candidate = files.get(files.size() - 1);
            channel = opener.open(candidate.path());
            try {
                end = cutTornLine(candidate.path(), channel);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            if (end > 0 || candidate.legacy()) {
                break;
            }
            // Started by a batch that a crash cut short before any of its lines was complete: it holds nothing.
            channel.close();
            channel = null;
            Files.delete(candidate.path());
            syncDirectory(candidate.path().getParent());
            files.remove(files.size() - 1);
        }
        try {
            long lastOffset = -1;
            if (end > 0) {
                ClickFiles.ClickFile newest = files.get(files.size() - 1);
                long start = lastIndexOf(channel, (byte) '\n', end - 1) + 1;
                StoredClick last = parse(newest.path(), -1, readString(channel, start, end - 1 - start));
                if (!last.topicPartition().equals(partition)) {
                    throw new IOException(newest.path() + " holds clicks of " + last.topicPartition() + ", not of "
                            + partition + ": move the file away");
                }
                lastOffset = last.offset();
            }
            PartitionFile opened = new PartitionFile(dataDir, partition, opener,
                    recentClientEvents(files, channel, end), lastOffset);
            if (channel != null && files.get(files.size() - 1).legacy()) {
                channel.close(); // read, never appended to: the next click starts an hourly file
            } else if (channel != null) {
                ClickFiles.ClickFile newest = files.get(files.size() - 1);
                channel.position(end);
                opened.newest = channel;
                opened.newestPath = newest.path();
                opened.newestHour = newest.hour();
            }
            return opened;
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            throw e;
        }
    }

    /** The offset of the last click stored, or -1. */
    long lastOffset() {
        return lastOffset;
    }

    /** The file the partition appends to now, if it has one. */
    Path newestFile() {
        return newestPath;
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
        long hour = ClickFiles.hourOf(click.click().timestamp());
        Run run = runs.isEmpty() ? null : runs.get(runs.size() - 1);
        if (run == null || hour != run.hour) {
            boolean continuesNewest = run == null && newest != null && hour == newestHour;
            run = new Run(hour, continuesNewest ? -1 : click.offset(), staged.size());
            runs.add(run);
        }
        staged.writeBytes(click.toJsonLine());
        run.end = staged.size();
        stagedFingerprints.add(fingerprint);
        lastStaged = click.offset();
        return Staged.NEW;
    }

    /** Appends the staged lines: to the newest file, and to the files this batch starts (not yet forced). */
    void appendStaged() throws IOException {
        byte[] lines = staged.toByteArray();
        for (Run run : runs) {
            if (!appended.isEmpty()) {
                // The file before is durable before the next one exists: after a power cut, a newer file with
                // lines must never stand behind an older one that lost its last lines (they would count as stored).
                appended.get(appended.size() - 1).channel().force(false);
            }
            FileChannel channel;
            if (run.firstOffset < 0) {
                channel = newest;
                appended.add(new Appended(newestPath, channel, channel.position(), false));
            } else {
                Path path = ClickFiles.file(dataDir, partition, run.hour, run.firstOffset);
                Path hourDir = path.getParent();
                boolean newDir = !Files.isDirectory(hourDir);
                Files.createDirectories(hourDir);
                if (Files.exists(path)) {
                    throw new IOException(path + " exists already, though " + partition + " has no click stored"
                            + " after offset " + lastOffset + ": move the file away");
                }
                channel = opener.open(path);
                appended.add(new Appended(path, channel, 0, true));
                syncDirectory(hourDir);
                if (newDir) {
                    syncDirectory(hourDir.getParent());
                    syncDirectory(hourDir.getParent().getParent());
                }
            }
            ByteBuffer buffer = ByteBuffer.wrap(lines, run.start, run.end - run.start);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }

    /** Forces every file the batch appended to. */
    void force() throws IOException {
        for (Appended file : appended) {
            file.channel().force(false);
        }
    }

    /** The batch is durable: its clicks join the window, and its last one is the new resume point. */
    void keepStaged() throws IOException {
        stagedFingerprints.forEach(recent::add);
        if (lastStaged >= 0) {
            // A partition whose clicks of this batch were all repeats keeps its last offset: on a restart those
            // records are read again and dropped again, as the window is rebuilt from the files.
            lastOffset = lastStaged;
        }
        IOException failure = null;
        for (Appended file : appended) {
            if (!file.created()) {
                continue;
            }
            if (newest != null) {
                try {
                    newest.close(); // superseded: a partition appends to its newest file only
                } catch (IOException e) {
                    failure = e;
                }
            }
            newest = file.channel();
            newestPath = file.path();
            newestHour = ClickFiles.hourOf(file.path().getParent());
        }
        clearStaged();
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * The batch failed: cut the newest file back to where it was, as a half-written line would glue onto the next,
     * and delete the files the batch started.
     */
    void dropStaged() throws IOException {
        IOException failure = null;
        try {
            for (Appended file : appended) {
                try {
                    if (file.created()) {
                        file.channel().close();
                        Files.deleteIfExists(file.path());
                    } else {
                        file.channel().truncate(file.sizeBefore());
                        file.channel().position(file.sizeBefore());
                    }
                } catch (IOException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        } finally {
            clearStaged();
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() throws IOException {
        if (newest != null) {
            newest.close();
        }
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
        runs.clear();
        appended.clear();
        stagedFingerprints.clear();
        stagedIds.clear();
        lastSeen = lastOffset;
        lastStaged = -1;
    }

    /**
     * The window of recent client event ids, read back from the last {@value #RECENT_CLICKS} lines: backwards from the
     * end of the newest file, then on into the files before it until the window is full (so a large file costs only
     * its tail, and a new hour's first file still knows the clicks of the hour before).
     */
    private static RecentClientEvents recentClientEvents(List<ClickFiles.ClickFile> files, FileChannel newest,
                                                         long newestEnd) throws IOException {
        List<Long> newestFirst = new ArrayList<>();
        for (int i = files.size() - 1; i >= 0 && newestFirst.size() < RECENT_CLICKS; i--) {
            Path path = files.get(i).path();
            if (i == files.size() - 1) {
                readBack(path, newest, newestEnd, newestFirst);
            } else {
                try (FileChannel older = FileChannel.open(path, StandardOpenOption.READ)) {
                    readBack(path, older, older.size(), newestFirst);
                }
            }
        }
        RecentClientEvents recent = new RecentClientEvents(RECENT_CLICKS);
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            recent.add(newestFirst.get(i));
        }
        return recent;
    }

    /** Adds the fingerprints of a file's lines before {@code end}, newest first, until the window is full. */
    private static void readBack(Path path, FileChannel channel, long end, List<Long> newestFirst) throws IOException {
        long lineEnd = lastIndexOf(channel, (byte) '\n', end); // the newline ending the last complete line
        while (lineEnd > 0 && newestFirst.size() < RECENT_CLICKS) {
            long lineStart = lastIndexOf(channel, (byte) '\n', lineEnd) + 1;
            newestFirst.add(fingerprintOf(path, readString(channel, lineStart, lineEnd - lineStart)));
            lineEnd = lineStart - 1;
        }
    }

    /** The last complete click of a file, read from its end; null if it has none. */
    static StoredClick lastClickOf(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long lineEnd = lastIndexOf(channel, (byte) '\n', channel.size());
            if (lineEnd < 0) {
                return null;
            }
            long start = lastIndexOf(channel, (byte) '\n', lineEnd) + 1;
            return parse(path, -1, readString(channel, start, lineEnd - start));
        }
    }

    /** Cuts away a last line without its newline (a write cut off by a crash); returns the new size. */
    private static long cutTornLine(Path path, FileChannel channel) throws IOException {
        long size = channel.size();
        long end = lastIndexOf(channel, (byte) '\n', size) + 1;
        if (end < size) {
            log.warn("{}: truncating {} bytes of a line cut off by a crash; that click was never committed,"
                    + " so Kafka delivers it again", path, size - end);
            channel.truncate(end);
            channel.force(false);
        }
        return end;
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
    static void syncDirectory(Path dataDir) {
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
