package ${package}.loadtest.fault;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * An independent judge of what a valid click is, written from the rules (RFC 8259 and RFC 3629 for the bytes,
 * the click rules of ClickJson's documentation for the content) without Jackson, so that the fuzz test does
 * not ask the decoder to grade itself.
 *
 * <p>Three verdicts: valid, invalid, and "either" for the few spots where the rules leave room (a container
 * extra whose serialized size is close to the limit, since its exact size depends on escaping).
 */
final class ClickOracle {

    enum Verdict { VALID, INVALID, EITHER }

    /** The verdict; for INVALID the rule that was broken; for the others the click's fields as parsed. */
    record Judgement(Verdict verdict, String reason, Map<?, ?> click) {
        static Judgement invalid(String reason) {
            return new Judgement(Verdict.INVALID, reason, null);
        }
    }

    static final int MAX_STRING = 2048;
    static final int MAX_DEPTH = 16;
    static final int MAX_EXTRA_NAME = 64;
    /** Jackson's default cap on a number's digits; longer numbers may be refused as an attack. */
    static final int MAX_NUMBER_CHARS = 1000;

    static final int MAX_ID = 128;
    private static final Set<String> KNOWN = Set.of("eventId", "timestamp", "itemId", "userId", "sessionId",
            "page", "referrer", "clientEventId", "clientTime", "clientTimeSkewed");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:@/+=-]{1," + MAX_ID + "}");
    private static final Pattern CANONICAL_UUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    /** A JSON null, kept apart from Java's null (which means "absent"). */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private ClickOracle() {
    }

    /** A click as the browser posts it: no eventId, no timestamp. */
    static Judgement judgeRequest(byte[] body) {
        return allowingBom(body, judgeRequestText(body));
    }

    /** A record value on the topic: the same plus a canonical UUID eventId and an ISO-8601 instant. */
    static Judgement judgeRecord(byte[] value) {
        return allowingBom(value, judgeRecordText(value));
    }

    /** RFC 8259 lets a parser either ignore a leading UTF-8 byte order mark or refuse it. */
    private static Judgement allowingBom(byte[] bytes, Judgement judgement) {
        boolean bom = bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB
                && (bytes[2] & 0xFF) == 0xBF;
        return bom && judgement.verdict() == Verdict.VALID
                ? new Judgement(Verdict.EITHER, "valid after a byte order mark", judgement.click())
                : judgement;
    }

    private static Judgement judgeRequestText(byte[] body) {
        Object tree;
        try {
            tree = parse(body);
        } catch (BadJson e) {
            return Judgement.invalid(e.getMessage());
        }
        if (!(tree instanceof Map<?, ?> click)) {
            // an array is a batch: ClickJson.clickFromRequest sees its elements one by one, never the array
            return Judgement.invalid("not an object");
        }
        if (click.containsKey("eventId") || click.containsKey("timestamp") || click.containsKey("clientTimeSkewed")) {
            return Judgement.invalid("eventId, timestamp or clientTimeSkewed sent by the client");
        }
        return judgeFields(click);
    }

    private static Judgement judgeRecordText(byte[] value) {
        Object tree;
        try {
            tree = parse(value);
        } catch (BadJson e) {
            return Judgement.invalid(e.getMessage());
        }
        if (!(tree instanceof Map<?, ?> click)) {
            return Judgement.invalid("not an object");
        }
        if (!(click.get("eventId") instanceof String id) || !CANONICAL_UUID.matcher(id).matches()) {
            return Judgement.invalid("eventId is not a UUID in its 8-4-4-4-12 form");
        }
        if (!(click.get("timestamp") instanceof String time)) {
            return Judgement.invalid("timestamp is not a string");
        }
        try {
            Instant.parse(time);
        } catch (DateTimeParseException e) {
            return Judgement.invalid("timestamp is not an ISO-8601 instant");
        }
        return judgeFields(click);
    }

    private static Judgement judgeFields(Map<?, ?> click) {
        String problem = id(click, "itemId", true);
        if (problem == null) {
            problem = id(click, "userId", false);
        }
        if (problem == null) {
            problem = id(click, "sessionId", false);
        }
        if (problem == null) {
            problem = id(click, "clientEventId", false);
        }
        if (problem == null) {
            problem = text(click, "clientTime", false);
            Object time = click.get("clientTime");
            if (problem == null && time instanceof String s) {
                try {
                    Instant.parse(s);
                } catch (DateTimeParseException e) {
                    problem = "clientTime is not an ISO-8601 instant";
                }
            }
        }
        if (problem == null) {
            problem = text(click, "page", false);
        }
        if (problem == null) {
            problem = text(click, "referrer", false);
        }
        if (problem != null) {
            return Judgement.invalid(problem);
        }
        if (!(click.get("userId") instanceof String) && !(click.get("sessionId") instanceof String)) {
            return Judgement.invalid("neither userId nor sessionId");
        }
        Judgement verdict = new Judgement(Verdict.VALID, "valid", click);
        for (Map.Entry<?, ?> field : click.entrySet()) {
            String name = (String) field.getKey();
            if (KNOWN.contains(name)) {
                continue;
            }
            if (name.length() > MAX_EXTRA_NAME) {
                return Judgement.invalid("extra field name longer than " + MAX_EXTRA_NAME);
            }
            String notText = notText(name);
            if (notText != null) {
                return Judgement.invalid("extra field name: " + notText);
            }
            Object value = field.getValue();
            String nestedText = firstProblem(value, v -> v instanceof String text ? notText(text) : null);
            if (nestedText != null) {
                return Judgement.invalid("extra " + name + ": " + nestedText);
            }
            if (value instanceof String s && s.length() > MAX_STRING) {
                return Judgement.invalid("extra string longer than " + MAX_STRING);
            }
            if (value instanceof JsonNumber number && !number.survivesTheTrip()) {
                return Judgement.invalid("extra number " + number + " is outside what a double holds");
            }
            if (value instanceof Map<?, ?> || value instanceof List<?>) {
                int size = approximateSize(value);
                if (size > MAX_STRING + 64) {
                    return Judgement.invalid("extra container of about " + size + " characters");
                }
                if (size > MAX_STRING - 64) {
                    verdict = new Judgement(Verdict.EITHER, "extra container close to the size limit", click);
                }
                String nested = firstProblem(value, v -> v instanceof JsonNumber number && !number.survivesTheTrip()
                        ? "a nested number is outside what a double holds" : null);
                if (nested != null) {
                    return Judgement.invalid(nested);
                }
            }
        }
        return verdict;
    }

    /** As {@link #text} for an id: also at most {@value #MAX_ID} of letters, digits and . _ : @ / + = - */
    private static String id(Map<?, ?> click, String field, boolean required) {
        String problem = text(click, field, required);
        Object value = click.get(field);
        if (problem == null && value instanceof String s && !ID.matcher(s).matches()) {
            return field + " is not an id (charset or length)";
        }
        return problem;
    }

    /** Null for well-formed UTF-16 without C0/C1 control characters, else what is wrong. */
    static String notText(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
                return "a control character";
            }
            if (c >= 0xD800 && c <= 0xDBFF) {
                if (i + 1 < s.length() && s.charAt(i + 1) >= 0xDC00 && s.charAt(i + 1) <= 0xDFFF) {
                    i++;
                    continue;
                }
                return "a lone high surrogate";
            }
            if (c >= 0xDC00 && c <= 0xDFFF) {
                return "a lone low surrogate";
            }
        }
        return null;
    }

    /**
     * The first problem {@code check} finds in a value, its nested values or the names of its nested fields (both
     * rules walk the whole tree: strings and names must be text, numbers must survive a double).
     */
    private static String firstProblem(Object value, Function<Object, String> check) {
        String problem = check.apply(value);
        if (problem == null && value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                problem = check.apply(e.getKey());
                if (problem == null) {
                    problem = firstProblem(e.getValue(), check);
                }
                if (problem != null) {
                    return problem;
                }
            }
        }
        if (problem == null && value instanceof List<?> list) {
            for (Object v : list) {
                problem = firstProblem(v, check);
                if (problem != null) {
                    return problem;
                }
            }
        }
        return problem;
    }

    /** Null if the field is fine, else what is wrong. Absent and JSON null count as "not given". */
    private static String text(Map<?, ?> click, String field, boolean required) {
        Object value = click.get(field);
        if (value == null || value == NULL) {
            return required ? field + " missing" : null;
        }
        if (!(value instanceof String s)) {
            return field + " is not a string";
        }
        if (s.isBlank()) {
            return field + " is blank";
        }
        if (s.length() > MAX_STRING) {
            return field + " is longer than " + MAX_STRING;
        }
        String notText = notText(s);
        return notText == null ? null : field + " holds " + notText;
    }

    /**
     * A JSON number as written. An integer literal is kept exactly by any decent decoder; a literal with a
     * fraction or an exponent becomes a double, so it must be finite as one: 1e999 is not a number a
     * double can carry, and writing it back gives Infinity, which is not JSON.
     */
    record JsonNumber(String literal) {
        boolean survivesTheTrip() {
            boolean integer = literal.indexOf('.') < 0 && literal.indexOf('e') < 0 && literal.indexOf('E') < 0;
            return integer || Double.isFinite(Double.parseDouble(literal));
        }

        @Override
        public String toString() {
            return literal.length() <= 24 ? literal : literal.substring(0, 24) + "...";
        }
    }


    /** Roughly the compact JSON length of a value; only compared with a margin around the limit. */
    private static int approximateSize(Object value) {
        if (value instanceof String s) {
            return s.length() + 2;
        }
        if (value instanceof Map<?, ?> map) {
            int size = 2;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                size += ((String) e.getKey()).length() + 4 + approximateSize(e.getValue());
            }
            return size;
        }
        if (value instanceof List<?> list) {
            int size = 2;
            for (Object v : list) {
                size += approximateSize(v) + 1;
            }
            return size;
        }
        return value.toString().length();
    }

    // ---- RFC 8259 JSON over RFC 3629 UTF-8 -------------------------------------------------------------

    static final class BadJson extends Exception {
        BadJson(String message) {
            super(message, null, false, false);
        }
    }

    /** Objects become LinkedHashMaps, arrays Lists, numbers {@link JsonNumber}s, JSON null {@link #NULL}. */
    static Object parse(byte[] bytes) throws BadJson {
        int start = bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB
                && (bytes[2] & 0xFF) == 0xBF ? 3 : 0; // a UTF-8 BOM, which RFC 8259 lets a parser ignore
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, start, bytes.length - start))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new BadJson("not UTF-8");
        }
        Parser parser = new Parser(text);
        parser.skipWhitespace();
        if (parser.atEnd()) {
            throw new BadJson("empty");
        }
        Object value = parser.value(1);
        parser.skipWhitespace();
        if (!parser.atEnd()) {
            throw new BadJson("text after the value");
        }
        return value;
    }

    private static final class Parser {
        private final String s;
        private int at;

        Parser(String s) {
            this.s = s;
        }

        boolean atEnd() {
            return at >= s.length();
        }

        void skipWhitespace() {
            while (at < s.length() && (s.charAt(at) == ' ' || s.charAt(at) == '\t' || s.charAt(at) == '\n'
                    || s.charAt(at) == '\r')) {
                at++;
            }
        }

        Object value(int depth) throws BadJson {
            skipWhitespace();
            if (atEnd()) {
                throw new BadJson("truncated");
            }
            char c = s.charAt(at);
            switch (c) {
                case '{':
                    return object(depth);
                case '[':
                    return array(depth);
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", NULL);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw new BadJson("unexpected character");
            }
        }

        private Object object(int depth) throws BadJson {
            if (depth > MAX_DEPTH) {
                throw new BadJson("nested deeper than " + MAX_DEPTH);
            }
            at++;
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (!atEnd() && s.charAt(at) == '}') {
                at++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (atEnd() || s.charAt(at) != '"') {
                    throw new BadJson("expected a field name");
                }
                String key = string();
                skipWhitespace();
                expect(':');
                Object value = value(depth + 1);
                if (map.put(key, value) != null) {
                    throw new BadJson("duplicate field " + key);
                }
                skipWhitespace();
                if (atEnd()) {
                    throw new BadJson("truncated object");
                }
                char c = s.charAt(at++);
                if (c == '}') {
                    return map;
                }
                if (c != ',') {
                    throw new BadJson("expected , or }");
                }
            }
        }

        private Object array(int depth) throws BadJson {
            if (depth > MAX_DEPTH) {
                throw new BadJson("nested deeper than " + MAX_DEPTH);
            }
            at++;
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (!atEnd() && s.charAt(at) == ']') {
                at++;
                return list;
            }
            while (true) {
                list.add(value(depth + 1));
                skipWhitespace();
                if (atEnd()) {
                    throw new BadJson("truncated array");
                }
                char c = s.charAt(at++);
                if (c == ']') {
                    return list;
                }
                if (c != ',') {
                    throw new BadJson("expected , or ]");
                }
            }
        }

        private String string() throws BadJson {
            at++;
            StringBuilder out = new StringBuilder();
            while (true) {
                if (atEnd()) {
                    throw new BadJson("unterminated string");
                }
                char c = s.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c < 0x20) {
                    throw new BadJson("raw control character in a string");
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (atEnd()) {
                    throw new BadJson("truncated escape");
                }
                char e = s.charAt(at++);
                switch (e) {
                    case '"', '\\', '/' -> out.append(e);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (at + 4 > s.length()) {
                            throw new BadJson("truncated unicode escape");
                        }
                        int code = 0;
                        for (int i = 0; i < 4; i++) {
                            int digit = Character.digit(s.charAt(at++), 16);
                            if (digit < 0) {
                                throw new BadJson("bad unicode escape");
                            }
                            code = code * 16 + digit;
                        }
                        out.append((char) code);
                    }
                    default -> throw new BadJson("bad escape");
                }
            }
        }

        private Object number() throws BadJson {
            int start = at;
            if (s.charAt(at) == '-') {
                at++;
            }
            if (atEnd()) {
                throw new BadJson("truncated number");
            }
            if (s.charAt(at) == '0') {
                at++;
            } else if (s.charAt(at) >= '1' && s.charAt(at) <= '9') {
                digits();
            } else {
                throw new BadJson("bad number");
            }
            if (!atEnd() && s.charAt(at) == '.') {
                at++;
                if (digits() == 0) {
                    throw new BadJson("no digits after the decimal point");
                }
            }
            if (!atEnd() && (s.charAt(at) == 'e' || s.charAt(at) == 'E')) {
                at++;
                if (!atEnd() && (s.charAt(at) == '+' || s.charAt(at) == '-')) {
                    at++;
                }
                if (digits() == 0) {
                    throw new BadJson("no digits in the exponent");
                }
            }
            String literal = s.substring(start, at);
            if (literal.length() > MAX_NUMBER_CHARS) {
                throw new BadJson("a number of " + literal.length() + " characters");
            }
            return new JsonNumber(literal);
        }

        private int digits() {
            int n = 0;
            while (!atEnd() && s.charAt(at) >= '0' && s.charAt(at) <= '9') {
                at++;
                n++;
            }
            return n;
        }

        private Object literal(String word, Object value) throws BadJson {
            if (!s.startsWith(word, at)) {
                throw new BadJson("bad literal");
            }
            at += word.length();
            return value;
        }

        private void expect(char c) throws BadJson {
            if (atEnd() || s.charAt(at) != c) {
                throw new BadJson("expected " + c);
            }
            at++;
        }
    }

    /** For failure messages: the bytes as Java string literal text, non-ASCII escaped. */
    static String show(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        int limit = Math.min(bytes.length, 400);
        for (int i = 0; i < limit; i++) {
            int b = bytes[i] & 0xFF;
            if (b >= 0x20 && b < 0x7F && b != '\\') {
                out.append((char) b);
            } else {
                out.append(String.format("\\x%02X", b));
            }
        }
        if (bytes.length > limit) {
            out.append("... (").append(bytes.length).append(" bytes)");
        }
        return out.toString();
    }
}
