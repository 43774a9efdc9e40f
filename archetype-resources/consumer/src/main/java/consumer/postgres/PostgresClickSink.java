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
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * A {@link ClickSink} that stores clicks as rows of PostgreSQL's {@code clicks} table (see
 * {@code db/migration/V1__clicks.sql}), exactly once, with any number of consumers on any number of hosts.
 *
 * <ul>
 *   <li><b>One transaction per batch</b>: the rows go in with {@code COPY}, and each partition's position
 *       ({@code click_offsets.last_offset}) is moved in the same transaction. The consumer resumes each partition
 *       after that position, so what a crash left uncommitted in Kafka is not stored again.</li>
 *   <li><b>Fenced</b>: a batch moves a partition's position only where it still holds what this consumer read when
 *       it claimed the partition. A consumer that lost the partition in a long pause (GC, a frozen VM) and comes
 *       back finds that another one moved it on: nothing of its batch is stored ({@link BatchFencedException}),
 *       and it claims again. Under READ COMMITTED a second writer waits for the first's row lock, then re-reads
 *       the row and finds it changed.</li>
 *   <li><b>A browser's repeats</b> (the same {@code clientEventId} of the same user or session) are left out
 *       against the partition's last {@value RecentClientEvents#WINDOW} rows, read back from the table on each
 *       claim, so the window holds across restarts and hosts.</li>
 *   <li><b>The topic's id</b> is stored with each position: a topic deleted and created again is refused with
 *       what to do, never mixed with the old offsets.</li>
 *   <li><b>Faults</b>: a database that is down, restarting, full or refusing the credentials gives
 *       {@link SinkUnavailableException} (nothing stored; the consumer pauses and tries again), never a crash.
 *       The schema is migrated (Flyway, which serializes concurrent starts) on the first connection, so a consumer
 *       may start before its database.</li>
 *   <li><b>Retention</b>: {@link DayPartitions}, checked hourly.</li>
 * </ul>
 *
 * <p>One connection, used by the consumer's loop thread; the methods are synchronized for {@link #close}.
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
        final Claim claim;
        long lastSeen;
        final List<Long> fingerprints = new ArrayList<>();
        final Set<Long> ids = new HashSet<>();

        PartitionBatch(Claim claim) {
            this.claim = claim;
            this.lastSeen = claim.lastOffset;
        }

        boolean movesOn() {
            return lastSeen > claim.lastOffset;
        }
    }

    private final PostgresSinkConfig config;
    private final Clock clock;
    private final DayPartitions days;
    private final Map<TopicPartition, Claim> claims = new HashMap<>();
    /** Kafka's id of each topic, as the consumer last said it. */
    private final Map<String, Uuid> topicIds = new HashMap<>();
    private Connection connection;
    private boolean migrated;
    private Instant nextMaintenance = Instant.MIN;
    private boolean closed;
    private volatile LongConsumer writeTimes = nanos -> { };

    private PostgresClickSink(PostgresSinkConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.days = new DayPartitions(clock, config.retentionDays());
    }

    /** Connects lazily: the database may come up after the consumer, which then waits for it (/readyz says so). */
    public static PostgresClickSink open(PostgresSinkConfig config) {
        return open(config, Clock.systemUTC());
    }

    /** With a clock of the caller's choice: tests move it to make and drop day partitions. */
    public static PostgresClickSink open(PostgresSinkConfig config, Clock clock) {
        log.info("Sink: PostgreSQL at {}, clicks kept {} days", config.describe(), config.retentionDays());
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

    @Override
    public synchronized int write(List<StoredClick> clicks) throws IOException {
        requireOpen();
        Map<TopicPartition, PartitionBatch> batches = new LinkedHashMap<>();
        ClickCopy copy = new ClickCopy();
        int repeats = 0;
        for (StoredClick click : clicks) {
            PartitionBatch batch = batches.computeIfAbsent(click.topicPartition(), partition -> {
                Claim claim = claims.get(partition);
                if (claim == null) {
                    throw new IllegalStateException(partition + " is written before the sink claimed it");
                }
                return new PartitionBatch(claim);
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
            copy.add(click);
        }
        if (batches.values().stream().noneMatch(PartitionBatch::movesOn)) {
            return repeats;
        }
        long started = System.nanoTime();
        try {
            store(batches, copy);
        } catch (SQLException e) {
            throw failed("storing " + copy.rows() + " clicks", e);
        }
        for (PartitionBatch batch : batches.values()) {
            batch.fingerprints.forEach(batch.claim.recent::add);
            batch.claim.lastOffset = batch.lastSeen;
        }
        writeTimes.accept(System.nanoTime() - started);
        maintainIfDue();
        return repeats;
    }

    /**
     * The batch's one transaction: the rows, then each partition's position, fenced. Two consumers storing the same
     * partition at once: the second one's rows wait for the first one's (the primary key), then collide with them,
     * or its position no longer holds what it read; either way nothing of its batch is stored. Rows first, so that
     * a consumer frozen before its rows are in (its COPY sent, the rows not) holds no lock another one waits for:
     * the other goes on, and the frozen one's batch is refused when it thaws. A consumer frozen after its rows went
     * in makes the partition's next owner wait until its transaction ends: {@link #TRANSACTION_TIMEOUT}.
     */
    private void store(Map<TopicPartition, PartitionBatch> batches, ClickCopy copy) throws SQLException,
            BatchFencedException {
        Connection c = connection();
        days.ensure(c, copy.days());
        for (int attempt = 1; ; attempt++) {
            try {
                if (copy.rows() > 0) {
                    try {
                        c.unwrap(PGConnection.class).getCopyAPI().copyIn(ClickCopy.SQL,
                                new ByteArrayInputStream(copy.bytes()));
                    } catch (IOException e) {
                        throw new SQLException("COPY failed: " + e.getMessage(), "08006", e);
                    }
                }
                Set<TopicPartition> fenced = movePositions(c, batches);
                if (!fenced.isEmpty()) {
                    c.rollback();
                    throw new BatchFencedException(fenced, "another consumer stored clicks of " + fenced
                            + " after this one took them (this one was out of the group for a while)");
                }
                c.commit();
                return;
            } catch (SQLException e) {
                rollbackQuietly(c, e);
                String state = String.valueOf(e.getSQLState());
                if (state.equals("23505") || state.equals("40P01")) {
                    // The rows of these offsets are there already (a unique key), or another consumer's batch over
                    // the same partitions deadlocked with this one: another consumer stores these partitions.
                    throw new BatchFencedException(batches.keySet(), "another consumer stored clicks of "
                            + batches.keySet() + " after this one took them (" + e.getMessage() + ")");
                }
                if (attempt == 1 && "23514".equals(e.getSQLState()) && String.valueOf(e.getMessage())
                        .contains("no partition of relation")) {
                    // Another consumer's upkeep dropped a day this one knew: make the days again, once.
                    days.forget();
                    days.ensure(c, copy.days());
                    continue;
                }
                throw e;
            }
        }
    }

    /** Moves each partition's position where it still holds what this consumer read; returns where it did not. */
    private Set<TopicPartition> movePositions(Connection c, Map<TopicPartition, PartitionBatch> batches)
            throws SQLException {
        Set<TopicPartition> fenced = new HashSet<>();
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO click_offsets"
                + " (kafka_topic, kafka_partition, topic_id, last_offset) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
             PreparedStatement update = c.prepareStatement("UPDATE click_offsets SET last_offset = ?,"
                     + " updated_at = now() WHERE kafka_topic = ? AND kafka_partition = ? AND last_offset = ?"
                     + " AND topic_id = ?")) {
            List<Map.Entry<TopicPartition, PartitionBatch>> inOrder = new ArrayList<>(batches.entrySet());
            inOrder.sort(Map.Entry.comparingByKey(Comparator.comparing(TopicPartition::topic)
                    .thenComparingInt(TopicPartition::partition)));
            for (Map.Entry<TopicPartition, PartitionBatch> entry : inOrder) {
                TopicPartition partition = entry.getKey();
                PartitionBatch batch = entry.getValue();
                if (!batch.movesOn()) {
                    continue;
                }
                String topicId = topicId(partition.topic());
                int moved;
                if (batch.claim.lastOffset < 0) {
                    insert.setString(1, partition.topic());
                    insert.setInt(2, partition.partition());
                    insert.setString(3, topicId);
                    insert.setLong(4, batch.lastSeen);
                    moved = insert.executeUpdate();
                } else {
                    update.setLong(1, batch.lastSeen);
                    update.setString(2, partition.topic());
                    update.setInt(3, partition.partition());
                    update.setLong(4, batch.claim.lastOffset);
                    update.setString(5, topicId);
                    moved = update.executeUpdate();
                }
                if (moved == 0) {
                    fenced.add(partition);
                }
            }
        }
        return fenced;
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
            closeConnection();
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
            connection = opened;
            if (!clock.instant().isBefore(nextMaintenance)) {
                nextMaintenance = clock.instant().plus(MAINTENANCE_INTERVAL);
                days.maintain(opened);
            }
            return opened;
        } catch (SQLException e) {
            closeConnection();
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
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("closing the database connection: {}", e.toString());
            }
            connection = null;
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the sink is closed");
        }
    }
}
