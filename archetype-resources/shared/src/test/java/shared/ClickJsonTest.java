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
        assertTrue(problem("{\"itemId\":\"" + "x".repeat(ClickJson.MAX_STRING_LENGTH + 1) + "\",\"userId\":\"u\"}")
                .contains("the limit is " + ClickJson.MAX_STRING_LENGTH));
        assertTrue(problem("[".repeat(ClickJson.MAX_NESTING_DEPTH + 2)).startsWith("malformed JSON"));
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
