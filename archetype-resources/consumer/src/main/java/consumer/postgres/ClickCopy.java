package ${package}.consumer.postgres;

import ${package}.consumer.StoredClick;
import ${package}.shared.ClickEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.TreeSet;

/**
 * One batch's rows for {@code COPY clicks FROM STDIN} in CSV: one round trip and no per-row statement, about ten times
 * the rate of batched INSERTs for rows this narrow.
 *
 * <p>Every text field is quoted (quotes doubled inside), and SQL NULL is an unquoted empty field, so an empty string
 * stays an empty string and no value can be read as COPY's end-of-data line. PostgreSQL cannot store the character
 * U+0000 in text or jsonb; a click carrying one gets U+FFFD in its place rather than failing its whole batch.
 */
final class ClickCopy {

    static final String SQL = "COPY clicks (event_id, clicked_at, item_id, user_id, session_id, page, referrer,"
            + " client_event_id, client_time, extra, kafka_topic, kafka_partition, kafka_offset)"
            + " FROM STDIN WITH (FORMAT csv)";
    private static final JsonMapper EXTRA_WRITER = JsonMapper.builder().build();

    private final StringBuilder csv = new StringBuilder(64 * 1024);
    private final Set<LocalDate> days = new TreeSet<>();
    private int rows;

    void add(StoredClick stored) {
        ClickEvent click = stored.click();
        text(click.eventId().toString()).append(',');
        text(click.timestamp().toString()).append(',');
        text(click.itemId()).append(',');
        text(click.userId()).append(',');
        text(click.sessionId()).append(',');
        text(click.page()).append(',');
        text(click.referrer()).append(',');
        text(click.clientEventId()).append(',');
        text(click.clientTime() == null ? null : click.clientTime().toString()).append(',');
        text(extraJson(click)).append(',');
        text(stored.topic()).append(',');
        csv.append(stored.partition()).append(',');
        csv.append(stored.offset()).append('\n');
        days.add(day(click.timestamp()));
        rows++;
    }

    int rows() {
        return rows;
    }

    /** The UTC days the rows fall on: each needs its partition before the COPY. */
    Set<LocalDate> days() {
        return days;
    }

    byte[] bytes() {
        return csv.toString().getBytes(StandardCharsets.UTF_8);
    }

    static LocalDate day(Instant instant) {
        return LocalDate.ofInstant(instant, ZoneOffset.UTC);
    }

    private StringBuilder text(String value) {
        if (value == null) {
            return csv;
        }
        csv.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') {
                csv.append("\"\"");
            } else if (c == '\u0000') {
                csv.append('\uFFFD');
            } else {
                csv.append(c);
            }
        }
        return csv.append('"');
    }

    private static String extraJson(ClickEvent click) {
        if (click.extra().isEmpty()) {
            return "{}";
        }
        try {
            // jsonb refuses the escape \u0000 too
            return EXTRA_WRITER.writeValueAsString(click.extra()).replace("\\u0000", "\\uFFFD");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a decoded click's fields are JSON already", e);
        }
    }
}
