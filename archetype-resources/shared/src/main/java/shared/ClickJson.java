package ${package}.shared;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The JSON form of clicks, both ways, with the validation rules in one place.
 * Longer than the other classes on purpose: every rule a click must meet is here, so that the web producer and
 * the consumer cannot come to disagree about what a valid click is.
 *
 * <p>The rules: {@code itemId} and {@code userId} or {@code sessionId} are required; ids ({@code itemId},
 * {@code userId}, {@code sessionId}, {@code clientEventId}) are 1 to {@value #MAX_ID_LENGTH} characters of
 * letters, digits and {@code . _ : @ / + = -}, so that they fit a log line, a file name and a Kafka header as they
 * are; {@code clientTime} is an ISO-8601 instant; every other string (page, referrer, extras, field names) is
 * at most {@value #MAX_STRING_LENGTH} characters of well-formed Unicode (no lone surrogate, which strict JSON
 * readers refuse) without control characters; {@code eventId}, {@code timestamp} and {@code clientTimeSkewed}
 * are the server's.
 *
 * <ul>
 *   <li>{@link #readTree(byte[])} and {@link #clickFromRequest}: what the browser posts;</li>
 *   <li>{@link #toBytes(ClickEvent)}: the record value on the topic;</li>
 *   <li>{@link #fromBytes(byte[])}: what the consumer decodes, with the same rules plus
 *       {@code eventId} and {@code timestamp}.</li>
 * </ul>
 */
public final class ClickJson {

    /** Longest string accepted in any field: ids, URLs and extras are short; a 1 MB "itemId" is an attack. */
    public static final int MAX_STRING_LENGTH = 2048;
    /** Longest id accepted: UUIDs are 36 characters, most ids far less; a longer one is a mistake or an attack. */
    public static final int MAX_ID_LENGTH = 128;
    /** Deepest nesting accepted: a click is flat; deep nesting only burns the parser's stack. */
    public static final int MAX_NESTING_DEPTH = 16;

    private static final Set<String> KNOWN_FIELDS = Set.of("eventId", "timestamp", "itemId", "userId", "sessionId",
            "page", "referrer", "clientEventId", "clientTime", "clientTimeSkewed");
    /** Fields only the server writes: a client that sends them is told to leave them out. */
    private static final Set<String> SERVER_FIELDS = Set.of("eventId", "timestamp", "clientTimeSkewed");
    private static final String ID_CHARACTERS = "letters, digits and . _ : @ / + = -";

    private static final JsonMapper MAPPER = JsonMapper.builder(
                    new com.fasterxml.jackson.core.JsonFactoryBuilder()
                            .streamReadConstraints(StreamReadConstraints.builder()
                                    .maxNestingDepth(MAX_NESTING_DEPTH)
                                    .maxStringLength(64 * 1024)
                                    .build())
                            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                            .build())
            // A body like {"itemId":"a"} {"itemId":"b"} is malformed, not two clicks.
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ClickJson() {
    }

    /** Parses a request body; malformed JSON becomes an {@link InvalidClickException} naming the spot. */
    public static JsonNode readTree(byte[] body) throws InvalidClickException {
        try {
            // Jackson would guess UTF-16/32 from zero bytes and lets some invalid UTF-8 through; clicks are UTF-8
            // (RFC 8259), so the bytes are decoded strictly first and a bad sequence is named, not stored.
            String text = UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new InvalidClickException("the body is empty: send a click as a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            // A broken limit (nesting too deep, string too long) has no location: saying so is enough.
            String where = e.getLocation() == null ? "" : " (at character " + e.getLocation().getCharOffset() + ")";
            throw new InvalidClickException("malformed JSON: " + e.getOriginalMessage() + where, e);
        } catch (CharacterCodingException e) {
            throw new InvalidClickException("the body is not valid UTF-8: send JSON encoded as UTF-8", e);
        } catch (IOException e) {
            throw new InvalidClickException("unreadable body: " + e.getMessage(), e);
        }
    }

    /** Validates one click object from a request and completes it with an event id and a timestamp. */
    public static ClickEvent clickFromRequest(JsonNode node, UUID eventId, Instant timestamp)
            throws InvalidClickException {
        ObjectNode click = requireObject(node);
        for (String field : SERVER_FIELDS) {
            if (click.has(field)) {
                throw new InvalidClickException(field + " is set by the server: leave it out (eventId, timestamp"
                        + " and clientTimeSkewed are the server's; clientEventId and clientTime are yours)");
            }
        }
        return build(click, eventId, timestamp);
    }

    /** Decodes a record value written by {@link #toBytes(ClickEvent)}. */
    public static ClickEvent fromBytes(byte[] value) throws InvalidClickException {
        if (value == null) {
            throw new InvalidClickException("the record has no value");
        }
        ObjectNode click = requireObject(readTree(value));
        UUID eventId;
        Instant timestamp;
        String id = requiredString(click, "eventId");
        try {
            eventId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidClickException("eventId must be a UUID");
        }
        // UUID.fromString also takes short forms such as 1-2-3-4-5; stored back, the id would change.
        if (!eventId.toString().equalsIgnoreCase(id)) {
            throw new InvalidClickException("eventId must be a UUID in its 36-character form, got " + id);
        }
        try {
            timestamp = Instant.parse(requiredString(click, "timestamp"));
        } catch (DateTimeParseException e) {
            throw new InvalidClickException("timestamp must be an ISO-8601 instant such as 2024-04-01T12:00:00Z");
        }
        return build(click, eventId, timestamp);
    }

    public static byte[] toBytes(ClickEvent event) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("eventId", event.eventId().toString());
        node.put("timestamp", event.timestamp().toString());
        node.put("itemId", event.itemId());
        putIfPresent(node, "userId", event.userId());
        putIfPresent(node, "sessionId", event.sessionId());
        putIfPresent(node, "page", event.page());
        putIfPresent(node, "referrer", event.referrer());
        putIfPresent(node, "clientEventId", event.clientEventId());
        if (event.clientTime() != null) {
            node.put("clientTime", event.clientTime().toString());
            if (event.clientTimeSkewed()) {
                node.put("clientTimeSkewed", true);
            }
        }
        event.extra().forEach(node::set);
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a ClickEvent always serializes", e);
        }
    }

    /** The shared mapper, for other small JSON documents (answers, errors, sink lines). */
    public static JsonMapper mapper() {
        return MAPPER;
    }

    private static ClickEvent build(ObjectNode click, UUID eventId, Instant timestamp)
            throws InvalidClickException {
        String itemId = requiredId(click, "itemId");
        String userId = optionalId(click, "userId");
        String sessionId = optionalId(click, "sessionId");
        if (userId == null && sessionId == null) {
            throw new InvalidClickException("a click needs userId or sessionId (a non-empty string)");
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : click.properties()) {
            if (!KNOWN_FIELDS.contains(field.getKey())) {
                checkExtra(field.getKey(), field.getValue());
                extra.put(field.getKey(), field.getValue());
            }
        }
        return new ClickEvent(eventId, timestamp, itemId, userId, sessionId,
                optionalString(click, "page"), optionalString(click, "referrer"),
                optionalId(click, "clientEventId"), clientTime(click), extra);
    }

    private static Instant clientTime(ObjectNode click) throws InvalidClickException {
        String text = optionalString(click, "clientTime");
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new InvalidClickException("clientTime must be an ISO-8601 instant such as 2024-04-01T12:00:00.000Z"
                    + " (what new Date().toISOString() gives)");
        }
    }

    private static String requiredId(ObjectNode click, String field) throws InvalidClickException {
        String id = optionalId(click, field);
        if (id == null) {
            throw new InvalidClickException(field + " is missing: it is required (1 to " + MAX_ID_LENGTH + " "
                    + ID_CHARACTERS + ")");
        }
        return id;
    }

    private static String optionalId(ObjectNode click, String field) throws InvalidClickException {
        // The id's charset implies optionalString's text check, which every click would otherwise pay per id.
        String id = nonEmptyString(click, field);
        if (id == null) {
            return null;
        }
        if (id.length() > MAX_ID_LENGTH) {
            throw new InvalidClickException(field + " is " + id.length() + " characters long; an id is at most "
                    + MAX_ID_LENGTH);
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || ".:_@/+=-".indexOf(c) >= 0;
            if (!allowed) {
                throw new InvalidClickException(field + " has " + describe(c) + " at position " + i + ": an id uses "
                        + ID_CHARACTERS + " (it goes into log lines, file names and Kafka headers as it is)");
            }
        }
        return id;
    }

    /**
     * Well-formed Unicode without control characters: Jackson turns the escape {@code "\ud800"} into a lone
     * surrogate, which strict JSON readers (and UTF-8 itself) refuse, so such a click would poison every reader
     * downstream; a control character breaks log lines and terminals.
     */
    private static void checkText(String what, String text) throws InvalidClickException {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidClickException(what + " holds a lone surrogate (" + describe(c) + " at position " + i
                        + "), which is not Unicode text: send well-formed strings");
            } else if (Character.getType(c) == Character.CONTROL) {
                throw new InvalidClickException(what + " holds a control character (" + describe(c) + " at position "
                        + i + "): leave out line breaks, tabs and other control characters");
            }
        }
    }

    private static String describe(char c) {
        String code = String.format("U+%04X", (int) c);
        return c > 0x20 && c < 0x7F ? "'" + c + "' (" + code + ")" : code;
    }

    private static ObjectNode requireObject(JsonNode node) throws InvalidClickException {
        if (!(node instanceof ObjectNode object)) {
            throw new InvalidClickException("a click must be a JSON object, got " + describe(node.getNodeType()));
        }
        return object;
    }

    private static String requiredString(ObjectNode click, String field) throws InvalidClickException {
        String value = optionalString(click, field);
        if (value == null) {
            throw new InvalidClickException(field + " is missing: it is required (a non-empty string)");
        }
        return value;
    }

    private static String optionalString(ObjectNode click, String field) throws InvalidClickException {
        String text = nonEmptyString(click, field);
        if (text == null) {
            return null;
        }
        if (text.length() > MAX_STRING_LENGTH) {
            throw new InvalidClickException(field + " is " + text.length() + " characters long; the limit is "
                    + MAX_STRING_LENGTH);
        }
        checkText(field, text);
        return text;
    }

    /** The field's string; null when absent or JSON null; an error when it is another type or blank. */
    private static String nonEmptyString(ObjectNode click, String field) throws InvalidClickException {
        JsonNode value = click.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new InvalidClickException(field + " must be a string, got " + describe(value.getNodeType()));
        }
        String text = value.textValue();
        if (text.isBlank()) {
            throw new InvalidClickException(field + " must not be empty");
        }
        return text;
    }

    private static void checkExtra(String name, JsonNode value) throws InvalidClickException {
        if (name.length() > 64) {
            throw new InvalidClickException("field name '" + name.substring(0, 64) + "...' is longer than 64 characters");
        }
        checkText("a field name", name);
        checkStrings(name, value);
        if (value.isTextual() && value.textValue().length() > MAX_STRING_LENGTH) {
            throw new InvalidClickException(name + " is " + value.textValue().length()
                    + " characters long; the limit is " + MAX_STRING_LENGTH);
        }
        if (value.isContainerNode() && value.toString().length() > MAX_STRING_LENGTH) {
            throw new InvalidClickException(name + " is larger than " + MAX_STRING_LENGTH + " characters of JSON");
        }
        if (hasNonFiniteNumber(value)) {
            throw new InvalidClickException(name + " holds a number too large for a double (such as 1e999): it"
                    + " would be stored as \"Infinity\"; send it as a string");
        }
    }

    /** Every string inside an extra, and the names of nested fields, under {@link #checkText}. */
    private static void checkStrings(String name, JsonNode value) throws InvalidClickException {
        if (value.isTextual()) {
            checkText(name, value.textValue());
        } else if (value.isObject()) {
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                checkText(name + "." + field.getKey(), field.getKey());
                checkStrings(name + "." + field.getKey(), field.getValue());
            }
        } else if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                checkStrings(name + "[" + i + "]", value.get(i));
            }
        }
    }

    /** 1e999 parses to an infinite double, which JSON cannot write back as a number. */
    private static boolean hasNonFiniteNumber(JsonNode value) {
        if (value.isFloatingPointNumber()) {
            return !Double.isFinite(value.doubleValue());
        }
        for (JsonNode element : value) {
            if (hasNonFiniteNumber(element)) {
                return true;
            }
        }
        return false;
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static String describe(JsonNodeType type) {
        return switch (type) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            case NULL -> "null";
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
