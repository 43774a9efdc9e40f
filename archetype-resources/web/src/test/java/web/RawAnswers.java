package ${package}.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Answers read off a raw socket, for tests that send what an HTTP client would not (or from a chosen address). */
final class RawAnswers {

    private RawAnswers() {
    }

    /** One answer from the stream: status line, headers, and a body of the announced length. */
    static String read(InputStream in) throws IOException {
        return read(in, false);
    }

    /** The same; to a HEAD (or a 1xx) only the status line and headers. */
    static String read(InputStream in, boolean headOnly) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1);
        int length = headers.lines()
                .filter(line -> line.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                .map(line -> Integer.parseInt(line.substring("content-length:".length()).trim()))
                .findFirst().orElse(0);
        if (headers.startsWith("HTTP/1.1 1") || headOnly) {
            return headers;
        }
        return headers + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
