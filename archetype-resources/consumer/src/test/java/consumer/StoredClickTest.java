package ${package}.consumer;

import ${package}.shared.ClickJson;
import ${package}.shared.InvalidClickException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    void a_click_from_another_producer_is_written_byte_for_byte_as_it_came() throws Exception {
        byte[] json = Clicks.handWritten();
        StoredClick stored = ClickBatch.decode(List.of(Clicks.record(0, 5, json))).clicks().get(0);

        byte[] line = stored.toJsonLine();

        // The click is ASCII, so the expected line can be put together as text.
        assertArrayEquals((envelope(0, 5) + new String(json, StandardCharsets.UTF_8) + "}\n")
                .getBytes(StandardCharsets.UTF_8), line);
        StoredClick readBack = StoredClick.fromJsonLine(new String(line, StandardCharsets.UTF_8).strip());
        assertEquals(stored, readBack);
        assertEquals("movie-1", readBack.click().itemId());
        assertEquals("/caf\u00e9", readBack.click().page());
    }

    @Test
    void a_pretty_printed_click_stays_one_line_as_its_line_breaks_become_spaces() throws Exception {
        byte[] pretty = Clicks.prettyPrinted();
        StoredClick stored = ClickBatch.decode(List.of(Clicks.record(0, 6, pretty))).clicks().get(0);

        String line = new String(stored.toJsonLine(), StandardCharsets.UTF_8);

        String oneLine = new String(pretty, StandardCharsets.UTF_8).replace('\r', ' ').replace('\n', ' ');
        assertEquals(envelope(0, 6) + oneLine + "}\n", line);
        assertEquals(stored, StoredClick.fromJsonLine(line.strip()), "it reads back as the same click");
        assertArrayEquals(pretty, stored.json(), "the click itself is not changed");
    }

    @Test
    void a_line_without_its_position_is_rejected_with_what_is_missing() {
        InvalidClickException e = assertThrows(InvalidClickException.class,
                () -> StoredClick.fromJsonLine("{\"topic\":\"t\",\"partition\":0,\"click\":{}}"));

        assertTrue(e.getMessage().contains("offset"), e.getMessage());
    }

    private static String envelope(int partition, long offset) {
        return "{\"topic\":\"" + Clicks.TOPIC + "\",\"partition\":" + partition + ",\"offset\":" + offset + ",\"click\":";
    }
}
