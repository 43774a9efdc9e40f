package ${package}.loadtest.fault;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Malformed requests for {@code POST /api/clicks}, each with the answer it must get. None of them carries a
 * click that may be stored.
 *
 * <p>Two kinds. {@link Layer#APP} requests are well-formed HTTP with a bad body, type, method or size: the web
 * producer answers them with its own 4xx and a JSON {@code {"error": ...}}. {@link Layer#HTTP} requests are
 * broken HTTP (a bad Content-Length, conflicting framing, thousands of headers): the JDK's HTTP server rejects
 * them before the app sees them, with a 4xx of its own (HTML; the expected status is only a hint there) or by
 * closing the connection; they must still never reach the topic nor hurt the server.
 */
final class BadRequestCorpus {

    enum Layer { APP, HTTP }

    record BadRequest(String name, Layer layer, byte[] raw, Set<Integer> expected) {
    }

    private static final String VALID_FIELDS = "\"itemId\":\"movie-603\",\"userId\":\"u-1\"";
    private static final String VALID = "{" + VALID_FIELDS + "}";

    private final List<BadRequest> requests = new ArrayList<>();

    static List<BadRequest> all() {
        BadRequestCorpus corpus = new BadRequestCorpus();
        corpus.brokenJson();
        corpus.truncatedJson();
        corpus.wrongTypes();
        corpus.missingFields();
        corpus.hugeAndDeep();
        corpus.invalidUtf8();
        corpus.wrongRequests();
        corpus.brokenHttp();
        return corpus.requests;
    }

    private void brokenJson() {
        for (String body : List.of("{", "}", "{\"itemId\":", "{\"itemId\":\"movie-603\"", "{" + VALID_FIELDS + ",}",
                "{itemId:\"movie-603\",userId:\"u-1\"}", "{'itemId':'movie-603','userId':'u-1'}",
                "{\"itemId\":\"movie-603\" \"userId\":\"u-1\"}", VALID + " " + VALID, VALID + "}", "nul", "[",
                "/* c */" + VALID, "{" + VALID_FIELDS + ",\"n\":NaN}", "{" + VALID_FIELDS + ",\"n\":01}",
                "{\"itemId\":\"a\tb\",\"userId\":\"u-1\"}", "{\"itemId\":\"movie-603\",\"userId\":\"u-1\",\"userId\":\"u-2\"}")) {
            json("broken JSON: " + abbreviate(body), body, 400);
        }
    }

    private void truncatedJson() {
        String click = "{\"itemId\":\"movie-603\",\"userId\":\"u-1\",\"page\":\"/movies\",\"referrer\":\"/\"}";
        for (int cut : new int[] {1, 5, 12, 20, 33, click.length() - 1}) {
            json("truncated after " + cut + " characters", click.substring(0, cut), 400);
        }
        json("truncated array", "[" + VALID + "," + VALID.substring(0, 10), 400);
    }

    private void wrongTypes() {
        for (String body : List.of("{\"itemId\":42,\"userId\":\"u-1\"}", "{\"itemId\":true,\"userId\":\"u-1\"}",
                "{\"itemId\":[\"movie-603\"],\"userId\":\"u-1\"}", "{\"itemId\":{\"id\":1},\"userId\":\"u-1\"}",
                "{\"itemId\":\"movie-603\",\"userId\":7}", "{\"itemId\":\"movie-603\",\"sessionId\":false}",
                "{" + VALID_FIELDS + ",\"page\":1}", "{" + VALID_FIELDS + ",\"referrer\":[]}", "\"movie-603\"", "42",
                "null", "true", "[]", "[5]", "[{\"userId\":\"u-1\"},5]")) {
            json("wrong type: " + abbreviate(body), body, 400);
        }
    }

    private void missingFields() {
        for (String body : List.of("{}", "{\"userId\":\"u-1\"}", "{\"itemId\":\"movie-603\"}",
                "{\"itemId\":null,\"userId\":\"u-1\"}", "{\"itemId\":\"\",\"userId\":\"u-1\"}",
                "{\"itemId\":\"   \",\"userId\":\"u-1\"}", "{\"itemId\":\"movie-603\",\"userId\":\"\"}",
                "{\"itemId\":\"movie-603\",\"userId\":null,\"sessionId\":null}",
                "{" + VALID_FIELDS + ",\"eventId\":\"0b6f6f3e-1c1a-4f53-9a55-0b8e1c3f2d10\"}",
                "{" + VALID_FIELDS + ",\"timestamp\":\"2024-04-01T12:00:00Z\"}",
                "{" + VALID_FIELDS + ",\"clientTimeSkewed\":true}", "")) {
            json("missing or forbidden field: " + abbreviate(body), body, 400);
        }
        // Text that is not Unicode or carries control characters, and ids outside their charset.
        for (String body : List.of("{" + VALID_FIELDS + ",\"page\":\"\\ud800\"}",
                "{" + VALID_FIELDS + ",\"title\":\"\\udfff tail\"}", "{" + VALID_FIELDS + ",\"page\":\"a\\u0000b\"}",
                "{" + VALID_FIELDS + ",\"page\":\"two\\nlines\"}", "{\"itemId\":\"movie 603\",\"userId\":\"u-1\"}",
                "{\"itemId\":\"movie-603\",\"userId\":\"u-1\",\"clientEventId\":\"" + "c".repeat(129) + "\"}",
                "{" + VALID_FIELDS + ",\"clientTime\":\"2024-04-01 12:00\"}")) {
            json("malformed text or id: " + abbreviate(body), body, 400);
        }
    }

    private void hugeAndDeep() {
        json("itemId of 2049 characters", "{\"itemId\":\"" + "m".repeat(2049) + "\",\"userId\":\"u-1\"}", 400);
        json("itemId of 60,000 characters", "{\"itemId\":\"" + "m".repeat(60_000) + "\",\"userId\":\"u-1\"}", 400);
        json("extra string of 3,000 characters", "{" + VALID_FIELDS + ",\"note\":\"" + "n".repeat(3000) + "\"}", 400);
        json("extra field name of 100 characters", "{" + VALID_FIELDS + ",\"" + "k".repeat(100) + "\":1}", 400);
        json("extra number too large for a double", "{" + VALID_FIELDS + ",\"n\":1e999}", 400);
        json("nested 17 deep", "{" + VALID_FIELDS + ",\"d\":" + "[".repeat(16) + "]".repeat(16) + "}", 400);
        json("nested 30,000 deep", "[".repeat(30_000), 400);
        json("object nested 1,000 deep", "{\"a\":".repeat(1000) + "1" + "}".repeat(1000), 400);
        json("a number of 5,000 digits", "{" + VALID_FIELDS + ",\"n\":" + "9".repeat(5000) + "}", 400);
        byte[] overLimit = ("[" + (VALID + ",").repeat(3000) + VALID + "]").getBytes(StandardCharsets.UTF_8);
        add("body over 64 KiB (" + overLimit.length + " bytes)", Layer.APP, post("application/json", overLimit, ""),
                Set.of(413));
        add("chunked body over 64 KiB", Layer.APP, chunkedPost(overLimit), Set.of(413));
    }

    private void invalidUtf8() {
        byte[][] sequences = {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0x80},
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                {(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xE2, (byte) 0x82}};
        for (byte[] bad : sequences) {
            StringBuilder hex = new StringBuilder();
            for (byte b : bad) {
                hex.append(String.format("%02X", b & 0xFF));
            }
            byte[] body = concat("{\"itemId\":\"movie".getBytes(StandardCharsets.UTF_8), bad,
                    "\",\"userId\":\"u-1\"}".getBytes(StandardCharsets.UTF_8));
            add("invalid UTF-8 " + hex, Layer.APP, post("application/json", body, ""), Set.of(400));
        }
        add("UTF-16 body", Layer.APP, post("application/json", VALID.getBytes(StandardCharsets.UTF_16), ""),
                Set.of(400));
        add("Latin-1 body", Layer.APP, post("application/json",
                "{\"itemId\":\"caf\u00e9\",\"userId\":\"u-1\"}".getBytes(StandardCharsets.ISO_8859_1), ""), Set.of(400));
    }

    private void wrongRequests() {
        byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
        add("text/xml content type", Layer.APP, post("text/xml", valid, ""), Set.of(415));
        add("form content type", Layer.APP, post("application/x-www-form-urlencoded", valid, ""), Set.of(415));
        // Without a Content-Type the body is read as JSON (an untyped beacon): form data is malformed JSON.
        add("no content type, a form body", Layer.APP, ascii("POST /api/clicks HTTP/1.1\r\nHost: t\r\n"
                + "Content-Length: 16\r\n\r\nitemId=movie-603"), Set.of(400));
        add("an origin that is not allowed", Layer.APP, post("application/json", valid,
                "Origin: https://evil.example.net\r\n"), Set.of(403));
        add("a preflight from an origin that is not allowed", Layer.APP, ascii("OPTIONS /api/clicks HTTP/1.1\r\n"
                + "Host: t\r\nOrigin: https://evil.example.net\r\nAccess-Control-Request-Method: POST\r\n\r\n"),
                Set.of(403));
        add("charset latin1", Layer.APP, post("application/json; charset=iso-8859-1", valid, ""), Set.of(415));
        add("GET on the clicks path", Layer.APP, ascii("GET /api/clicks HTTP/1.1\r\nHost: t\r\n\r\n"), Set.of(405));
        add("PUT on the clicks path", Layer.APP, ascii("PUT /api/clicks HTTP/1.1\r\nHost: t\r\nContent-Type:"
                + " application/json\r\nContent-Length: " + valid.length + "\r\n\r\n" + VALID), Set.of(405));
        add("DELETE on the clicks path", Layer.APP, ascii("DELETE /api/clicks HTTP/1.1\r\nHost: t\r\n\r\n"),
                Set.of(405));
        add("unknown path", Layer.APP, ascii("POST /api/click HTTP/1.1\r\nHost: t\r\nContent-Type: application/json"
                + "\r\nContent-Length: " + valid.length + "\r\n\r\n" + VALID), Set.of(404));
        StringBuilder hugeHeader = new StringBuilder("X-Padding: ").append("p".repeat(100_000)).append("\r\n");
        add("a 100 KB header and a bad body", Layer.APP, post("application/json",
                "{\"userId\":\"u-1\"}".getBytes(StandardCharsets.UTF_8), hugeHeader.toString()), Set.of(400, 413, 431));
    }

    private void brokenHttp() {
        StringBuilder manyHeaders = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            manyHeaders.append("X-Header-").append(i).append(": v\r\n");
        }
        add("10,000 headers", Layer.HTTP, post("application/json", VALID.getBytes(StandardCharsets.UTF_8),
                manyHeaders.toString()), Set.of(400, 413, 431));
        add("Content-Length not a number", Layer.HTTP, ascii("POST /api/clicks HTTP/1.1\r\nHost: t\r\nContent-Type:"
                + " application/json\r\nContent-Length: abc\r\n\r\n" + VALID), Set.of(400));
        add("negative Content-Length", Layer.HTTP, ascii("POST /api/clicks HTTP/1.1\r\nHost: t\r\nContent-Type:"
                + " application/json\r\nContent-Length: -5\r\n\r\n" + VALID), Set.of(400));
        add("Content-Length past a long", Layer.HTTP, ascii("POST /api/clicks HTTP/1.1\r\nHost: t\r\nContent-Type:"
                + " application/json\r\nContent-Length: 99999999999999999999\r\n\r\n" + VALID), Set.of(400, 413));
        add("Content-Length and chunked together", Layer.HTTP, ascii("POST /api/clicks HTTP/1.1\r\nHost: t\r\n"
                + "Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(VALID.length()) + "\r\n" + VALID + "\r\n0\r\n\r\n"), Set.of(400));
        add("garbage request line", Layer.HTTP, ascii("CLICK! CLICK! CLICK!\r\n\r\n"), Set.of(400));
        add("header without a colon", Layer.HTTP, ascii("POST /api/clicks HTTP/1.1\r\nHost: t\r\nno colon here\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + VALID.length() + "\r\n\r\n" + VALID), Set.of(400));
    }

    private void json(String name, String body, int status) {
        add(name, Layer.APP, post("application/json", body.getBytes(StandardCharsets.UTF_8), ""), Set.of(status));
    }

    private void add(String name, Layer layer, byte[] raw, Set<Integer> expected) {
        requests.add(new BadRequest(name, layer, raw, expected));
    }

    static byte[] post(String contentType, byte[] body, String moreHeaders) {
        String head = "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: " + contentType + "\r\n"
                + "Content-Length: " + body.length + "\r\n" + moreHeaders + "\r\n";
        return concat(head.getBytes(StandardCharsets.ISO_8859_1), body);
    }

    private static byte[] chunkedPost(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii("POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n"));
        for (int at = 0; at < body.length; at += 4096) {
            int size = Math.min(4096, body.length - at);
            out.writeBytes(ascii(Integer.toHexString(size) + "\r\n"));
            out.write(body, at, size);
            out.writeBytes(ascii("\r\n"));
        }
        out.writeBytes(ascii("0\r\n\r\n"));
        return out.toByteArray();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
