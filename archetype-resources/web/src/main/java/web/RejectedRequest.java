package ${package}.web;

import java.nio.charset.StandardCharsets;

/**
 * A request the server will not act on; {@link #answer()} says why (a 4xx JSON error) and {@link #reason()}
 * names the kind, as counted in {@code /metrics}.
 */
final class RejectedRequest extends Exception {

    private final transient HttpAnswer answer;
    private final String reason;

    RejectedRequest(String reason, HttpAnswer answer) {
        // No stack trace: a rejection is an answer to bad input, not a bug, and bad input can come fast.
        super(answer.status() + " " + new String(answer.body(), StandardCharsets.UTF_8), null, false, false);
        this.reason = reason;
        this.answer = answer;
    }

    HttpAnswer answer() {
        return answer;
    }

    String reason() {
        return reason;
    }
}
