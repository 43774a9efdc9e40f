package ${package}.loadtest;

import java.nio.charset.StandardCharsets;

/**
 * The clicks the benchmark and the fault tests send: what the demo page sends (a movie, a user, the page and
 * where the user came from) plus a {@code seq} field, an extra the server passes through, so the sink's
 * lines can be matched to the requests that carried them.
 *
 * <p>A thousand users: the record key is the user, so clicks spread over all partitions.
 */
public final class BenchClicks {

    public static final int USERS = 1000;

    private BenchClicks() {
    }

    public static String clickJson(long seq) {
        long movie = 1000 + (seq * 7919) % 9000;
        return "{\"itemId\":\"movie-" + movie + "\",\"userId\":\"user-" + (seq % USERS)
                + "\",\"page\":\"/movies/" + movie + "\",\"referrer\":\"/movies?genre=drama\",\"seq\":" + seq + "}";
    }

    public static byte[] single(long seq) {
        return clickJson(seq).getBytes(StandardCharsets.UTF_8);
    }

    /** A JSON array of {@code size} clicks, numbered from {@code firstSeq}. */
    public static byte[] batch(long firstSeq, int size) {
        StringBuilder body = new StringBuilder(size * 130).append('[');
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                body.append(',');
            }
            body.append(clickJson(firstSeq + i));
        }
        return body.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The {@code seq} of a sink line ({@code ..."seq":123}...), or -1; cheaper than parsing the line. */
    public static long seqOf(byte[] sinkLine) {
        byte[] key = {'"', 's', 'e', 'q', '"', ':'};
        outer:
        for (int i = sinkLine.length - key.length; i >= 0; i--) {
            for (int k = 0; k < key.length; k++) {
                if (sinkLine[i + k] != key[k]) {
                    continue outer;
                }
            }
            long value = 0;
            int digits = 0;
            for (int j = i + key.length; j < sinkLine.length && sinkLine[j] >= '0' && sinkLine[j] <= '9'; j++) {
                value = value * 10 + (sinkLine[j] - '0');
                digits++;
            }
            return digits == 0 ? -1 : value;
        }
        return -1;
    }
}
