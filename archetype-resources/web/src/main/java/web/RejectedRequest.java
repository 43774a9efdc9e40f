package ${package}.web;

import java.nio.charset.StandardCharsets;

/** A request the server will not act on; {@link #answer()} says why (a 4xx JSON error). */
final class RejectedRequest extends Exception {

    private final transient HttpAnswer answer;

    RejectedRequest(HttpAnswer answer) {
        // No stack trace: a rejection is an answer to bad input, not a bug, and bad input can come fast.
        super(answer.status() + " " + new String(answer.body(), StandardCharsets.UTF_8), null,
                false, false);
        this.answer = answer;
    }

    RejectedRequest(int status, String message) {
        this(HttpAnswer.error(status, message));
    }

    HttpAnswer answer() {
        return answer;
    }
}
