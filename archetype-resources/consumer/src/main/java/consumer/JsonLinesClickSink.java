package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The default {@link ClickSink}: append-only JSON Lines, a file per partition and hour of the clicks,
 * {@code <dataDir>/<topic>/dt=YYYY-MM-DD/hour=HH/<topic>-<partition>-<firstOffset>.jsonl} ({@link ClickFiles}), one
 * {@link StoredClick#toJsonLine() line} per click. This class is the directory, the batch and the retention; the
 * files of each partition are a {@link PartitionFile}.
 *
 * <ul>
 *   <li>Each partition's files hold its clicks in offset order, and only its newest file (the highest first offset)
 *       is appended to, so the last line of that file is the resume point.</li>
 *   <li>Retention: whole hours older than {@value #RETENTION_ENV_VARIABLE} days (default
 *       {@value #DEFAULT_RETENTION_DAYS}) are deleted, for each claimed partition when it is first used and every
 *       hour after; never a partition's newest file, which it resumes from. A file of the earlier layout,
 *       {@code <dataDir>/<topic>-<partition>.jsonl}, is read as the partition's oldest file and deleted whole once
 *       its newest click has expired.</li>
 *   <li>A full disk ({@code No space left on device}) is a {@link SinkUnavailableException}: nothing of the batch
 *       is kept, and the consumer waits and tries again.</li>
 *   <li>{@link #write} returns after {@link FileChannel#force} on every file it touched: the consumer commits
 *       offsets only after that. If any file fails, the whole batch is taken back out of every file.</li>
 *   <li>A line cut off by a crash is truncated away when the file is opened; that click was never committed,
 *       so Kafka delivers it again.</li>
 *   <li>A click whose {@code clientEventId} (with its user or session) is among those of the partition's last
 *       {@value PartitionFile#RECENT_CLICKS} stored clicks is a browser's retry and is not stored again; that
 *       window is read back from the end of the file when a partition is opened, so it survives a restart
 *       ({@link RecentClientEvents}).</li>
 *   <li>Several consumers of one group may share the directory: the files of a partition are written only by
 *       the process that holds the lock on its lock file, {@code <dataDir>/<topic>-<partition>.jsonl.lock}
 *       ({@link #claim}; the name of earlier versions, so that they and this one exclude each other).
 *       The lock is taken when the partition is assigned, before its file is read, and let go when it is revoked
 *       or lost and on close; the operating system lets go of it when a process dies, even by SIGKILL. The
 *       lock files stay: deleting one while a process holds it would let a second process lock a new file of
 *       the same name.</li>
 * </ul>
 *
 * <p>Tests and tools read the files with {@link #readAll(Path)}, also while a consumer is writing.
 */
public final class JsonLinesClickSink implements ClickSink {

    public static final String RETENTION_ENV_VARIABLE = "CLICK_RETENTION_DAYS";
    public static final int DEFAULT_RETENTION_DAYS = 90;
    private static final String SUFFIX = ClickFiles.SUFFIX;
    private static final Logger log = LoggerFactory.getLogger(JsonLinesClickSink.class);
    private static final String LOCK_SUFFIX = ".lock";
    /** The lock files some sink of this JVM has open: see {@link #claim}. */
    private static final Set<Path> LOCKED_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    /** Opens a partition file for reading and appending; tests pass one that records what happens. */
    @FunctionalInterface
    interface FileOpener {
        FileChannel open(Path file) throws IOException;
    }

    private final Path dataDir;
    private final FileOpener opener;
    private final Duration retention;
    private final Clock clock;
    /** The partitions whose lock this sink holds: only these are read or written. */
    private final Map<TopicPartition, FileLock> claims = new HashMap<>();
    /** Opened on first use, after the claim; closed when the claim ends, since another process may then append. */
    private final Map<TopicPartition, PartitionFile> files = new HashMap<>();
    /** Forces the second and further files of a batch while the writing thread forces the first. */
    private final ExecutorService forcePool = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "click-sink-fsync");
        thread.setDaemon(true);
        return thread;
    });
    /** Applies the retention every hour, also while no clicks come. */
    private final ScheduledExecutorService retentionTimer = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "click-sink-retention");
        thread.setDaemon(true);
        return thread;
    });
    private boolean closed;
    /** Told how long each batch's fsyncs took, in nanoseconds (the consumer's metrics). */
    private volatile LongConsumer forceTimes = nanos -> { };

    private JsonLinesClickSink(Path dataDir, FileOpener opener, Duration retention, Clock clock) {
        this.dataDir = dataDir;
        this.opener = opener;
        this.retention = retention;
        this.clock = clock;
    }

    /**
     * Opens (and creates if needed) the data directory, keeping {@value #DEFAULT_RETENTION_DAYS} days of clicks.
     * Nothing is locked yet: each partition is {@link #claim claimed} when the consumer is given it.
     */
    public static JsonLinesClickSink open(Path dataDir) throws IOException {
        return open(dataDir, Duration.ofDays(DEFAULT_RETENTION_DAYS), Clock.systemUTC());
    }

    /** Opens the data directory, deleting the hours of clicks older than {@code retention} by {@code clock}. */
    public static JsonLinesClickSink open(Path dataDir, Duration retention, Clock clock) throws IOException {
        return open(dataDir, file -> FileChannel.open(file,
                StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE), retention, clock);
    }

    static JsonLinesClickSink open(Path dataDir, FileOpener opener) throws IOException {
        return open(dataDir, opener, Duration.ofDays(DEFAULT_RETENTION_DAYS), Clock.systemUTC());
    }

    static JsonLinesClickSink open(Path dataDir, FileOpener opener, Duration retention, Clock clock)
            throws IOException {
        if (retention.compareTo(Duration.ofHours(1)) < 0) {
            throw new IllegalArgumentException("the retention is at least an hour, got " + retention);
        }
        Path dir = dataDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create the data directory " + dir + " (" + e
                    + "): set " + ClickConsumerConfig.DATA_DIR_ENV_VARIABLE + " to a writable directory", e);
        }
        JsonLinesClickSink sink = new JsonLinesClickSink(dir, opener, retention, clock);
        sink.retentionTimer.scheduleAtFixedRate(sink::applyRetention, 1, 1, TimeUnit.HOURS);
        return sink;
    }

    /**
     * {@value #RETENTION_ENV_VARIABLE}: whole days of clicks kept (default {@value #DEFAULT_RETENTION_DAYS}).
     */
    public static Duration retentionFrom(Map<String, String> environment) {
        String value = environment.get(RETENTION_ENV_VARIABLE);
        if (value == null || value.isBlank()) {
            return Duration.ofDays(DEFAULT_RETENTION_DAYS);
        }
        try {
            int days = Integer.parseInt(value.trim());
            if (days >= 1) {
                return Duration.ofDays(days);
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException(RETENTION_ENV_VARIABLE + " must be a whole number of days, at least 1,"
                + " got '" + value + "': fix or unset it (unset means " + DEFAULT_RETENTION_DAYS + ")");
    }

    /** Where a partition's files are, as a pattern for messages and for people: {@code <topic>-<partition>-*.jsonl}. */
    public static String describeFiles(Path dataDir, TopicPartition partition) {
        return ClickFiles.topicDir(dataDir, partition.topic()).resolve("dt=*").resolve("hour=*")
                .resolve(partition.topic() + "-" + partition.partition() + "-*" + SUFFIX).toString();
    }

    /** The file a partition appends to now (its highest first offset), without reading any file; empty if none. */
    public static Optional<Path> newestFile(Path dataDir, TopicPartition partition) throws IOException {
        List<ClickFiles.ClickFile> files = ClickFiles.filesOf(dataDir, partition);
        return files.isEmpty() ? Optional.empty() : Optional.of(files.get(files.size() - 1).path());
    }

    /** The lock file of one partition's file: whoever holds its lock is the one process that writes the file. */
    public static Path lockFile(Path dataDir, TopicPartition partition) {
        return dataDir.resolve(partition.topic() + "-" + partition.partition() + SUFFIX + LOCK_SUFFIX);
    }

    /**
     * Takes the lock of the partition's file without waiting: false while another process holds it (a consumer
     * that had the partition before and has not let go yet, one that hangs, or one of another group using the
     * same directory), or another sink of this JVM (tests run two consumers in one JVM; the JVM's file locks
     * belong to the whole process, so a second sink cannot share one, it must wait like another process).
     * Only after this has returned true is the file read ({@link #lastOffset}) or written.
     */
    @Override
    public synchronized boolean claim(TopicPartition partition) throws IOException {
        requireOpen();
        if (claims.containsKey(partition)) {
            return true;
        }
        Path path = lockFile(dataDir, partition);
        // A second sink of this JVM must not even open the lock file: on Linux, closing any descriptor of a file
        // drops every lock the process holds on it, so its failed attempt would free the first sink's lock for
        // other processes.
        if (!LOCKED_IN_THIS_JVM.add(path)) {
            return false;
        }
        FileLock lock = null;
        try {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // locked through another path to the same file (a link): held in this JVM
            } catch (IOException | RuntimeException e) {
                throw new IOException("cannot lock " + path + " (" + e + "): the data directory must be on a file"
                        + " system with working file locks (a local disk, or NFSv4)", e);
            } finally {
                if (lock == null) {
                    channel.close();
                }
            }
        } finally {
            if (lock == null) {
                LOCKED_IN_THIS_JVM.remove(path);
            }
        }
        if (lock == null) {
            return false;
        }
        claims.put(partition, lock);
        return true;
    }

    /**
     * Lets go of these partitions: closes their files and releases their locks, so that the next owner can
     * take over. Their lines are durable already: {@link #write} forces before it returns.
     */
    @Override
    public synchronized void release(Collection<TopicPartition> partitions) throws IOException {
        IOException failure = null;
        for (TopicPartition partition : partitions) {
            try {
                PartitionFile file = files.remove(partition);
                if (file != null) {
                    file.close();
                }
            } catch (IOException e) {
                failure = e;
            } finally {
                FileLock lock = claims.remove(partition);
                if (lock != null) {
                    try {
                        lock.acquiredBy().close(); // closing the channel releases its lock
                    } catch (IOException e) {
                        failure = e;
                    } finally {
                        LOCKED_IN_THIS_JVM.remove(lockFile(dataDir, partition));
                    }
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The partitions whose files this sink holds the lock of. */
    public synchronized Set<TopicPartition> claimed() {
        return Set.copyOf(claims.keySet());
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
        try {
            return writeBatch(clicks);
        } catch (IOException e) {
            throw unavailableIfDiskFull(e);
        }
    }

    private int writeBatch(List<StoredClick> clicks) throws IOException {
        requireOpen();
        // Every file the batch reaches, and those of them with lines to append, in the order of their first click.
        Set<PartitionFile> reached = new LinkedHashSet<>();
        Set<PartitionFile> appending = new LinkedHashSet<>();
        int repeats = 0;
        try {
            for (StoredClick click : clicks) {
                PartitionFile file = partitionFile(click.topicPartition());
                reached.add(file);
                switch (file.stage(click)) {
                    case NEW -> appending.add(file);
                    case REPEAT -> repeats++;
                    case STORED_ALREADY -> { } // a redelivery must not store it twice
                }
            }
            for (PartitionFile file : appending) {
                file.appendStaged();
            }
            forceAll(List.copyOf(appending));
        } catch (IOException | RuntimeException e) {
            // Take the whole batch back out: the files' offsets stay where they were, so the consumer retries
            // exactly these clicks.
            for (PartitionFile file : reached) {
                try {
                    file.dropStaged();
                } catch (IOException | RuntimeException rollback) {
                    e.addSuppressed(rollback);
                }
            }
            throw e;
        }
        IOException closing = null;
        for (PartitionFile file : reached) {
            try {
                file.keepStaged();
            } catch (IOException e) {
                closing = e; // a superseded file that did not close: its lines are durable already
            }
        }
        if (closing != null) {
            log.warn("Closing a file superseded by a newer one: {}", closing.toString());
        }
        return repeats;
    }

    /**
     * A full disk (or quota) is no reason to stop: once space is freed the same batch goes in. Anything else
     * (a file that is not a click, no permission) is left as it is, for the operator to see.
     */
    private IOException unavailableIfDiskFull(IOException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message != null && (message.contains("No space left on device") || message.contains("Disk quota exceeded"))) {
                return new SinkUnavailableException("the disk of " + dataDir + " is full (" + message.trim() + "): free"
                        + " space there or lower " + RETENTION_ENV_VARIABLE + "; the consumer goes on by itself once"
                        + " there is room", e);
            }
        }
        return e;
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
                file.force();
                return null;
            }));
        }
        IOException failure = null;
        try {
            if (!touched.isEmpty()) {
                touched.get(0).force();
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


    /**
     * Kafka's id of the topic is kept in {@code <topic>.topic-id} beside the files: written when first seen, and a
     * different one refused. A topic deleted and created again starts its offsets over, and its clicks would be
     * taken for stored ones (skipped) or appended after the old ones' offsets. A directory written before this file
     * existed gets it now: the topic it holds is taken to be today's.
     */
    @Override
    public synchronized void checkTopicId(String topic, Uuid topicId) throws IOException {
        try {
            writeTopicId(topic, topicId);
        } catch (IOException e) {
            throw unavailableIfDiskFull(e);
        }
    }

    private void writeTopicId(String topic, Uuid topicId) throws IOException {
        requireOpen();
        Path file = topicIdFile(dataDir, topic);
        String id = topicId.toString();
        if (Files.exists(file)) {
            String stored = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (!stored.equals(id)) {
                throw new IllegalStateException("The topic " + topic + " was deleted and created again: Kafka's id of"
                        + " it is now " + id + ", but the files in " + dataDir + " hold clicks of the topic with id "
                        + stored + " (" + file + "). The new topic's offsets start over, and would be taken for clicks"
                        + " stored already. Move " + topic + "/, " + topic + "-*.jsonl and " + file.getFileName() + " to another"
                        + " directory, then start the consumer again");
            }
            return;
        }
        Path temporary = Files.createTempFile(dataDir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(temporary, id + "\n", StandardCharsets.UTF_8);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            // Atomic: several consumers sharing the directory may write it at once, all with the same id.
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Where the topic's id is kept. */
    public static Path topicIdFile(Path dataDir, String topic) {
        return dataDir.resolve(topic + ".topic-id");
    }

    @Override
    public synchronized OptionalLong lastOffset(TopicPartition partition) throws IOException {
        requireOpen();
        long last = partitionFile(partition).lastOffset();
        return last < 0 ? OptionalLong.empty() : OptionalLong.of(last);
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        forcePool.shutdown();
        retentionTimer.shutdownNow();
        release(List.copyOf(claims.keySet()));
    }

    /**
     * Every click in every file of the directory (the hourly files of every topic, and files of the earlier layout),
     * ordered by topic, partition and offset.
     */
    public static List<StoredClick> readAll(Path dataDir) throws IOException {
        List<StoredClick> clicks = new ArrayList<>();
        for (Path file : ClickFiles.allFiles(dataDir)) {
            clicks.addAll(read(file));
        }
        clicks.sort(Comparator.comparing(StoredClick::topic)
                .thenComparingInt(StoredClick::partition)
                .thenComparingLong(StoredClick::offset));
        return clicks;
    }

    /** Every click of one partition, in offset order, from all its files. */
    public static List<StoredClick> read(Path dataDir, TopicPartition partition) throws IOException {
        List<StoredClick> clicks = new ArrayList<>();
        for (ClickFiles.ClickFile file : ClickFiles.filesOf(dataDir, partition)) {
            clicks.addAll(read(file.path()));
        }
        return clicks;
    }

    /** The clicks of one file; a last line without its newline is still being written and is left out. */
    public static List<StoredClick> read(Path file) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        List<StoredClick> clicks = new ArrayList<>();
        int start = 0;
        int lineNumber = 1;
        for (int end = content.indexOf('\n'); end >= 0; end = content.indexOf('\n', start), lineNumber++) {
            clicks.add(PartitionFile.parse(file, lineNumber, content.substring(start, end)));
            start = end + 1;
        }
        return clicks;
    }

    /**
     * The open file of a claimed partition. Opening it (which cuts a torn last line and reads the resume point)
     * happens under the lock, so it sees the file as its previous owner left it.
     */
    private PartitionFile partitionFile(TopicPartition partition) throws IOException {
        if (!claims.containsKey(partition)) {
            throw new IOException("this sink does not hold the lock of " + lockFile(dataDir, partition)
                    + ": claim the partition first (the consumer does so when the partition is assigned)");
        }
        PartitionFile file = files.get(partition);
        if (file == null) {
            file = PartitionFile.open(dataDir, partition, opener);
            files.put(partition, file);
            applyRetention(partition, file);
        }
        return file;
    }

    /** Deletes the expired hours of every partition this sink has open: hourly, from the timer. */
    synchronized void applyRetention() {
        if (closed) {
            return;
        }
        files.forEach(this::applyRetention);
    }

    /**
     * Deletes the partition's files of the hours that ended more than the retention ago, except its newest file
     * (which it resumes from). Under the partition's lock, so no one appends to what is deleted. A failure is
     * logged: old files left over are no reason to stop storing clicks.
     */
    private void applyRetention(TopicPartition partition, PartitionFile file) {
        Instant cutoff = clock.instant().minus(retention);
        long firstKeptHour = ClickFiles.hourOf(cutoff);
        try {
            List<ClickFiles.ClickFile> partitionFiles = ClickFiles.filesOf(dataDir, partition);
            int deleted = 0;
            for (ClickFiles.ClickFile old : partitionFiles.subList(0, Math.max(0, partitionFiles.size() - 1))) {
                if (old.path().equals(file.newestFile())) {
                    continue;
                }
                long hour = old.legacy() ? newestHourIn(old.path()) : old.hour();
                if (hour < firstKeptHour && Files.deleteIfExists(old.path())) {
                    deleted++;
                    if (!old.legacy()) {
                        deleteIfEmpty(old.path().getParent());
                    }
                }
            }
            if (deleted > 0) {
                log.info("{}: deleted {} file(s) of clicks before {} ({} days)", partition, deleted,
                        Instant.ofEpochSecond(firstKeptHour * 3600), RETENTION_ENV_VARIABLE + "=" + retention.toDays());
            }
        } catch (IOException | RuntimeException e) {
            log.warn("{}: could not delete the clicks older than {} days: {}", partition, retention.toDays(),
                    e.toString());
        }
    }

    /** The hour of a legacy file's newest click: its last line's, read from the end of the file. */
    private static long newestHourIn(Path file) throws IOException {
        StoredClick last = PartitionFile.lastClickOf(file);
        return last == null ? Long.MIN_VALUE : ClickFiles.hourOf(last.click().timestamp());
    }

    /** Removes an hour's folder, and its day's, once the last file in them is gone. */
    private static void deleteIfEmpty(Path hourDir) {
        for (Path dir = hourDir; dir != null && dir.getFileName().toString().matches("(dt|hour)=.*");
             dir = dir.getParent()) {
            try {
                Files.delete(dir);
            } catch (IOException e) {
                return; // not empty (other partitions' files), or gone already
            }
        }
    }

    private void requireOpen() throws IOException {
        if (closed) {
            throw new IOException("the sink for " + dataDir + " is closed");
        }
    }
}
