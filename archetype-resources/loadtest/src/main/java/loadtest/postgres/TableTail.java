package ${package}.loadtest.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Follows the PostgreSQL sink's clicks table as the consumer commits to it, as {@code SinkTail} follows the JSON
 * Lines files: it polls the tiny {@code click_offsets} table, and when a partition's {@code last_offset} has moved,
 * reads that partition's new rows by (kafka_topic, kafka_partition, kafka_offset) range, which the primary key's
 * index serves, and hands each row's {@code seq} (the benchmark's clicks carry one, kept in {@code extra}) to a
 * listener with the time of that poll.
 *
 * <p>A row's batch was committed before the poll that saw its position, so a latency it reports includes at most one
 * poll interval and one round trip of that poll of its own. Without a listener it only follows the positions: the
 * records stored so far, and when they first and last moved (what a catch-up is timed by).
 */
public final class TableTail implements AutoCloseable {

    /** A committed row's {@code seq} (-1 if it has none) and {@link System#nanoTime()} of the poll that saw it. */
    public interface RowListener {
        void onRow(long seq, long seenNanos);
    }

    /** SQLSTATE undefined_table. */
    private static final String UNDEFINED_TABLE = "42P01";

    private final Connection connection;
    private final String topic;
    private final RowListener listener;
    private final long pollNanos;
    private final PreparedStatement positionsQuery;
    private final PreparedStatement rowsQuery;
    /** Each partition's last_offset as last seen; the first poll's are the baseline, whose rows are not read. */
    private final Map<Integer, Long> positions = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long stored;
    private volatile long firstMoveNanos;
    private volatile long lastMoveNanos;
    private volatile RuntimeException failure;

    /**
     * Connects, reads the positions as they are now, and starts following from them on a thread of its own.
     *
     * @param listener null to follow only the positions
     */
    public TableTail(String jdbcUrl, String user, String password, String topic, Duration poll,
                     RowListener listener) {
        this.topic = topic;
        this.listener = listener;
        this.pollNanos = poll.toNanos();
        try {
            connection = DriverManager.getConnection(jdbcUrl, user, password);
            positionsQuery = connection.prepareStatement(
                    "SELECT kafka_partition, last_offset FROM click_offsets WHERE kafka_topic = ?");
            positionsQuery.setString(1, topic);
            rowsQuery = connection.prepareStatement("SELECT (extra->>'seq')::bigint FROM clicks"
                    + " WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset > ? AND kafka_offset <= ?");
            rowsQuery.setString(1, topic);
            poll(false);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot follow the clicks table at " + jdbcUrl + ": " + e.getMessage(), e);
        }
        thread = new Thread(this::follow, "table-tail");
        thread.setDaemon(true);
        thread.start();
    }

    /** Records of the topic up to the partitions' positions: the rows committed, when every record is a click. */
    public long stored() {
        throwIfFailed();
        return stored;
    }

    /** {@link System#nanoTime()} of the poll that first saw a position move, or 0. */
    public long firstMoveNanos() {
        return firstMoveNanos;
    }

    /** {@link System#nanoTime()} of the poll that last saw a position move, or 0. */
    public long lastMoveNanos() {
        return lastMoveNanos;
    }

    private void follow() {
        try {
            while (running) {
                long next = System.nanoTime() + pollNanos;
                poll(true);
                LockSupport.parkNanos(next - System.nanoTime());
            }
        } catch (SQLException | RuntimeException e) {
            failure = new IllegalStateException("following the clicks table of " + topic + ": " + e.getMessage(), e);
        }
    }

    private void poll(boolean report) throws SQLException {
        Map<Integer, Long> moved = new HashMap<>();
        try (ResultSet row = positionsQuery.executeQuery()) {
            while (row.next()) {
                moved.put(row.getInt(1), row.getLong(2));
            }
        } catch (SQLException e) {
            if (UNDEFINED_TABLE.equals(e.getSQLState())) {
                return; // the consumer has not created the tables yet: nothing is stored
            }
            throw e;
        }
        long seen = System.nanoTime();
        long total = 0;
        boolean anyMoved = false;
        for (Map.Entry<Integer, Long> position : moved.entrySet()) {
            long before = positions.getOrDefault(position.getKey(), -1L);
            total += position.getValue() + 1;
            if (position.getValue() > before) {
                anyMoved = true;
                if (report && listener != null) {
                    readRows(position.getKey(), before, position.getValue(), seen);
                }
                positions.put(position.getKey(), position.getValue());
            }
        }
        stored = total;
        if (anyMoved && report) {
            if (firstMoveNanos == 0) {
                firstMoveNanos = seen;
            }
            lastMoveNanos = seen;
        }
    }

    private void readRows(int partition, long after, long upTo, long seen) throws SQLException {
        rowsQuery.setInt(2, partition);
        rowsQuery.setLong(3, after);
        rowsQuery.setLong(4, upTo);
        try (ResultSet row = rowsQuery.executeQuery()) {
            while (row.next()) {
                long seq = row.getLong(1);
                listener.onRow(row.wasNull() ? -1 : seq, seen);
            }
        }
    }

    private void throwIfFailed() {
        RuntimeException e = failure;
        if (e != null) {
            throw e;
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            connection.close();
        } catch (SQLException e) {
            // only read from; nothing to lose
        }
        throwIfFailed();
    }
}
