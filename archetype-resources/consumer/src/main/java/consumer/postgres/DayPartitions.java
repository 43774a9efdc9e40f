package ${package}.consumer.postgres;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The day partitions of the clicks table, {@code clicks_YYYYMMDD} (UTC days): made {@value #DAYS_AHEAD} days
 * ahead, made on demand for a day a batch needs (a replay of old clicks), and dropped whole once past the retention.
 *
 * <p>Several consumers share one database: creating is serialized by a transaction-level advisory lock (two
 * {@code CREATE TABLE IF NOT EXISTS} at once can still collide in the catalog), and the hourly upkeep is done by one
 * consumer at a time, the one that gets the lock without waiting; the others skip it, since it is done.
 */
final class DayPartitions {

    static final int DAYS_AHEAD = 2;
    /** The advisory lock of this table's partitions: any fixed number, the same in every consumer of the database. */
    static final long LOCK_KEY = 0x636c69636b6c6f67L;
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("'clicks_'yyyyMMdd");
    private static final Pattern NAME_PATTERN = Pattern.compile("clicks_(\\d{8})");
    private static final Logger log = LoggerFactory.getLogger(DayPartitions.class);

    private final Clock clock;
    private final int retentionDays;
    /** Days this process knows to exist; a day another consumer dropped shows as "no partition" and is made again. */
    private final Set<LocalDate> known = new HashSet<>();

    DayPartitions(Clock clock, int retentionDays) {
        this.clock = clock;
        this.retentionDays = retentionDays;
    }

    static String tableName(LocalDate day) {
        return NAME.format(day);
    }

    LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    /** Makes sure each day has its partition, in a transaction of its own (committed here). */
    void ensure(Connection connection, Collection<LocalDate> days) throws SQLException {
        List<LocalDate> missing = days.stream().filter(day -> !known.contains(day)).toList();
        if (missing.isEmpty()) {
            return;
        }
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            lock.setLong(1, LOCK_KEY);
            lock.execute();
            for (LocalDate day : missing) {
                create(connection, day);
            }
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        }
        known.addAll(missing);
    }

    /** Forgets what it knew: after a COPY found a day missing (another consumer's upkeep dropped it). */
    void forget() {
        known.clear();
    }

    /**
     * The upkeep, if this consumer gets the lock: today's and the next days' partitions, and the days past the
     * retention dropped (each logged). Committed here. Returns the days dropped.
     */
    List<LocalDate> maintain(Connection connection) throws SQLException {
        List<LocalDate> dropped = new ArrayList<>();
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
            lock.setLong(1, LOCK_KEY);
            boolean mine;
            try (ResultSet result = lock.executeQuery()) {
                mine = result.next() && result.getBoolean(1);
            }
            if (!mine) {
                connection.rollback();
                log.debug("Another consumer keeps the day partitions right now");
                return dropped;
            }
            LocalDate today = today();
            for (int ahead = 0; ahead <= DAYS_AHEAD; ahead++) {
                create(connection, today.plusDays(ahead));
            }
            // A day goes once all of it is older than the retention: its end is at or before the cut-off.
            LocalDate cutoff = today.minusDays(retentionDays);
            for (LocalDate day : existing(connection)) {
                if (!day.plusDays(1).isAfter(cutoff)) {
                    try (Statement drop = connection.createStatement()) {
                        drop.execute("DROP TABLE IF EXISTS " + tableName(day));
                    }
                    dropped.add(day);
                }
            }
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        }
        for (LocalDate day : dropped) {
            known.remove(day);
            log.info("Dropped the clicks of {} (partition {}): older than {} days ({})", day, tableName(day),
                    retentionDays, PostgresSinkConfig.RETENTION_ENV_VARIABLE);
        }
        for (int ahead = 0; ahead <= DAYS_AHEAD; ahead++) {
            known.add(today().plusDays(ahead));
        }
        return dropped;
    }

    /** The days that have a partition now, oldest first. */
    static List<LocalDate> existing(Connection connection) throws SQLException {
        List<LocalDate> days = new ArrayList<>();
        try (Statement query = connection.createStatement();
             ResultSet result = query.executeQuery("SELECT c.relname FROM pg_inherits i"
                     + " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'clicks'::regclass"
                     + " ORDER BY c.relname")) {
            while (result.next()) {
                Matcher name = NAME_PATTERN.matcher(result.getString(1));
                if (name.matches()) {
                    days.add(LocalDate.parse(name.group(1), DateTimeFormatter.BASIC_ISO_DATE));
                }
            }
        }
        return days;
    }

    private static void create(Connection connection, LocalDate day) throws SQLException {
        try (Statement create = connection.createStatement()) {
            create.execute("CREATE TABLE IF NOT EXISTS " + tableName(day) + " PARTITION OF clicks FOR VALUES FROM ('"
                    + day + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')");
        }
    }
}
