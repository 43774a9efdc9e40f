package ${package}.consumer;

import ${package}.shared.ClickJson;
import ${package}.shared.InvalidClickException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoredClickTest {

    @Test
    void a_line_is_the_position_followed_by_the_click_as_the_topic_carries_it() {
        StoredClick stored = Clicks.stored(2, 12);

        String line = new String(stored.toJsonLine(), StandardCharsets.UTF_8);

        String click = new String(ClickJson.toBytes(stored.click()), StandardCharsets.UTF_8);
        assertEquals("{\"topic\":\"" + Clicks.TOPIC + "\",\"partition\":2,\"offset\":12,\"click\":" + click + "}\n", line);
    }

    @Test
    void a_line_reads_back_as_the_same_stored_click() throws Exception {
        StoredClick stored = Clicks.stored(1, 7);
        String line = new String(stored.toJsonLine(), StandardCharsets.UTF_8).strip();

        assertEquals(stored, StoredClick.fromJsonLine(line));
    }

    @Test
    void a_line_break_inside_a_field_stays_escaped_so_one_click_is_one_line() {
        StoredClick stored = new StoredClick(Clicks.TOPIC, 0, 0, Clicks.click("user\nwith break", "item"));

        String line = new String(stored.toJsonLine(), StandardCharsets.UTF_8);

        assertEquals(line.length() - 1, line.indexOf('\n'));
    }

    @Test
    void a_line_without_its_position_is_rejected_with_what_is_missing() {
        InvalidClickException e = assertThrows(InvalidClickException.class,
                () -> StoredClick.fromJsonLine("{\"topic\":\"t\",\"partition\":0,\"click\":{}}"));

        assertTrue(e.getMessage().contains("offset"), e.getMessage());
    }
}
