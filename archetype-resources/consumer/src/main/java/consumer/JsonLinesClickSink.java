package ${package}.consumer;

import ${package}.shared.InvalidClickException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * The default {@link ClickSink}: append-only JSON Lines, one file per partition,
 * {@code <dataDir>/<topic>-<partition>.jsonl}, one {@link StoredClick#toJsonLine() line} per click.
 *
 * <ul>
 *   <li>Each file holds its partition's clicks in offset order, so its last line is the resume point.</li>
 *   <li>{@link #write} returns after {@link FileChannel#force} on every file it touched: the consumer commits
 *       offsets only after that.</li>
 *   <li>A line cut off by a crash is truncated away when the file is opened; that click was never committed,
 *       so Kafka delivers it again.</li>
 *   <li>A click whose {@code clientEventId} (with its user or session) is among those of the partition's last
 *       {@value #RECENT_CLICKS} stored clicks is a browser's retry and is not stored again; that window is read back
 *       from the end of the file when a partition is opened, so it survives a restart
 *       ({@link RecentClientEvents}).</li>
 *   <li>One consumer process per data directory: a lock file ({@value #LOCK_FILE}) refuses a second one,
 *       whose writes would interleave with this one's.</li>
 * </ul>
 *
 * <p>Tests and tools read the files with {@link #readAll(Path)}, also while a consumer is writing.
 */
public final class JsonLinesClickSink implements ClickSink {

    static final String LOCK_FILE = ".consumer.lock";
    /**
     * How many of a partition's latest clicks a retry is checked against: a tracker gives up on a click within about
     * two minutes, so this covers up to about 800 clicks a second per partition; 2.4 MB of heap per partition.
     */
    static final int RECENT_CLICKS = 100_000;
    private static final String SUFFIX = ".jsonl";
    private static final int READ_BLOCK = 8192;
    private static final Logger log = LoggerFactory.getLogger(JsonLinesClickSink.class);
    /** Reads lines of the sink's own files when a partition is opened; no limits beyond Jackson's defaults. */
    private static final JsonMapper TAIL_READER = JsonMapper.builder().build();

    /** Opens a partition file for reading and appending; tests pass one that records what happens. */
    @FunctionalInterface
    interface FileOpener {
        FileChannel open(Path file) throws IOException;
    }

    private final Path dataDir;
    private final FileOpener opener;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<TopicPartition, PartitionFile> files = new HashMap<>();
    /** Forces the second and further files of a batch while the writing thread forces the first. */
    private final ExecutorService forcePool = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "click-sink-fsync");
        thread.setDaemon(true);
        return thread;
    });
    private boolean closed;
    /** Told how long each batch's fsyncs took, in nanoseconds (the consumer's metrics). */
    private volatile LongConsumer forceTimes = nanos -> { };

    private JsonLinesClickSink(Path dataDir, FileOpener opener, FileChannel lockChannel, FileLock lock) {
        this.dataDir = dataDir;
        this.opener = opener;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Opens (and creates if needed) the data directory; fails if another consumer is using it. */
    public static JsonLinesClickSink open(Path dataDir) throws IOException {
        return open(dataDir, file -> FileChannel.open(file,
                StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    static JsonLinesClickSink open(Path dataDir, FileOpener opener) throws IOException {
        Path dir = dataDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create the data directory " + dir + " (" + e
                    + "): set " + ClickConsumerConfig.DATA_DIR_ENV_VARIABLE + " to a writable directory", e);
        }
        FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK_FILE),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very JVM
        } catch (IOException e) {
            lockChannel.close();
            throw e;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IOException("the data directory " + dir + " is in use by another consumer (it holds "
                    + LOCK_FILE + "): give each consumer its own " + ClickConsumerConfig.DATA_DIR_ENV_VARIABLE);
        }
        return new JsonLinesClickSink(dir, opener, lockChannel, lock);
    }

    /** The file of one partition. */
    public static Path file(Path dataDir, TopicPartition partition) {
        return dataDir.resolve(partition.topic() + "-" + partition.partition() + SUFFIX);
    }

    public Path dataDir() {
        return dataDir;
    }

    /** From now on, {@code listener} hears how long each batch's fsyncs took (nanoseconds). */
    public void reportForceTimesTo(LongConsumer listener) {
        this.forceTimes = listener;
    }

    @Override
    public synchronized int write(List<StoredClick> clicks) throws IOException {
        requireOpen();
        Map<PartitionFile, ByteArrayOutputStream> lines = new LinkedHashMap<>();
        Map<PartitionFile, Long> lastInBatch = new HashMap<>();
        // The fingerprints of the clicks written, per file in order; they join the window only once the batch is
        // durable, so a batch that fails and is retried is not taken for its own duplicate.
        Map<PartitionFile, List<Long>> written = new HashMap<>();
        Map<PartitionFile, Set<Long>> inBatch = new HashMap<>();
        Map<PartitionFile, Long> lastWritten = new HashMap<>();
        int retries = 0;
        for (StoredClick click : clicks) {
            PartitionFile file = partitionFile(click.topicPartition());
            long last = lastInBatch.getOrDefault(file, file.lastOffset);
            if (click.offset() <= last) {
                continue; // already stored: a redelivery must not store it twice
            }
            lastInBatch.put(file, click.offset());
            long fingerprint = RecentClientEvents.fingerprint(click.click().partitionKey(), click.click().clientEventId());
            if (file.recent.contains(fingerprint)
                    || (click.click().clientEventId() != null && !inBatch.computeIfAbsent(file, f -> new HashSet<>()).add(fingerprint))) {
                retries++;
                continue; // a browser's retry of a click already stored
            }
            lines.computeIfAbsent(file, f -> new ByteArrayOutputStream()).writeBytes(click.toJsonLine());
            written.computeIfAbsent(file, f -> new ArrayList<>()).add(fingerprint);
            lastWritten.put(file, click.offset());
        }
        Map<PartitionFile, Long> sizesBefore = new HashMap<>();
        try {
            for (Map.Entry<PartitionFile, ByteArrayOutputStream> entry : lines.entrySet()) {
                FileChannel channel = entry.getKey().channel;
                sizesBefore.put(entry.getKey(), channel.position());
                ByteBuffer buffer = ByteBuffer.wrap(entry.getValue().toByteArray());
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
            forceAll(List.copyOf(lines.keySet()));
        } catch (IOException e) {
            // Take the whole batch back out: a half-written line would glue onto the next one, and the
            // offsets below stay where they were, so the consumer retries exactly these clicks.
            for (Map.Entry<PartitionFile, Long> before : sizesBefore.entrySet()) {
                try {
                    before.getKey().channel.truncate(before.getValue());
                    before.getKey().channel.position(before.getValue());
                } catch (IOException rollback) {
                    e.addSuppressed(rollback);
                }
            }
            throw e;
        }
        // A partition whose clicks of this batch were all retries keeps its last offset: on a restart those records
        // are read again and dropped again, as the window is rebuilt from the file.
        written.forEach((file, fingerprints) -> fingerprints.forEach(file.recent::add));
        lastWritten.forEach((file, last) -> file.lastOffset = last);
        return retries;
    }

    /**
     * Forces the files of one batch to disk together rather than one after another: each fsync waits for the
     * file system's journal, and concurrent ones share a journal commit. One after another, a poll of three
     * partitions waited for three commits, which set the tail of the POST-to-sink latency.
     */
    private void forceAll(List<PartitionFile> touched) throws IOException {
        long started = System.nanoTime();
        forceTogether(touched);
        forceTimes.accept(System.nanoTime() - started);
    }

    private void forceTogether(List<PartitionFile> touched) throws IOException {
        List<Future<?>> others = new ArrayList<>();
        for (PartitionFile file : touched.subList(Math.min(1, touched.size()), touched.size())) {
            others.add(forcePool.submit(() -> {
                file.channel.force(false);
                return null;
            }));
        }
        IOException failure = null;
        try {
            if (!touched.isEmpty()) {
                touched.get(0).channel.force(false);
            }
        } catch (IOException e) {
            failure = e;
        }
        for (Future<?> other : others) {
            try {
                other.get();
            } catch (ExecutionException e) {
                IOException cause = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                if (failure == null) {
                    failure = cause;
                } else {
                    failure.addSuppressed(cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while forcing the sink files to disk");
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public synchronized OptionalLong lastOffset(TopicPartition partition) throws IOException {
        requireOpen();
        long last = partitionFile(partition).lastOffset;
        return last < 0 ? OptionalLong.empty() : OptionalLong.of(last);
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        forcePool.shutdown();
        IOException failure = null;
        for (PartitionFile file : files.values()) {
            try {
                file.channel.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        files.clear();
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Every click in every {@code *.jsonl} file of the directory, ordered by topic, partition and offset. */
    public static List<StoredClick> readAll(Path dataDir) throws IOException {
        List<StoredClick> clicks = new ArrayList<>();
        if (!Files.isDirectory(dataDir)) {
            return clicks;
        }
        List<Path> files;
        try (Stream<Path> entries = Files.list(dataDir)) {
            files = entries.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).toList();
        }
        for (Path file : files) {
            clicks.addAll(read(file));
        }
        clicks.sort(Comparator.comparing(StoredClick::topic)
                .thenComparingInt(StoredClick::partition)
                .thenComparingLong(StoredClick::offset));
        return clicks;
    }

    /** The clicks of one file; a last line without its newline is still being written and is left out. */
    public static List<StoredClick> read(Path file) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        List<StoredClick> clicks = new ArrayList<>();
        int start = 0;
        int lineNumber = 1;
        for (int end = content.indexOf('\n'); end >= 0; end = content.indexOf('\n', start), lineNumber++) {
            clicks.add(parse(file, lineNumber, content.substring(start, end)));
            start = end + 1;
        }
        return clicks;
    }

    private PartitionFile partitionFile(TopicPartition partition) throws IOException {
        PartitionFile file = files.get(partition);
        if (file == null) {
            file = openPartition(partition);
            files.put(partition, file);
        }
        return file;
    }

    private PartitionFile openPartition(TopicPartition partition) throws IOException {
        Path path = file(dataDir, partition);
        boolean isNew = !Files.exists(path);
        FileChannel channel = opener.open(path);
        try {
            if (isNew) {
                syncDirectory();
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
    private void syncDirectory() {
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

    private static StoredClick parse(Path file, int lineNumber, String line) throws IOException {
        try {
            return StoredClick.fromJsonLine(line);
        } catch (InvalidClickException e) {
            String where = lineNumber > 0 ? file + " line " + lineNumber : file + " (last line)";
            throw new IOException(where + " is not a stored click (" + e.getMessage()
                    + "): fix or move the file", e);
        }
    }

    private void requireOpen() throws IOException {
        if (closed) {
            throw new IOException("the sink for " + dataDir + " is closed");
        }
    }

    private static final class PartitionFile {
        final FileChannel channel;
        final RecentClientEvents recent;
        long lastOffset;

        PartitionFile(FileChannel channel, long lastOffset, RecentClientEvents recent) {
            this.channel = channel;
            this.lastOffset = lastOffset;
            this.recent = recent;
        }
    }
}
