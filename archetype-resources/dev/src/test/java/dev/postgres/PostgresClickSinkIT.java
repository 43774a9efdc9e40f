package ${package}.dev.postgres;

import ${package}.consumer.BatchFencedException;
import ${package}.consumer.SinkUnavailableException;
import ${package}.consumer.StoredClick;
import ${package}.consumer.postgres.PostgresClickSink;
import ${package}.consumer.postgres.PostgresSinkConfig;
import ${package}.dev.LocalPostgres;
import ${package}.shared.ClickEvent;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PostgreSQL sink on a real PostgreSQL server ({@link LocalPostgres}; as root, it runs as an unprivileged
 * user, so this never skips in CI): rows and positions, a browser's repeats across restarts, a big batch's
 * partitions stored at once, the fence against a consumer that lost its partitions, a re-created topic, the database down or refusing the password, several
 * consumers migrating an empty database at once, and day partitions made and dropped on an injected clock.
 * Each test starts on an empty database (the schema dropped).
 */
@Timeout(120)
class PostgresClickSinkIT {

    private static final String TOPIC = "pg-clicks";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
    private static final Uuid TOPIC_ID = Uuid.randomUuid();
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    private static Path dir;
    private static LocalPostgres postgres;
    private final List<PostgresClickSink> sinks = new ArrayList<>();

    @BeforeAll
    static void startPostgres() throws IOException {
        // rwx--x--x: as root the server runs as nobody, who must be able to pass through to its data directory
        dir = Files.createTempDirectory("postgres-sink-it",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        postgres = LocalPostgres.start(dir.resolve("pgdata"), 0);
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void emptyDatabase() throws SQLException {
        if (!postgres.isRunning()) {
            postgres.restart();
        }
        sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    }

    @AfterEach
    void closeSinks() {
        sinks.forEach(PostgresClickSink::close);
    }

    @Test
    void clicks_become_rows_with_their_fields_and_place_and_the_position_moves_in_the_same_transaction()
            throws Exception {
        PostgresClickSink sink = claimed(P0);
        ClickEvent odd = new ClickEvent(UUID.randomUUID(), NOW, "movie \"42\", the sequel\nline two", "u1", "s1",
                "/caf\u00e9?a=1,b=2", null, "c-1", NOW.minusSeconds(1),
                Map.of("rating", JsonNodeFactory.instance.numberNode(4.5),
                        "note", JsonNodeFactory.instance.textNode("nul \u0000 here")));
        assertEquals(0, sink.write(List.of(stored(0, 0, "u1", null), new StoredClick(TOPIC, 0, 1, odd),
                stored(0, 2, "u2", null))));

        assertEquals(OptionalLong.of(2), sink.lastOffset(P0));
        assertEquals("3", one("SELECT count(*) FROM clicks"));
        assertEquals("2", one("SELECT last_offset FROM click_offsets WHERE kafka_topic = '" + TOPIC + "'"));
        assertEquals(TOPIC_ID.toString(), one("SELECT topic_id FROM click_offsets"));
        assertEquals("movie \"42\", the sequel\nline two|u1|s1|/caf\u00e9?a=1,b=2|c-1|4.5|nul \uFFFD here|"
                        + TOPIC + "|0|1|" + NOW.atOffset(ZoneOffset.UTC).toLocalDate(),
                one("SELECT item_id || '|' || user_id || '|' || session_id || '|' || page || '|' || client_event_id"
                        + " || '|' || (extra->>'rating') || '|' || (extra->>'note') || '|' || kafka_topic || '|'"
                        + " || kafka_partition || '|' || kafka_offset || '|' || (clicked_at AT TIME ZONE 'UTC')::date"
                        + " FROM clicks WHERE kafka_offset = 1"));
        assertEquals(null, one("SELECT referrer FROM clicks WHERE kafka_offset = 1"), "null stays NULL");
        assertEquals(odd.eventId().toString(), one("SELECT event_id FROM clicks WHERE kafka_offset = 1"));

        // a new sink (a restart, another host) resumes after the stored position
        PostgresClickSink again = claimed(P0);
        assertEquals(OptionalLong.of(2), again.lastOffset(P0));
    }

    @Test
    void a_browser_repeat_is_left_out_within_a_batch_and_after_a_restart() throws Exception {
        PostgresClickSink sink = claimed(P0);
        assertEquals(1, sink.write(List.of(stored(0, 0, "u1", "c-1"), stored(0, 1, "u1", "c-1"),
                stored(0, 2, "u2", "c-1"))), "the second c-1 of u1 is a repeat; u2's c-1 is another click");
        sink.close();

        PostgresClickSink restarted = claimed(P0);
        assertEquals(1, restarted.write(List.of(stored(0, 3, "u1", "c-1"), stored(0, 4, "u1", "c-2"))),
                "the window is rebuilt from the table");
        assertEquals("3", one("SELECT count(*) FROM clicks"));
        assertEquals("4", one("SELECT last_offset FROM click_offsets"));
    }

    @Test
    void a_consumer_that_lost_its_partition_stores_nothing_of_its_batch() throws Exception {
        PostgresClickSink stale = claimed(P0, P1);
        PostgresClickSink owner = claimed(P0);
        owner.write(List.of(stored(0, 0, "u1", null), stored(0, 1, "u1", null)));

        // the stale consumer's (small) batch reaches both partitions: one transaction, none of it stored, P1 included
        BatchFencedException fenced = assertThrows(BatchFencedException.class, () -> stale.write(List.of(
                stored(0, 0, "u1", null), stored(1, 0, "u3", null))));
        assertTrue(fenced.partitions().contains(P0), "fenced: " + fenced.partitions());
        assertEquals("2", one("SELECT count(*) FROM clicks"));
        assertEquals("0", one("SELECT count(*) FROM clicks WHERE kafka_partition = 1"));

        // a batch big enough to be stored a partition at a time: P1, which nobody else stored, goes in
        List<StoredClick> big = new ArrayList<>();
        for (int offset = 0; offset < PostgresClickSink.ROWS_TO_SPLIT; offset++) {
            big.add(stored(0, offset, "u1", null));
            big.add(stored(1, offset, "u3", null));
        }
        fenced = assertThrows(BatchFencedException.class, () -> stale.write(big));
        assertEquals(Set.of(P0), fenced.partitions());
        assertEquals("2", one("SELECT count(*) FROM clicks WHERE kafka_partition = 0"));
        assertEquals(String.valueOf(PostgresClickSink.ROWS_TO_SPLIT),
                one("SELECT count(*) FROM clicks WHERE kafka_partition = 1"));
        assertEquals(OptionalLong.of(PostgresClickSink.ROWS_TO_SPLIT - 1), stale.lastOffset(P1),
                "the partition that was stored moved on in the sink too");

        // once both have a position, the fence is the position itself
        owner.write(List.of(stored(0, 2, "u1", null)));
        PostgresClickSink second = claimed(P0);
        owner.write(List.of(stored(0, 3, "u1", null)));
        assertThrows(BatchFencedException.class, () -> second.write(List.of(stored(0, 3, "u1", null))));
        assertEquals("4", one("SELECT count(*) FROM clicks WHERE kafka_partition = 0"));

        // claiming again re-reads the position: the stale one goes on after the owner's clicks
        assertTrue(stale.claim(P0));
        assertEquals(OptionalLong.of(3), stale.lastOffset(P0));
        stale.write(List.of(stored(0, 4, "u1", null)));
        assertEquals("0 1 2 3 4", one("SELECT string_agg(kafka_offset::text, ' ' ORDER BY kafka_offset) FROM clicks"
                + " WHERE kafka_partition = 0"));
    }

    @Test
    void the_partitions_of_a_big_batch_are_stored_at_once_each_in_a_transaction_of_its_own() throws Exception {
        PostgresClickSink sink = claimed(P0, P1);
        sink.write(List.of(stored(0, 0, "u1", null), stored(1, 0, "u2", null)));
        List<StoredClick> big = new ArrayList<>();
        int each = PostgresClickSink.ROWS_TO_SPLIT / 2;
        for (int offset = 1; offset <= each; offset++) {
            big.add(stored(0, offset, "u1", null));
            big.add(stored(1, offset, "u2", null));
        }
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (Connection other = connect()) {
            // another session holds P1's position row: P1's transaction waits for it, P0's must not
            other.setAutoCommit(false);
            try (Statement lock = other.createStatement()) {
                lock.execute("SELECT * FROM click_offsets WHERE kafka_partition = 1 FOR UPDATE");
            }
            Future<Integer> writing = thread.submit(() -> sink.write(big));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!String.valueOf(each).equals(one("SELECT last_offset FROM click_offsets"
                    + " WHERE kafka_partition = 0"))) {
                assertTrue(System.nanoTime() < deadline, "P0 was not stored while P1 waited for its lock");
                Thread.sleep(20);
            }
            assertFalse(writing.isDone(), "the write returns once every partition's transaction has ended");
            other.rollback();
            assertEquals(0, writing.get(30, TimeUnit.SECONDS));
        } finally {
            thread.shutdownNow();
        }
        assertEquals(each + " " + each, one("SELECT string_agg(last_offset::text, ' ' ORDER BY kafka_partition)"
                + " FROM click_offsets"));
        assertEquals(String.valueOf(2 + 2 * each), one("SELECT count(*) FROM clicks"));
        assertTrue(Integer.parseInt(one("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                + PostgresClickSink.APPLICATION_NAME + "'")) <= PostgresSinkConfig.DEFAULT_WRITERS + 1,
                "one connection for claims and up to " + PostgresSinkConfig.DEFAULT_WRITERS + " writers");
    }

    @Test
    void two_consumers_storing_the_same_partition_at_once_store_it_once() throws Exception {
        PostgresClickSink a = claimed(P0);
        PostgresClickSink b = claimed(P0);
        a.write(List.of(stored(0, 0, "u1", null)));
        assertTrue(a.claim(P0) && b.claim(P0));
        CyclicBarrier together = new CyclicBarrier(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> outcomes = new ArrayList<>();
            for (PostgresClickSink sink : List.of(a, b)) {
                outcomes.add(threads.submit(() -> {
                    together.await();
                    try {
                        sink.write(List.of(stored(0, 1, "u1", null), stored(0, 2, "u1", null)));
                        return "stored";
                    } catch (BatchFencedException e) {
                        return "fenced";
                    }
                }));
            }
            List<String> results = new ArrayList<>();
            for (Future<String> outcome : outcomes) {
                results.add(outcome.get(30, TimeUnit.SECONDS));
            }
            results.sort(null);
            assertEquals(List.of("fenced", "stored"), results);
        } finally {
            threads.shutdownNow();
        }
        assertEquals("3", one("SELECT count(*) FROM clicks"));
    }

    @Test
    void a_topic_deleted_and_created_again_is_refused_with_what_to_do() throws Exception {
        claimed(P0).write(List.of(stored(0, 0, "u1", null)));
        PostgresClickSink later = sink(Clock.fixed(NOW, ZoneOffset.UTC));
        assertTrue(later.claim(P0));
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> later.checkTopicId(TOPIC, Uuid.randomUuid()));
        assertTrue(refused.getMessage().contains("deleted and created again")
                && refused.getMessage().contains("UPDATE clicks SET kafka_topic"), refused.getMessage());
    }

    @Test
    void several_consumers_on_an_empty_database_create_the_schema_once() throws Exception {
        int consumers = 4;
        CyclicBarrier together = new CyclicBarrier(consumers);
        ExecutorService threads = Executors.newFixedThreadPool(consumers);
        try {
            List<Future<Boolean>> claims = new ArrayList<>();
            for (int i = 0; i < consumers; i++) {
                TopicPartition partition = new TopicPartition(TOPIC, i);
                PostgresClickSink sink = sink(Clock.fixed(NOW, ZoneOffset.UTC));
                Callable<Boolean> claim = () -> {
                    together.await();
                    boolean claimed = sink.claim(partition);
                    sink.checkTopicId(TOPIC, TOPIC_ID);
                    sink.write(List.of(stored(partition.partition(), 0, "u" + partition.partition(), null)));
                    return claimed;
                };
                claims.add(threads.submit(claim));
            }
            for (Future<Boolean> claim : claims) {
                assertTrue(claim.get(60, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals("1", one("SELECT count(*) FROM flyway_schema_history WHERE success"));
        assertEquals("4", one("SELECT count(*) FROM clicks"));
    }

    @Test
    void day_partitions_are_made_ahead_and_dropped_past_the_retention() throws Exception {
        MovingClock clock = new MovingClock(NOW);
        PostgresClickSink sink = PostgresClickSink.open(config(3), clock);
        sinks.add(sink);
        assertTrue(sink.claim(P0));
        sink.checkTopicId(TOPIC, TOPIC_ID);
        LocalDate today = LocalDate.of(2026, 12, 6);
        assertEquals(List.of(today, today.plusDays(1), today.plusDays(2)), days());

        // a click of a day long gone (a replay) gets its day made on demand
        sink.write(List.of(stored(0, 0, "u1", null, NOW.minus(Duration.ofDays(10))), stored(0, 1, "u1", null, NOW)));
        assertTrue(days().contains(today.minusDays(10)));

        clock.now = NOW.plus(Duration.ofDays(4));
        List<LocalDate> dropped = sink.maintainNow();
        // retention 3 days on 2026-12-10: a day goes once all of it is older than 3 days (before 12-07)
        assertEquals(List.of(today.minusDays(10), today), dropped);
        assertEquals(List.of(today.plusDays(1), today.plusDays(2), today.plusDays(4), today.plusDays(5),
                today.plusDays(6)), days(), "12-09 was never needed: a day is made ahead or on demand");
        assertEquals("0", one("SELECT count(*) FROM clicks"), "both clicks were on dropped days");
        assertEquals("1", one("SELECT last_offset FROM click_offsets"), "the position stays");
    }

    @Test
    void the_database_down_or_refusing_the_password_is_an_outage_to_wait_out_and_never_shows_the_password()
            throws Exception {
        PostgresClickSink sink = claimed(P0);
        sink.write(List.of(stored(0, 0, "u1", null)));
        postgres.stop();
        SinkUnavailableException down = assertThrows(SinkUnavailableException.class,
                () -> sink.write(List.of(stored(0, 1, "u1", null))));
        assertTrue(down.getMessage().contains("cannot be reached"), down.getMessage());
        assertFalse(down.getMessage().contains(postgres.password()), "the password is never shown");
        postgres.restart();
        sink.write(List.of(stored(0, 1, "u1", null)));
        assertEquals("2", one("SELECT count(*) FROM clicks"));

        PostgresClickSink wrongPassword = PostgresClickSink.open(new PostgresSinkConfig(postgres.jdbcUrl(),
                postgres.user(), "not-" + postgres.password(), 90));
        sinks.add(wrongPassword);
        SinkUnavailableException refused = assertThrows(SinkUnavailableException.class,
                () -> wrongPassword.claim(P0));
        assertTrue(refused.getMessage().contains("refuses the credentials")
                && refused.getMessage().contains(PostgresSinkConfig.PASSWORD_ENV_VARIABLE), refused.getMessage());
        assertFalse(refused.getMessage().contains(postgres.password()), "the password is never shown");
    }

    private PostgresClickSink claimed(TopicPartition... partitions) throws IOException {
        PostgresClickSink sink = sink(Clock.fixed(NOW, ZoneOffset.UTC));
        for (TopicPartition partition : partitions) {
            assertTrue(sink.claim(partition));
        }
        sink.checkTopicId(TOPIC, TOPIC_ID);
        return sink;
    }

    private PostgresClickSink sink(Clock clock) {
        PostgresClickSink sink = PostgresClickSink.open(config(90), clock);
        sinks.add(sink);
        return sink;
    }

    private static PostgresSinkConfig config(int retentionDays) {
        return new PostgresSinkConfig(postgres.jdbcUrl(), postgres.user(), postgres.password(), retentionDays);
    }

    private static StoredClick stored(int partition, long offset, String userId, String clientEventId) {
        return stored(partition, offset, userId, clientEventId, NOW);
    }

    private static StoredClick stored(int partition, long offset, String userId, String clientEventId, Instant at) {
        return new StoredClick(TOPIC, partition, offset, new ClickEvent(UUID.randomUUID(), at, "movie-" + offset,
                userId, null, "/movies", null, clientEventId, clientEventId == null ? null : at, Map.of()));
    }

    private static List<LocalDate> days() throws SQLException {
        List<LocalDate> days = new ArrayList<>();
        try (Connection c = connect(); Statement query = c.createStatement();
             ResultSet rows = query.executeQuery("SELECT c.relname FROM pg_inherits i JOIN pg_class c"
                     + " ON c.oid = i.inhrelid WHERE i.inhparent = 'clicks'::regclass ORDER BY c.relname")) {
            while (rows.next()) {
                days.add(LocalDate.parse(rows.getString(1).substring("clicks_".length()),
                        DateTimeFormatter.BASIC_ISO_DATE));
            }
        }
        return days;
    }

    private static String one(String query) throws SQLException {
        try (Connection c = connect(); Statement statement = c.createStatement();
             ResultSet row = statement.executeQuery(query)) {
            assertTrue(row.next(), "no row: " + query);
            return row.getString(1);
        }
    }

    private static void sql(String statements) throws SQLException {
        try (Connection c = connect(); Statement statement = c.createStatement()) {
            statement.execute(statements);
        }
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
    }

    /** A clock the test moves. */
    private static final class MovingClock extends Clock {
        volatile Instant now;

        MovingClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
