package ${package}.loadtest.fault;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Inputs for the click decoder's fuzz test, from one seeded {@link Random} (a failure names its seed and is
 * replayed with {@code -Dfuzz.seed=...}): well-formed clicks with values chosen at the edges of the rules,
 * the same clicks mutated byte by byte and token by token, and plain noise.
 */
final class ClickInputs {

    /** Bytes that have tripped JSON decoders: overlong forms, surrogates, values past U+10FFFF, stray bytes. */
    private static final byte[][] BAD_UTF8 = {
            {(byte) 0xC0, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0x80},
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0x80}, {(byte) 0xBF}, {(byte) 0xFE}, {(byte) 0xFF}, {(byte) 0xE2, (byte) 0x82},
            {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
    };
    private static final String[] TOKENS = {
            "{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "-", "0", "01", "1e999", "-1e999", "1e-999",
            "NaN", "Infinity", "\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "/*", "//", "'", " ", "\u0000",
            "\"eventId\":\"x\",", "\"itemId\":", "\"userId\":null,", "{\"a\":", "[[[[[[[[[[", "]]]]]]]]]]",
    };
    /** Blanks the JDK counts as whitespace and some it does not, quotes, slashes, a control character. */
    private static final String AWKWARD = " \t\n\u00A0\u2003\"\\/\u0001";
    private static final String[] FIELDS = {"itemId", "userId", "sessionId", "page", "referrer"};

    private final Random random;

    ClickInputs(long seed) {
        this.random = new Random(seed);
    }

    /** One input for the request path: a click body as a browser (or an attacker) might post it. */
    byte[] requestBody() {
        return switch (random.nextInt(10)) {
            case 0 -> noise();
            case 1, 2, 3 -> validClick(false);
            default -> mutate(validClick(false));
        };
    }

    /** One input for the topic path: a record value, mostly shaped like the producer's own. */
    byte[] recordValue() {
        return switch (random.nextInt(10)) {
            case 0 -> noise();
            case 1, 2, 3 -> validClick(true);
            default -> mutate(validClick(true));
        };
    }

    /** A click that follows every rule, with values drawn from the edges (lengths, characters, types). */
    byte[] validClick(boolean withServerFields) {
        StringBuilder json = new StringBuilder("{");
        List<String> parts = new ArrayList<>();
        if (withServerFields) {
            String id = UUID.randomUUID().toString();
            parts.add("\"eventId\":\"" + (random.nextBoolean() ? id : id.toUpperCase(java.util.Locale.ROOT)) + "\"");
            parts.add("\"timestamp\":\"" + java.time.Instant.ofEpochMilli(random.nextLong() >>> 24) + "\"");
        }
        parts.add("\"itemId\":" + jsonString(id()));
        int identity = random.nextInt(3);
        if (identity != 1) {
            parts.add("\"userId\":" + jsonString(id()));
        } else if (random.nextBoolean()) {
            parts.add("\"userId\":null");
        }
        if (identity != 0) {
            parts.add("\"sessionId\":" + jsonString(id()));
        }
        if (random.nextBoolean()) {
            parts.add("\"page\":" + (random.nextInt(5) == 0 ? "null" : jsonString(mostlyClean(text(1)))));
        }
        if (random.nextBoolean()) {
            parts.add("\"referrer\":" + jsonString(mostlyClean(text(1))));
        }
        if (random.nextBoolean()) {
            parts.add("\"clientEventId\":" + jsonString(random.nextBoolean() ? UUID.randomUUID().toString() : id()));
        }
        if (random.nextBoolean()) {
            // mostly what new Date().toISOString() gives; now and then a local time without an offset (invalid)
            java.time.Instant time = java.time.Instant.ofEpochMilli(random.nextLong() >>> 24);
            parts.add("\"clientTime\":\"" + (random.nextInt(8) == 0 ? time.toString().replace("Z", "") : time) + "\"");
        }
        int extras = random.nextInt(4);
        for (int i = 0; i < extras; i++) {
            parts.add(jsonString("x" + i + word(random.nextInt(30))) + ":" + value(random.nextInt(6)));
        }
        java.util.Collections.shuffle(parts, random);
        json.append(String.join(random.nextBoolean() ? "," : " ,\n\t", parts)).append('}');
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A JSON value for an extra field; {@code depth} bounds nesting (the limit is the decoder's 16). */
    private String value(int depth) {
        int kind = random.nextInt(depth <= 0 ? 5 : 7);
        return switch (kind) {
            case 0 -> jsonString(mostlyClean(text(0)));
            case 1 -> Integer.toString(random.nextInt());
            case 2 -> Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
            case 3 -> random.nextBoolean() ? "true" : "false";
            case 4 -> random.nextInt(4) == 0 ? "123456789012345678901234567890" : "null";
            case 5 -> {
                StringBuilder array = new StringBuilder("[");
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    array.append(i > 0 ? "," : "").append(value(depth - 1));
                }
                yield array.append(']').toString();
            }
            default -> {
                StringBuilder object = new StringBuilder("{");
                int n = random.nextInt(3);
                for (int i = 0; i < n; i++) {
                    object.append(i > 0 ? "," : "").append(jsonString("k" + i)).append(':').append(value(depth - 1));
                }
                yield object.append('}').toString();
            }
        };
    }

    /** Text of a length around the interesting ones (1, 2047-2049), from several alphabets. */
    private String text(int minLength) {
        int length = switch (random.nextInt(12)) {
            case 0 -> 2047 + random.nextInt(3);
            case 1 -> 2048;
            default -> minLength + random.nextInt(20);
        };
        StringBuilder text = new StringBuilder(length);
        int alphabet = random.nextInt(5);
        while (text.length() < length) {
            switch (alphabet) {
                case 0 -> text.append((char) ('a' + random.nextInt(26)));
                case 1 -> text.appendCodePoint(0x20 + random.nextInt(0x2FFF));
                case 2 -> text.append(random.nextBoolean() ? "\uD83C\uDFAC" : "\u00E9");
                case 3 -> text.append(random.nextInt(4) == 0 ? ' ' : (char) ('0' + random.nextInt(10)));
                default -> text.append(AWKWARD.charAt(random.nextInt(AWKWARD.length())));
            }
        }
        String result = text.length() > length ? text.substring(0, length) : text.toString();
        if (minLength > 0 && result.isBlank()) {
            result = "x" + result.substring(Math.min(1, result.length()));
        }
        return result.isEmpty() && minLength > 0 ? "x" : result;
    }

    /** An id around the rules' edges: 1 to 130 characters, mostly of the allowed ones, now and then another. */
    private String id() {
        String allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@/+=-";
        int length = switch (random.nextInt(10)) {
            case 0 -> 127 + random.nextInt(3);
            default -> 1 + random.nextInt(40);
        };
        StringBuilder id = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            id.append(random.nextInt(200) == 0 ? AWKWARD.charAt(random.nextInt(AWKWARD.length()))
                    : allowed.charAt(random.nextInt(allowed.length())));
        }
        return id.toString();
    }

    /** Text without control characters, except now and then (the rules refuse them). */
    private String mostlyClean(String text) {
        if (random.nextInt(8) == 0) {
            return text;
        }
        StringBuilder clean = new StringBuilder(text.length());
        text.chars().forEach(c -> clean.append(Character.getType(c) == Character.CONTROL ? 'x' : (char) c));
        return clean.toString();
    }

    private String word(int length) {
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < length; i++) {
            word.append((char) ('a' + random.nextInt(26)));
        }
        return word.toString();
    }

    /** A JSON string literal, escaping what must be escaped and, at random, more (as other clients do). */
    String jsonString(String value) {
        StringBuilder out = new StringBuilder("\"");
        boolean escapeMore = random.nextInt(4) == 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || (escapeMore && c > 0x7E)) {
                out.append("\\u");
                for (int shift = 12; shift >= 0; shift -= 4) {
                    out.append(Character.forDigit((c >> shift) & 0xF, 16));
                }
            } else if (escapeMore && c == '/') {
                out.append("\\/");
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** One to four edits: byte flips, cuts, insertions of JSON tokens or bad UTF-8, re-encodings, wrappers. */
    byte[] mutate(byte[] input) {
        byte[] bytes = input;
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
            bytes = switch (random.nextInt(12)) {
                case 0 -> bytes.length == 0 ? bytes : flip(bytes, Math.min(at, bytes.length - 1));
                case 1 -> java.util.Arrays.copyOf(bytes, at); // truncated
                case 2 -> delete(bytes, at, random.nextInt(8) + 1);
                case 3, 4 -> insert(bytes, at, TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
                case 5 -> insert(bytes, at, BAD_UTF8[random.nextInt(BAD_UTF8.length)]);
                case 6 -> swapValueType(bytes);
                case 7 -> random.nextBoolean()
                        ? new String(bytes, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_16)
                        : new String(bytes, StandardCharsets.UTF_8).getBytes(StandardCharsets.ISO_8859_1);
                case 8 -> nest(bytes);
                case 9 -> insert(bytes, at, "x".repeat(random.nextInt(10) == 0 ? 70_000 : 2048).getBytes(StandardCharsets.UTF_8));
                case 10 -> concat(bytes, random.nextBoolean() ? " {}".getBytes(StandardCharsets.UTF_8) : bytes);
                default -> insert(bytes, 0, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
            };
        }
        return bytes;
    }

    /** Replaces the value of a known field with a value of another type. */
    private byte[] swapValueType(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        String field = "\"" + FIELDS[random.nextInt(FIELDS.length)] + "\":";
        int at = text.indexOf(field);
        if (at < 0) {
            return bytes;
        }
        int valueStart = at + field.length();
        int valueEnd = text.indexOf(',', valueStart);
        if (valueEnd < 0) {
            valueEnd = text.lastIndexOf('}');
        }
        if (valueEnd < valueStart) {
            return bytes;
        }
        String[] others = {"42", "-1.5", "true", "null", "[]", "{}", "[\"a\"]", "{\"a\":\"b\"}", "\"\"", "\"  \"", "1e999"};
        return (text.substring(0, valueStart) + others[random.nextInt(others.length)] + text.substring(valueEnd))
                .getBytes(StandardCharsets.UTF_8);
    }

    private byte[] nest(byte[] bytes) {
        int depth = 1 + random.nextInt(random.nextInt(10) == 0 ? 5000 : 20);
        boolean arrays = random.nextBoolean();
        String open = arrays ? "[" : "{\"n\":";
        String close = arrays ? "]" : "}";
        String text = new String(bytes, StandardCharsets.UTF_8);
        int at = text.lastIndexOf('}');
        if (at < 0) {
            return bytes;
        }
        String nested = ",\"deep\":" + open.repeat(depth) + "1" + close.repeat(depth);
        return (text.substring(0, at) + nested + text.substring(at)).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] noise() {
        byte[] bytes = new byte[random.nextInt(200)];
        random.nextBytes(bytes);
        if (random.nextBoolean() && bytes.length > 0) {
            bytes[0] = '{';
        }
        return bytes;
    }

    private byte[] flip(byte[] bytes, int at) {
        byte[] copy = bytes.clone();
        copy[at] ^= (byte) (1 << random.nextInt(8));
        return copy;
    }

    private static byte[] delete(byte[] bytes, int at, int count) {
        int end = Math.min(bytes.length, at + count);
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length);
        out.write(bytes, 0, at);
        out.write(bytes, end, bytes.length - end);
        return out.toByteArray();
    }

    private static byte[] insert(byte[] bytes, int at, byte[] what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + what.length);
        out.write(bytes, 0, at);
        out.writeBytes(what);
        out.write(bytes, at, bytes.length - at);
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return insert(a, a.length, b);
    }
}
