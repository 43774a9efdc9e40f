package ${package}.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs rejected requests and clicks, at most one line every {@link #INTERVAL_NANOS} (the lines in between are
 * counted and the next line says how many): a broken page or an attacker can send thousands of bad clicks a
 * second, and the log must stay readable and cheap. The metrics count every one.
 */
final class RejectionLog {

    static final long INTERVAL_NANOS = 5_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger("${package}.web.Rejected");

    private final AtomicLong nextLineAt = new AtomicLong(System.nanoTime());
    private final AtomicLong suppressed = new AtomicLong();

    /** One rejection: {@code what} says what was refused and why (client text in it is made printable here). */
    void rejected(int status, String what) {
        long now = System.nanoTime();
        long due = nextLineAt.get();
        if (now - due < 0 || !nextLineAt.compareAndSet(due, now + INTERVAL_NANOS)) {
            suppressed.incrementAndGet();
            return;
        }
        long skipped = suppressed.getAndSet(0);
        LOG.warn("{} {}{}", status, printable(what),
                skipped == 0 ? "" : " (and " + skipped + " more rejections since the last such line)");
    }

    /** Client text in a log line: no line breaks or other control characters (no forged lines), at most 300 chars. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), 300));
        for (int i = 0; i < text.length() && out.length() < 300; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        return text.length() > 300 ? out + "..." : out.toString();
    }
}
