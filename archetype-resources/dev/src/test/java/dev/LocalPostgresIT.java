package ${package}.dev;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PostgreSQL that dev mode and the tests stand on, started as this build's user would start it: as nobody
 * when the build runs as root, as CI does (so this test never skips for root). It takes password logins over TCP,
 * keeps a committed row through a crash and a restart on the same data, refuses a second server on its data or
 * port with the reason, and leaves no process behind.
 */
class LocalPostgresIT {

    @TempDir
    static Path tempDir;

    static LocalPostgres postgres;

    @BeforeAll
    static void startPostgres() throws Exception {
        // JUnit makes its directory rwx------; a root build's server runs as nobody, who must pass through it
        Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
        long started = System.nanoTime();
        postgres = LocalPostgres.start(tempDir.resolve("postgres"), 0);
        System.out.printf("LocalPostgresIT: first start (initdb included) ready in %d ms on port %d%n",
                (System.nanoTime() - started) / 1_000_000, postgres.port());
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
            assertFalse(postgres.isRunning(), "the server outlived close()");
        }
    }

    @Test
    void logs_in_with_its_password_over_tcp_to_a_durable_database() throws Exception {
        try (Connection connection = connect(postgres)) {
            assertEquals(List.of(LocalPostgres.DATABASE, LocalPostgres.USER, "127.0.0.1", "on", "on"), row(connection,
                    "SELECT current_database(), current_user, current_setting('listen_addresses'),"
                            + " current_setting('fsync'), current_setting('synchronous_commit')"));
        }
        SQLException refused = assertThrows(SQLException.class,
                () -> DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), "not-the-password").close());
        assertEquals("28P01", refused.getSQLState(), "a wrong password is refused as such: " + refused.getMessage());
    }

    @Test
    void a_committed_row_survives_kill_and_restart_on_the_same_data() throws Exception {
        try (Connection connection = connect(postgres); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE crash_check (id int PRIMARY KEY, label text NOT NULL)");
            statement.execute("INSERT INTO crash_check VALUES (1, 'committed before the crash')");
        }
        int port = postgres.port();

        postgres.kill();
        assertFalse(postgres.isRunning(), "kill() returned but the server runs");
        assertThrows(SQLException.class, () -> connect(postgres).close(), "a killed server took a connection");

        long restarted = System.nanoTime();
        postgres.restart();
        System.out.printf("LocalPostgresIT: restart after kill (crash recovery included) ready in %d ms%n",
                (System.nanoTime() - restarted) / 1_000_000);
        assertTrue(postgres.isRunning());
        assertEquals(port, postgres.port(), "restart() moved to another port");
        try (Connection connection = connect(postgres)) {
            assertEquals(List.of("committed before the crash"),
                    row(connection, "SELECT label FROM crash_check WHERE id = 1"));
        }
    }

    @Test
    void a_second_server_on_the_same_data_or_port_is_refused_with_the_reason() {
        IllegalStateException sameData = assertThrows(IllegalStateException.class,
                () -> LocalPostgres.start(tempDir.resolve("postgres"), 0));
        assertTrue(sameData.getMessage().contains("runs on"), sameData.getMessage());

        IllegalStateException samePort = assertThrows(IllegalStateException.class,
                () -> LocalPostgres.start(tempDir.resolve("other"), postgres.port()));
        assertTrue(samePort.getMessage().contains("port " + postgres.port() + " on 127.0.0.1 is in use"),
                samePort.getMessage());
    }

    @Test
    void close_leaves_no_process_and_a_new_start_finds_the_password_and_the_rows() throws Exception {
        Path dataDir = tempDir.resolve("closed");
        LocalPostgres first = LocalPostgres.start(dataDir, 0);
        try (Connection connection = connect(first); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE kept (id int)");
            statement.execute("INSERT INTO kept VALUES (7)");
        }
        List<ProcessHandle> processes = serverProcesses(dataDir);
        assertFalse(processes.isEmpty(), "no process names " + dataDir + " on its command line");

        first.close();
        first.close();
        assertFalse(first.isRunning());
        assertEquals(List.of(), processes.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList(),
                "postgres processes alive after close()");
        assertEquals(List.of(), serverProcesses(dataDir), "processes on " + dataDir + " after close()");

        long started = System.nanoTime();
        try (LocalPostgres second = LocalPostgres.start(dataDir, 0); Connection connection = connect(second)) {
            System.out.printf("LocalPostgresIT: warm start on existing data ready in %d ms%n",
                    (System.nanoTime() - started) / 1_000_000);
            assertEquals(first.password(), second.password(), "the password stored with the data");
            assertEquals(List.of("7"), row(connection, "SELECT id FROM kept"));
        }
        assertEquals(List.of(), serverProcesses(dataDir), "processes on " + dataDir + " after the second close()");
    }

    private static Connection connect(LocalPostgres server) throws SQLException {
        return DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password());
    }

    /** The first row of the query's result, each column as text. */
    private static List<String> row(Connection connection, String query) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(query)) {
            assertTrue(result.next(), "no row from " + query);
            int columns = result.getMetaData().getColumnCount();
            return Stream.iterate(1, i -> i <= columns, i -> i + 1).map(i -> {
                try {
                    return result.getString(i);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        }
    }

    /** The server whose command line names the directory (postgres -D .../pgdata), with every process it started. */
    private static List<ProcessHandle> serverProcesses(Path dataDir) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(line -> line.contains(dataDir.toString())).orElse(false))
                .flatMap(p -> Stream.concat(Stream.of(p), p.descendants()))
                .filter(ProcessHandle::isAlive)
                .toList();
    }
}
