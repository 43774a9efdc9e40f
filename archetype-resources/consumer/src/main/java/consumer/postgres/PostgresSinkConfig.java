package ${package}.consumer.postgres;

import java.util.Map;
import java.util.Objects;

/**
 * Where the PostgreSQL sink stores clicks, and for how long: from environment variables ({@link #resolve}) or a test.
 *
 * @param jdbcUrl       {@code jdbc:postgresql://host:port/database}, with any pgjdbc parameters (sslmode...)
 * @param user          the database user; it owns the tables (the consumer creates them)
 * @param password      never logged
 * @param retentionDays whole days of clicks kept; older day partitions are dropped
 * @param writers       how many partitions' transactions run at once, each on a connection of its own
 */
public record PostgresSinkConfig(String jdbcUrl, String user, String password, int retentionDays, int writers) {

    public static final String URL_ENV_VARIABLE = "CLICK_DATABASE_URL";
    public static final String USER_ENV_VARIABLE = "CLICK_DATABASE_USER";
    public static final String PASSWORD_ENV_VARIABLE = "CLICK_DATABASE_PASSWORD";
    public static final String RETENTION_ENV_VARIABLE = "CLICK_RETENTION_DAYS";
    public static final String WRITERS_ENV_VARIABLE = "CLICK_DATABASE_WRITERS";
    /** The compose file's postgres service, as seen from the host (its port is published only if generated so). */
    public static final String DEFAULT_URL = "jdbc:postgresql://localhost:#if( $postgresPort == "none" )5432#{else}${postgresPort}#end/clicklog";
    /** The database and user of the compose file's postgres service (POSTGRES_DB, POSTGRES_USER) and of dev mode. */
    public static final String DEFAULT_DATABASE = "clicklog";
    public static final String DEFAULT_USER = "clicklog";
    public static final int DEFAULT_RETENTION_DAYS = 90;
    /**
     * A consumer holds this many connections for its partitions, plus one: the topic's 3 partitions (dev mode's and
     * the compose file's) each on its own, with one to spare for a consumer given more of them.
     */
    public static final int DEFAULT_WRITERS = 4;

    public PostgresSinkConfig {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException(URL_ENV_VARIABLE + " must be a PostgreSQL JDBC URL"
                    + " (jdbc:postgresql://host:5432/clicklog), got '" + withoutParameters(jdbcUrl) + "'");
        }
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("the database user is empty: set " + USER_ENV_VARIABLE
                    + " or leave it unset for " + DEFAULT_USER);
        }
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException(PASSWORD_ENV_VARIABLE + " is not set: the consumer in docker compose"
                    + " gets it from POSTGRES_PASSWORD in .env; on the host, export " + PASSWORD_ENV_VARIABLE
                    + " with that value (or your database's password)");
        }
        if (retentionDays < 1) {
            throw new IllegalArgumentException(RETENTION_ENV_VARIABLE + " must be at least 1 (days of clicks kept),"
                    + " got " + retentionDays);
        }
        if (writers < 1 || writers > 64) {
            throw new IllegalArgumentException(WRITERS_ENV_VARIABLE + " must be from 1 to 64 (connections that store"
                    + " partitions at once), got " + writers);
        }
    }

    /** With {@value #DEFAULT_WRITERS} writers. */
    public PostgresSinkConfig(String jdbcUrl, String user, String password, int retentionDays) {
        this(jdbcUrl, user, password, retentionDays, DEFAULT_WRITERS);
    }

    /**
     * Reads {@code CLICK_DATABASE_URL} (default {@value #DEFAULT_URL}), {@code CLICK_DATABASE_USER} (default
     * {@value #DEFAULT_USER}), {@code CLICK_DATABASE_PASSWORD} (required), {@code CLICK_RETENTION_DAYS}
     * (default {@value #DEFAULT_RETENTION_DAYS}) and {@code CLICK_DATABASE_WRITERS} (default
     * {@value #DEFAULT_WRITERS}).
     */
    public static PostgresSinkConfig resolve(Map<String, String> environment) {
        return new PostgresSinkConfig(
                valueOr(environment, URL_ENV_VARIABLE, DEFAULT_URL),
                valueOr(environment, USER_ENV_VARIABLE, DEFAULT_USER),
                environment.get(PASSWORD_ENV_VARIABLE),
                wholeNumber(environment, RETENTION_ENV_VARIABLE, DEFAULT_RETENTION_DAYS, "days"),
                wholeNumber(environment, WRITERS_ENV_VARIABLE, DEFAULT_WRITERS, "connections"));
    }

    /** The URL as it may be logged: parameters (which could carry a password) left out. */
    public String describe() {
        return withoutParameters(jdbcUrl) + " as " + user;
    }

    static String withoutParameters(String url) {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query) + "?...";
    }

    private static int wholeNumber(Map<String, String> environment, String name, int fallback, String unit) {
        String value = environment.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number of " + unit + ", got '" + value
                    + "': fix or unset it (unset means " + fallback + ")");
        }
    }

    private static String valueOr(Map<String, String> environment, String name, String fallback) {
        String value = environment.get(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    /** Never the password: records print their components, and this one is logged. */
    @Override
    public String toString() {
        return "PostgresSinkConfig[" + describe() + ", retentionDays=" + retentionDays + ", writers=" + writers + "]";
    }
}
