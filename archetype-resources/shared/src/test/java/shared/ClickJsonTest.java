package ${package}.shared;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClickJsonTest {

    private static final UUID EVENT_ID = UUID.fromString("00000000-0000-0000-0000-000000000001");
    private static final Instant NOW = Instant.parse("2024-04-01T12:00:00Z");

    private static ClickEvent click(String json) throws InvalidClickException {
        return ClickJson.clickFromRequest(ClickJson.readTree(json.getBytes(StandardCharsets.UTF_8)), EVENT_ID, NOW);
    }

    private static String problem(String json) {
        return assertThrows(InvalidClickException.class, () -> click(json)).getMessage();
    }

    @Test
    void a_click_round_trips_through_the_record_value_with_its_extra_fields() throws Exception {
        ClickEvent sent = click("{\"itemId\":\"movie-42\",\"userId\":\"u1\",\"page\":\"/movies\",\"rank\":3}");

        ClickEvent received = ClickJson.fromBytes(ClickJson.toBytes(sent));

        assertEquals(sent, received);
        assertEquals("u1", received.partitionKey());
        assertEquals(3, received.extra().get("rank").intValue());
    }

    @Test
    void the_session_is_the_key_when_the_user_is_unknown() throws Exception {
        ClickEvent event = click("{\"itemId\":\"movie-42\",\"sessionId\":\"s-9\"}");

        assertNull(event.userId());
        assertEquals("s-9", event.partitionKey());
    }

    @Test
    void problems_name_the_field_and_the_rule() {
        assertTrue(problem("{\"userId\":\"u1\"}").contains("itemId is missing"));
        assertTrue(problem("{\"itemId\":\"m\"}").contains("userId or sessionId"));
        assertTrue(problem("{\"itemId\":42,\"userId\":\"u1\"}").contains("itemId must be a string, got a number"));
        assertTrue(problem("{\"itemId\":\"\",\"userId\":\"u1\"}").contains("itemId must not be empty"));
        assertTrue(problem("[1]").contains("must be a JSON object, got an array"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u1\",\"eventId\":\"x\"}").contains("set by the server"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u1\"").startsWith("malformed JSON"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u1\"} {}").startsWith("malformed JSON"));
        assertTrue(problem("{\"itemId\":\"m\",\"itemId\":\"n\",\"userId\":\"u1\"}").contains("Duplicate field"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u\",\"page\":\"" + "x".repeat(ClickJson.MAX_STRING_LENGTH + 1)
                + "\"}").contains("the limit is " + ClickJson.MAX_STRING_LENGTH));
        assertTrue(problem("{\"itemId\":\"" + "x".repeat(ClickJson.MAX_ID_LENGTH + 1) + "\",\"userId\":\"u\"}")
                .contains("an id is at most " + ClickJson.MAX_ID_LENGTH));
        assertTrue(problem("[".repeat(ClickJson.MAX_NESTING_DEPTH + 2)).startsWith("malformed JSON"));
    }

    @Test
    void ids_fit_a_log_line_a_file_name_and_a_kafka_header() throws Exception {
        assertEquals("user@example.com", click("{\"itemId\":\"shop/item:42+a=b_c.d-e\",\"userId\":\"user@example.com\"}")
                .userId());
        assertTrue(problem("{\"itemId\":\"movie 603\",\"userId\":\"u\"}").contains("U+0020 at position 5"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"\u00e9\"}").contains("U+00E9"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u\",\"clientEventId\":\"a\\nb\"}")
                .contains("clientEventId has U+000A at position 1"));
    }

    @Test
    void strings_are_well_formed_unicode_without_control_characters() {
        // Jackson reads the escape as a lone surrogate; stored, it would break every strict JSON reader downstream.
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u\",\"page\":\"\\ud800\"}").contains("lone surrogate"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u\",\"title\":\"a\\udc00\"}").contains("lone surrogate"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u\",\"tags\":[\"ok\",\"bad\\u0007\"]}")
                .contains("tags[1] holds a control character"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u\",\"a\\u0085b\":1}").contains("control character"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u\",\"referrer\":\"x\\ty\"}").contains("control character"));
    }

    @Test
    void a_well_formed_pair_of_surrogates_is_text() throws Exception {
        assertEquals("\uD83C\uDFAC", click("{\"itemId\":\"m\",\"userId\":\"u\",\"page\":\"\\ud83c\\udfac\"}").page());
    }

    @Test
    void the_client_time_is_kept_and_flagged_when_far_from_the_servers_clock() throws Exception {
        ClickEvent close = click("{\"itemId\":\"m\",\"userId\":\"u\",\"clientEventId\":\"3f1c\","
                + "\"clientTime\":\"2024-04-01T11:58:00.123Z\"}");
        ClickEvent far = click("{\"itemId\":\"m\",\"userId\":\"u\",\"clientTime\":\"2024-04-01T14:00:00+02:00\"}");
        ClickEvent ahead = click("{\"itemId\":\"m\",\"userId\":\"u\",\"clientTime\":\"2024-04-01T13:00:00Z\"}");

        assertEquals(Instant.parse("2024-04-01T11:58:00.123Z"), close.clientTime());
        assertEquals(false, close.clientTimeSkewed());
        assertEquals(false, far.clientTimeSkewed(), "an offset is read: 14:00+02:00 is the server's 12:00Z");
        assertEquals(true, ahead.clientTimeSkewed());
        String value = new String(ClickJson.toBytes(ahead), StandardCharsets.UTF_8);
        assertTrue(value.contains("\"clientTime\":\"2024-04-01T13:00:00Z\",\"clientTimeSkewed\":true"), value);
        assertEquals(close, ClickJson.fromBytes(ClickJson.toBytes(close)));
        assertEquals(ahead, ClickJson.fromBytes(ClickJson.toBytes(ahead)));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u\",\"clientTime\":\"yesterday\"}").contains("ISO-8601"));
        assertTrue(problem("{\"itemId\":\"m\",\"userId\":\"u\",\"clientTimeSkewed\":false}").contains("set by the server"));
    }

    @Test
    void bodies_that_are_not_utf8_are_refused() {
        byte[] overlongSlash = {'{', '"', 'i', 't', 'e', 'm', 'I', 'd', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'};
        byte[] loneSurrogate = {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'};
        for (byte[] body : new byte[][] {overlongSlash, loneSurrogate}) {
            InvalidClickException e = assertThrows(InvalidClickException.class, () -> ClickJson.readTree(body));
            assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
        }
        // UTF-16 of ASCII text is valid UTF-8 with NUL bytes, which JSON does not allow between tokens.
        byte[] utf16 = "{\"itemId\":\"m\",\"userId\":\"u\"}".getBytes(StandardCharsets.UTF_16LE);
        assertTrue(assertThrows(InvalidClickException.class, () -> ClickJson.readTree(utf16))
                .getMessage().startsWith("malformed JSON"));
    }

    @Test
    void a_record_value_needs_a_uuid_event_id_and_an_iso_timestamp() {
        String bad = "{\"eventId\":\"nope\",\"timestamp\":\"2024-04-01T12:00:00Z\",\"itemId\":\"m\",\"userId\":\"u\"}";
        assertTrue(assertThrows(InvalidClickException.class,
                () -> ClickJson.fromBytes(bad.getBytes(StandardCharsets.UTF_8))).getMessage().contains("eventId must be a UUID"));
        String noTime = "{\"eventId\":\"" + EVENT_ID + "\",\"timestamp\":\"yesterday\",\"itemId\":\"m\",\"userId\":\"u\"}";
        assertTrue(assertThrows(InvalidClickException.class,
                () -> ClickJson.fromBytes(noTime.getBytes(StandardCharsets.UTF_8))).getMessage().contains("ISO-8601"));
        assertThrows(InvalidClickException.class, () -> ClickJson.fromBytes(null));
    }
}
