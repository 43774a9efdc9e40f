package ${package}.loadtest.postgres;

import ${package}.loadtest.SinkContents;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the PostgreSQL sink's clicks table holds of one topic, read as the fault tests and the benchmark check it:
 * how often each eventId occurs (as {@link SinkContents}, so the same ledger checks apply), and per Kafka partition
 * whether the stored offsets leave a gap against the partition's position in {@code click_offsets}.
 *
 * @param sink    the rows as the JSON Lines checks see lines: eventId counts, the row count
 * @param gaps    per partition, offsets between its first stored one and its position that have no row, as text
 *                (a browser's repeat or a dead letter leaves a gap on purpose: callers send neither)
 */
public record TableContents(SinkContents sink, List<String> gaps) {

    public static TableContents read(String jdbcUrl, String user, String password, String topic) {
        Map<String, Integer> counts = new HashMap<>();
        List<String> gaps = new ArrayList<>();
        long rows = 0;
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password)) {
            if (!tableExists(c)) {
                return new TableContents(new SinkContents(counts, 0, List.of(), 0), gaps);
            }
            try (PreparedStatement query = c.prepareStatement(
                    "SELECT event_id::text, kafka_partition, kafka_offset FROM clicks WHERE kafka_topic = ?"
                            + " ORDER BY kafka_partition, kafka_offset")) {
                query.setString(1, topic);
                query.setFetchSize(10_000);
                c.setAutoCommit(false);
                try (ResultSet row = query.executeQuery()) {
                    int partition = -1;
                    long last = -1;
                    while (row.next()) {
                        rows++;
                        counts.merge(row.getString(1), 1, Integer::sum);
                        int p = row.getInt(2);
                        long offset = row.getLong(3);
                        if (p == partition && offset != last + 1) {
                            gaps.add("partition " + p + ": no row for offsets " + (last + 1) + " to " + (offset - 1));
                        }
                        partition = p;
                        last = offset;
                    }
                }
            }
            try (PreparedStatement query = c.prepareStatement("SELECT kafka_partition, last_offset,"
                    + " (SELECT max(kafka_offset) FROM clicks WHERE kafka_topic = o.kafka_topic"
                    + " AND kafka_partition = o.kafka_partition) FROM click_offsets o WHERE kafka_topic = ?")) {
                query.setString(1, topic);
                try (ResultSet row = query.executeQuery()) {
                    while (row.next()) {
                        if (row.getLong(2) != row.getLong(3)) {
                            gaps.add("partition " + row.getInt(1) + ": position " + row.getLong(2)
                                    + " but the last row is at offset " + row.getLong(3));
                        }
                    }
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the clicks table at " + jdbcUrl + ": " + e.getMessage(), e);
        }
        return new TableContents(new SinkContents(counts, rows, List.of(), 0), gaps);
    }

    private static boolean tableExists(Connection c) throws SQLException {
        try (PreparedStatement query = c.prepareStatement("SELECT to_regclass('clicks') IS NOT NULL");
             ResultSet row = query.executeQuery()) {
            return row.next() && row.getBoolean(1);
        }
    }
}
