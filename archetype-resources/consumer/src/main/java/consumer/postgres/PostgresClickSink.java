package ${package}.consumer.postgres;

import ${package}.consumer.BatchFencedException;
import ${package}.consumer.ClickSink;
import ${package}.consumer.RecentClientEvents;
import ${package}.consumer.SinkUnavailableException;
import ${package}.consumer.StoredClick;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * A {@link ClickSink} that stores clicks as rows of PostgreSQL's {@code clicks} table (see
 * {@code db/migration/V1__clicks.sql}), exactly once, with any number of consumers on any number of hosts.
 *
 * <ul>
 *   <li><b>Rows and positions in one transaction</b>: the rows go in with {@code COPY}, and each partition's
 *       position ({@code click_offsets.last_offset}) is moved in the same transaction. The consumer resumes each
 *       partition after that position, so what a crash left uncommitted in Kafka is not stored again. A small batch
 *       is one transaction; a big one (a consumer catching up) is one per partition, all at once, each on a
 *       connection of its own: a PostgreSQL session works on one core, and the table's indexes, not the consumer,
 *       are what limits how fast clicks go in.</li>
 *   <li><b>Fenced</b>: a transaction moves a partition's position only where it still holds what this consumer
 *       read when it claimed the partition. A consumer that lost the partition in a long pause (GC, a frozen VM)
 *       and comes back finds that another one moved it on: nothing of that partition is stored
 *       ({@link BatchFencedException}), and it claims again. Under READ COMMITTED a second writer waits for the first's row lock, then re-reads
 *       the row and finds it changed.</li>
 *   <li><b>A browser's repeats</b> (the same {@code clientEventId} of the same user or session) are left out
 *       against the partition's last {@value RecentClientEvents#WINDOW} rows, read back from the table on each
 *       claim, so the window holds across restarts and hosts.</li>
 *   <li><b>The topic's id</b> is stored with each position: a topic deleted and created again is refused with
 *       what to do, never mixed with the old offsets.</li>
 *   <li><b>Faults</b>: a database that is down, restarting, full or refusing the credentials gives
 *       {@link SinkUnavailableException} (the consumer pauses, tries again, and resumes each partition from its
 *       position in the table), never a crash.
 *       The schema is migrated (Flyway, which serializes concurrent starts) on the first connection, so a consumer
 *       may start before its database.</li>
 *   <li><b>Retention</b>: {@link DayPartitions}, checked hourly.</li>
 * </ul>
 *
 * <p>One connection for claims, topic ids and the upkeep, used by the consumer's loop thread, and up to
 * {@link PostgresSinkConfig#writers()} more for the partitions' transactions; the methods are synchronized for
 * {@link #close}.
 */
public final class PostgresClickSink implements ClickSink {

    private static final Logger log = LoggerFactory.getLogger(PostgresClickSink.class);
    private static final Duration MAINTENANCE_INTERVAL = Duration.ofHours(1);
    /** The consumers' sessions in pg_stat_activity. */
    public static final String APPLICATION_NAME = "${artifactId}-consumer";
    /**
     * How long one of this consumer's transactions may take before the server ends it (PostgreSQL 17 and later):
     * a batch takes milliseconds, but a consumer frozen in the middle of one (a stopped VM) would otherwise hold its
     * rows' locks, and the partitions' next owner would wait for as long as it is frozen.
     */
    static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(30);
    /** From this many rows on, a batch's partitions are stored at once, each in a transaction of its own. */
    public static final int ROWS_TO_SPLIT = 1000;
    private static final Comparator<TopicPartition> PARTITION_ORDER = Comparator.comparing(TopicPartition::topic)
            .thenComparingInt(TopicPartition::partition);

    /** What this consumer holds of one claimed partition: its position as read at the claim, and the window. */
    private static final class Claim {
        long lastOffset;
        final RecentClientEvents recent;

        Claim(long lastOffset, RecentClientEvents recent) {
            this.lastOffset = lastOffset;
            this.recent = recent;
        }
    }

    /** One partition's part of a batch while it is being stored; kept into its claim only once committed. */
    private static final class PartitionBatch {
        final TopicPartition partition;
        final Claim claim;
        final ClickCopy copy = new ClickCopy();
        long lastSeen;
        final List<Long> fingerprints = new ArrayList<>();
        final Set<Long> ids = new HashSet<>();
        /** Kafka's id of the topic, as checked at the claim; set before the batch goes to a writer. */
        String topicId;

        PartitionBatch(TopicPartition partition, Claim claim) {
            this.partition = partition;
            this.claim = claim;
            this.lastSeen = claim.lastOffset;
        }

        boolean movesOn() {
            return lastSeen > claim.lastOffset;
        }
    }

    /**
     * How one transaction ended, over the partitions it held: committed, fenced (these partitions, and why: nothing
     * of the transaction is stored), or failed.
     */
    private record Outcome(List<PartitionBatch> batches, Set<TopicPartition> fenced, String fencedBecause,
                           SQLException failure) {

        static Outcome committed(List<PartitionBatch> batches) {
            return new Outcome(batches, Set.of(), null, null);
        }

        boolean isCommitted() {
            return fenced.isEmpty() && failure == null;
        }

        /** Another consumer's upkeep dropped a day this one knew (a replay of an old day, say). */
        boolean dayMissing() {
            return failure != null && "23514".equals(failure.getSQLState())
                    && String.valueOf(failure.getMessage()).contains("no partition of relation");
        }

        int rows() {
            return batches.stream().mapToInt(batch -> batch.copy.rows()).sum();
        }

        String partitions() {
            return batches.stream().map(batch -> batch.partition.toString()).toList().toString();
        }
    }

    private final PostgresSinkConfig config;
    private final Clock clock;
    private final DayPartitions days;
    private final Map<TopicPartition, Claim> claims = new HashMap<>();
    /** Kafka's id of each topic, as the consumer last said it. */
    private final Map<String, Uuid> topicIds = new HashMap<>();
    /** Claims, topic ids and the upkeep: used by the caller's thread only. */
    private Connection connection;
    /** The partitions' transactions run here, each on a connection of {@link #idleWriters}. */
    private final ExecutorService writers;
    /** Writer connections not in use; opened when none is idle, closed after any failure. Guarded by itself. */
    private final Deque<Connection> idleWriters = new ArrayDeque<>();
    private boolean migrated;
    private Instant nextMaintenance = Instant.MIN;
    private volatile boolean closed;
    private volatile LongConsumer writeTimes = nanos -> { };

    private PostgresClickSink(PostgresSinkConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.days = new DayPartitions(clock, config.retentionDays());
        AtomicInteger threads = new AtomicInteger();
        this.writers = Executors.newFixedThreadPool(config.writers(), task -> {
            Thread thread = new Thread(task, "click-sink-writer-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Connects lazily: the database may come up after the consumer, which then waits for it (/readyz says so). */
    public static PostgresClickSink open(PostgresSinkConfig config) {
        return open(config, Clock.systemUTC());
    }

    /** With a clock of the caller's choice: tests move it to make and drop day partitions. */
    public static PostgresClickSink open(PostgresSinkConfig config, Clock clock) {
        log.info("Sink: PostgreSQL at {}, clicks kept {} days, up to {} partitions stored at once", config.describe(),
                config.retentionDays(), config.writers());
        return new PostgresClickSink(config, clock);
    }

    /** From now on, {@code listener} hears how long each batch's transaction took (nanoseconds). */
    public void reportWriteTimesTo(LongConsumer listener) {
        this.writeTimes = listener;
    }

    /**
     * Reads the partition's position and rebuilds its window of recent client event ids from the table. Nothing is
     * locked: another consumer writing the partition meanwhile is caught by the fence when this one stores.
     */
    @Override
    public synchronized boolean claim(TopicPartition partition) throws IOException {
        requireOpen();
        try {
            Connection c = connection();
            long lastOffset = -1;
            try (PreparedStatement query = c.prepareStatement(
                    "SELECT last_offset FROM click_offsets WHERE kafka_topic = ? AND kafka_partition = ?")) {
                query.setString(1, partition.topic());
                query.setInt(2, partition.partition());
                try (ResultSet row = query.executeQuery()) {
                    if (row.next()) {
                        lastOffset = row.getLong(1);
                    }
                }
            }
            RecentClientEvents recent = new RecentClientEvents(RecentClientEvents.WINDOW);
            List<Long> newestFirst = new ArrayList<>();
            try (PreparedStatement query = c.prepareStatement("SELECT user_id, session_id, client_event_id"
                    + " FROM clicks WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset <= ?"
                    + " ORDER BY kafka_offset DESC LIMIT ?")) {
                query.setString(1, partition.topic());
                query.setInt(2, partition.partition());
                query.setLong(3, lastOffset);
                query.setInt(4, RecentClientEvents.WINDOW);
                query.setFetchSize(10_000);
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        String user = rows.getString(1);
                        newestFirst.add(RecentClientEvents.fingerprint(user != null ? user : rows.getString(2),
                                rows.getString(3)));
                    }
                }
            }
            c.commit();
            for (int i = newestFirst.size() - 1; i >= 0; i--) {
                recent.add(newestFirst.get(i));
            }
            claims.put(partition, new Claim(lastOffset, recent));
            return true;
        } catch (SQLException e) {
            throw failed("reading the position of " + partition, e);
        }
    }

    /** Refuses a topic whose id differs from the one stored with its partitions' positions. */
    @Override
    public synchronized void checkTopicId(String topic, Uuid topicId) throws IOException {
        requireOpen();
        List<String> stored = new ArrayList<>();
        try {
            Connection c = connection();
            try (PreparedStatement query = c.prepareStatement(
                    "SELECT DISTINCT topic_id FROM click_offsets WHERE kafka_topic = ?")) {
                query.setString(1, topic);
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        stored.add(rows.getString(1));
                    }
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw failed("reading the topic id of " + topic, e);
        }
        String id = topicId.toString();
        if (stored.stream().anyMatch(old -> !old.equals(id))) {
            String renamed = topic + ".before-" + ClickCopy.day(clock.instant());
            throw new IllegalStateException("The topic " + topic + " was deleted and created again: Kafka's id of it"
                    + " is now " + id + ", but the clicks table holds clicks of " + topic + " with topic id "
                    + String.join(", ", stored) + " (table click_offsets). The new topic's offsets start over, and"
                    + " would be taken for clicks stored already. Set the old clicks apart, then start the consumer"
                    + " again: in psql, BEGIN; UPDATE clicks SET kafka_topic = '" + renamed + "' WHERE kafka_topic = '"
                    + topic + "'; UPDATE click_offsets SET kafka_topic = '" + renamed + "' WHERE kafka_topic = '"
                    + topic + "'; COMMIT; (or DELETE them, if they may go)");
        }
        topicIds.put(topic, topicId);
    }

    @Override
    public synchronized void release(Collection<TopicPartition> partitions) {
        partitions.forEach(claims::remove);
    }

    @Override
    public synchronized OptionalLong lastOffset(TopicPartition partition) throws IOException {
        requireOpen();
        Claim claim = claims.get(partition);
        if (claim == null) {
            throw new IllegalStateException(partition + " is read before the sink claimed it");
        }
        return claim.lastOffset < 0 ? OptionalLong.empty() : OptionalLong.of(claim.lastOffset);
    }

    /**
     * The batch in one transaction, or, from {@value #ROWS_TO_SPLIT} rows on, each partition in a transaction of its
     * own, at once on up to {@link PostgresSinkConfig#writers()} connections: a partition's clicks and position need
     * nothing of another's. When this throws, the partitions it names stored nothing; others of the batch may have
     * been stored, and the consumer's next claim reads their positions from the table.
     */
    @Override
    public synchronized int write(List<StoredClick> clicks) throws IOException {
        requireOpen();
        Map<TopicPartition, PartitionBatch> batches = new LinkedHashMap<>();
        int repeats = 0;
        for (StoredClick click : clicks) {
            PartitionBatch batch = batches.computeIfAbsent(click.topicPartition(), partition -> {
                Claim claim = claims.get(partition);
                if (claim == null) {
                    throw new IllegalStateException(partition + " is written before the sink claimed it");
                }
                return new PartitionBatch(partition, claim);
            });
            if (click.offset() <= batch.lastSeen) {
                continue; // stored already: a redelivery
            }
            batch.lastSeen = click.offset();
            String clientEventId = click.click().clientEventId();
            long fingerprint = RecentClientEvents.fingerprint(click.click().partitionKey(), clientEventId);
            if (batch.claim.recent.contains(fingerprint) || (clientEventId != null && !batch.ids.add(fingerprint))) {
                repeats++;
                continue;
            }
            batch.fingerprints.add(fingerprint);
            batch.copy.add(click);
        }
        List<PartitionBatch> moving = batches.values().stream().filter(PartitionBatch::movesOn).toList();
        if (moving.isEmpty()) {
            return repeats;
        }
        long started = System.nanoTime();
        Set<LocalDate> clickDays = new TreeSet<>();
        for (PartitionBatch batch : moving) {
            batch.topicId = topicId(batch.partition.topic());
            clickDays.addAll(batch.copy.days());
        }
        ensureDays(clickDays);
        List<Outcome> outcomes = storeEach(transactions(moving));
        if (outcomes.stream().anyMatch(Outcome::dayMissing)) {
            // Another consumer's upkeep dropped a day this one knew: make the days again, and try those once more.
            days.forget();
            ensureDays(clickDays);
            List<Outcome> again = storeEach(outcomes.stream().filter(Outcome::dayMissing).map(Outcome::batches)
                    .toList());
            outcomes = new ArrayList<>(outcomes);
            outcomes.removeIf(Outcome::dayMissing);
            outcomes.addAll(again);
        }
        for (Outcome outcome : outcomes) {
            if (outcome.isCommitted()) {
                for (PartitionBatch batch : outcome.batches()) {
                    batch.fingerprints.forEach(batch.claim.recent::add);
                    batch.claim.lastOffset = batch.lastSeen;
                }
            }
        }
        writeTimes.accept(System.nanoTime() - started);
        throwIfNotAllStored(outcomes);
        maintainIfDue();
        return repeats;
    }

    /**
     * A batch of fewer than {@value #ROWS_TO_SPLIT} rows is one transaction, whatever its partitions: at a steady rate
     * a poll holds a few clicks of each partition, and a commit (a WAL flush) per partition would cost more than
     * the rows. A bigger one (a consumer catching up) is a transaction per partition, stored at once.
     */
    private static List<List<PartitionBatch>> transactions(List<PartitionBatch> batches) {
        int rows = batches.stream().mapToInt(batch -> batch.copy.rows()).sum();
        if (rows < ROWS_TO_SPLIT || batches.size() == 1) {
            return List.of(batches);
        }
        return batches.stream().map(List::of).toList();
    }

    private void ensureDays(Set<LocalDate> clickDays) throws IOException {
        try {
            days.ensure(connection(), clickDays);
        } catch (SQLException e) {
            throw failed("making the day partitions " + clickDays, e);
        }
    }

    /** Hands each transaction to a writer and waits for all of them. */
    private List<Outcome> storeEach(List<List<PartitionBatch>> transactions) throws IOException {
        List<Future<Outcome>> running = new ArrayList<>(transactions.size());
        for (List<PartitionBatch> transaction : transactions) {
            running.add(writers.submit(() -> storeOnWriter(transaction)));
        }
        List<Outcome> outcomes = new ArrayList<>(transactions.size());
        for (int i = 0; i < running.size(); i++) {
            try {
                outcomes.add(running.get(i).get());
            } catch (InterruptedException e) {
                // The writers finish on their own; what they committed, the next claim reads from the table.
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while storing clicks");
            } catch (ExecutionException e) {
                throw new IllegalStateException("storing clicks", e.getCause());
            }
        }
        return outcomes;
    }

    /**
     * One transaction on a writer connection: the rows of its partitions, then their positions, fenced. Two consumers
     * storing the same partition at once: the second one's rows wait for the first one's (the primary key), then
     * collide with them, or its position no longer holds what it read; either way nothing of its transaction is
     * stored. Rows first, so that a consumer frozen before its rows are in (its COPY sent, the rows not) holds no
     * lock another one waits for: the other goes on, and the frozen one's batch is refused when it thaws. A
     * consumer frozen after its rows went in makes the partition's next owner wait until its transaction ends:
     * {@link #TRANSACTION_TIMEOUT}. Positions in partition order, so that two transactions over the same partitions
     * take their locks in the same order.
     */
    private Outcome storeOnWriter(List<PartitionBatch> transaction) {
        Connection c;
        try {
            c = writerConnection();
        } catch (SQLException e) {
            return new Outcome(transaction, Set.of(), null, e);
        }
        try {
            for (PartitionBatch batch : transaction) {
                if (batch.copy.rows() > 0) {
                    try {
                        c.unwrap(PGConnection.class).getCopyAPI().copyIn(ClickCopy.SQL,
                                new ByteArrayInputStream(batch.copy.bytes()));
                    } catch (IOException e) {
                        throw new SQLException("COPY failed: " + e.getMessage(), "08006", e);
                    }
                }
            }
            Set<TopicPartition> fenced = new TreeSet<>(PARTITION_ORDER);
            List<PartitionBatch> inOrder = new ArrayList<>(transaction);
            inOrder.sort(Comparator.comparing(batch -> batch.partition, PARTITION_ORDER));
            for (PartitionBatch batch : inOrder) {
                if (!movePosition(c, batch)) {
                    fenced.add(batch.partition);
                }
            }
            if (!fenced.isEmpty()) {
                c.rollback();
                idleWriter(c);
                return new Outcome(transaction, fenced, "another consumer stored clicks of " + fenced
                        + " after this one took them (this one was out of the group for a while)", null);
            }
            c.commit();
            idleWriter(c);
            return Outcome.committed(transaction);
        } catch (SQLException e) {
            rollbackQuietly(c, e);
            // A connection in doubt is not used again.
            closeQuietly(c);
            String state = String.valueOf(e.getSQLState());
            if (state.equals("23505") || state.equals("40P01")) {
                // The rows of these offsets are there already (a unique key), or another consumer's transaction over
                // the same partitions deadlocked with this one: another consumer stores these partitions.
                Set<TopicPartition> partitions = new TreeSet<>(PARTITION_ORDER);
                transaction.forEach(batch -> partitions.add(batch.partition));
                return new Outcome(transaction, partitions, "another consumer stored clicks of " + partitions
                        + " after this one took them (" + e.getMessage() + ")", null);
            }
            return new Outcome(transaction, Set.of(), null, e);
        }
    }

    /**
     * A database that cannot store wins over a fence (both make the consumer claim again), and a failure that is
     * neither stops the consumer. Anything but a fence also closes every connection: the next try opens new ones.
     */
    private void throwIfNotAllStored(List<Outcome> outcomes) throws IOException {
        IOException failed = null;
        Set<TopicPartition> fenced = new TreeSet<>(PARTITION_ORDER);
        List<String> reasons = new ArrayList<>();
        for (Outcome outcome : outcomes) {
            if (outcome.failure() != null) {
                IOException e = classify("storing " + outcome.rows() + " clicks of " + outcome.partitions(),
                        outcome.failure());
                if (failed == null || (failed instanceof SinkUnavailableException
                        && !(e instanceof SinkUnavailableException))) {
                    failed = e;
                }
            } else if (!outcome.fenced().isEmpty()) {
                fenced.addAll(outcome.fenced());
                reasons.add(outcome.fencedBecause());
            }
        }
        if (failed != null) {
            closeConnection();
            closeIdleWriters();
            throw failed;
        }
        if (!fenced.isEmpty()) {
            throw new BatchFencedException(fenced, String.join("; ", reasons));
        }
    }

    /** Moves the partition's position where it still holds what this consumer read; false where it did not. */
    private boolean movePosition(Connection c, PartitionBatch batch) throws SQLException {
        if (batch.claim.lastOffset < 0) {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO click_offsets"
                    + " (kafka_topic, kafka_partition, topic_id, last_offset) VALUES (?, ?, ?, ?)"
                    + " ON CONFLICT DO NOTHING")) {
                insert.setString(1, batch.partition.topic());
                insert.setInt(2, batch.partition.partition());
                insert.setString(3, batch.topicId);
                insert.setLong(4, batch.lastSeen);
                return insert.executeUpdate() == 1;
            }
        }
        try (PreparedStatement update = c.prepareStatement("UPDATE click_offsets SET last_offset = ?,"
                + " updated_at = now() WHERE kafka_topic = ? AND kafka_partition = ? AND last_offset = ?"
                + " AND topic_id = ?")) {
            update.setLong(1, batch.lastSeen);
            update.setString(2, batch.partition.topic());
            update.setInt(3, batch.partition.partition());
            update.setLong(4, batch.claim.lastOffset);
            update.setString(5, batch.topicId);
            return update.executeUpdate() == 1;
        }
    }

    private String topicId(String topic) {
        Uuid id = topicIds.get(topic);
        if (id == null) {
            throw new IllegalStateException("the topic id of " + topic + " was never checked (checkTopicId)");
        }
        return id.toString();
    }

    /** Hourly: the next days' partitions, and the days past the retention dropped (by one consumer at a time). */
    private void maintainIfDue() {
        Instant now = clock.instant();
        if (now.isBefore(nextMaintenance)) {
            return;
        }
        nextMaintenance = now.plus(MAINTENANCE_INTERVAL);
        try {
            days.maintain(connection());
        } catch (SQLException e) {
            // Not this batch's problem (it is committed); the next hour tries again.
            log.warn("Keeping the day partitions of clicks: {}", describe(e));
            closeConnection();
        }
    }

    /**
     * A poll hands out one partition's fetched records before the next one's, and a fetch brings up to 1 MiB per
     * partition (about 3,500 clicks): 10,000 records span about three partitions when the consumer catches up, and
     * {@link #write} stores them at once. Measured with the benchmark: 61,000 clicks/s, against 43,000 with polls of
     * 2,000, which held one partition each. A few tens of MB of heap.
     */
    @Override
    public int recordsPerBatch() {
        return 10_000;
    }

    /** Runs the upkeep now, whatever the hour: tests move the clock and call this. Returns the days dropped. */
    public synchronized List<LocalDate> maintainNow() throws IOException {
        requireOpen();
        try {
            nextMaintenance = clock.instant().plus(MAINTENANCE_INTERVAL);
            return days.maintain(connection());
        } catch (SQLException e) {
            throw failed("keeping the day partitions", e);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            claims.clear();
            // No partition's transaction runs now: write() waits for its writers, and holds this sink's lock.
            writers.shutdownNow();
            closeConnection();
            closeIdleWriters();
        }
    }

    /** The connection, opened (and the schema migrated, the partitions kept) when there is none. */
    private Connection connection() throws SQLException {
        if (connection != null) {
            return connection;
        }
        if (!migrated) {
            migrate();
            migrated = true;
        }
        connection = openConnection();
        try {
            if (!clock.instant().isBefore(nextMaintenance)) {
                nextMaintenance = clock.instant().plus(MAINTENANCE_INTERVAL);
                days.maintain(connection);
            }
            return connection;
        } catch (SQLException e) {
            closeConnection();
            throw e;
        }
    }

    /** An idle writer connection, or a new one. */
    private Connection writerConnection() throws SQLException {
        synchronized (idleWriters) {
            Connection idle = idleWriters.pollFirst();
            if (idle != null) {
                return idle;
            }
        }
        return openConnection();
    }

    /** Back to the idle ones, unless the sink was closed meanwhile. */
    private void idleWriter(Connection c) {
        synchronized (idleWriters) {
            if (!closed) {
                idleWriters.addFirst(c);
                return;
            }
        }
        closeQuietly(c);
    }

    private void closeIdleWriters() {
        List<Connection> idle;
        synchronized (idleWriters) {
            idle = new ArrayList<>(idleWriters);
            idleWriters.clear();
        }
        idle.forEach(PostgresClickSink::closeQuietly);
    }

    /** A session as every one of this sink's: named, failing fast, its transactions bounded, committed by hand. */
    private Connection openConnection() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", config.user());
        properties.setProperty("password", config.password());
        // pg_stat_activity shows which sessions are the consumers'
        properties.setProperty("ApplicationName", APPLICATION_NAME);
        // Fail fast when the database is away: the loop pauses and tries again, and must not hang meanwhile.
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "60");
        properties.setProperty("tcpKeepAlive", "true");
        Connection opened = DriverManager.getConnection(config.jdbcUrl(), properties);
        try {
            if (opened.getMetaData().getDatabaseMajorVersion() >= 17) {
                try (Statement set = opened.createStatement()) {
                    set.execute("SET transaction_timeout = " + TRANSACTION_TIMEOUT.toMillis());
                }
            }
            opened.setAutoCommit(false);
            return opened;
        } catch (SQLException e) {
            closeQuietly(opened);
            throw e;
        }
    }

    /** The clicks table and its positions, created or brought up to date; several consumers at once migrate once. */
    private void migrate() throws SQLException {
        try {
            Flyway.configure(PostgresClickSink.class.getClassLoader())
                    .dataSource(config.jdbcUrl(), config.user(), config.password())
                    .locations("classpath:db/migration")
                    .connectRetries(0)
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof SQLException sql) {
                    throw sql;
                }
            }
            throw new SQLException("migrating the clicks table: " + e.getMessage(), "XX000", e);
        }
    }

    /**
     * A failure as the consumer handles it: one the database may get over by itself (unreachable, restarting, out of
     * space or connections, credentials refused, a deadlock) is a {@link SinkUnavailableException}; anything else
     * (the schema does not match, a bug) stops the consumer with the database's message.
     */
    private IOException failed(String doing, SQLException e) {
        closeConnection();
        return classify(doing, e);
    }

    private IOException classify(String doing, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.isEmpty() || state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")
                || state.startsWith("40") || state.startsWith("28") || state.equals("3D000")) {
            return new SinkUnavailableException(describe(e), e);
        }
        return new IOException("PostgreSQL at " + config.describe() + ", " + doing + ": " + e.getMessage(), e);
    }

    /** What went wrong, for the log and /readyz: the address and user, never the password. */
    private String describe(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String message = String.valueOf(e.getMessage());
        if (state.startsWith("28")) {
            return "PostgreSQL at " + config.describe() + " refuses the credentials (" + message + "): check "
                    + PostgresSinkConfig.USER_ENV_VARIABLE + " and " + PostgresSinkConfig.PASSWORD_ENV_VARIABLE
                    + " (in docker compose: POSTGRES_USER and POSTGRES_PASSWORD in .env; a database volume keeps the"
                    + " password it was created with)";
        }
        if (state.equals("3D000")) {
            return "PostgreSQL at " + config.describe() + " has no such database (" + message + "): create it, or fix "
                    + PostgresSinkConfig.URL_ENV_VARIABLE;
        }
        if (state.startsWith("08") || state.startsWith("57P") || state.isEmpty()) {
            return "PostgreSQL at " + config.describe() + " cannot be reached (" + message + ")";
        }
        return "PostgreSQL at " + config.describe() + ": " + message + " (SQLSTATE " + state + ")";
    }

    private void rollbackQuietly(Connection c, SQLException cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private void closeConnection() {
        if (connection != null) {
            closeQuietly(connection);
            connection = null;
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            log.debug("closing a database connection: {}", e.toString());
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the sink is closed");
        }
    }
}
