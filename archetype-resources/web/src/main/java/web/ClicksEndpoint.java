package ${package}.web;

import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import ${package}.shared.InvalidClickException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /api/clicks}: checks a request completely before anything is sent, then answers once Kafka
 * has acknowledged (202) or given up (503).
 *
 * <ul>
 *   <li>one click, a JSON object: 202 {@code {"eventId":"..."}};</li>
 *   <li>an array of clicks (what a page sends with {@code navigator.sendBeacon}): all of them are checked
 *       first; if one is invalid the answer is 400 naming its index and <em>none</em> is sent; else all are
 *       sent and the answer is 202 {@code {"results":[{"eventId":"...","status":"accepted"}, ...]}}, or 503 with
 *       the same list where the clicks Kafka did not acknowledge have {@code "status":"failed"} (send those
 *       again).</li>
 * </ul>
 * Content types: {@code application/json}, and {@code text/plain} because {@code sendBeacon} with a string
 * body sends that; either in UTF-8 (JSON's only encoding).
 */
final class ClicksEndpoint {

    static final String PATH = "/api/clicks";
    static final int MAX_BODY_BYTES = 64 * 1024;
    /** What a 503 tells the client to wait: about one delivery timeout, in which a restarted broker is back. */
    static final int RETRY_AFTER_SECONDS = 5;

    private static final List<String> ACCEPTED_TYPES = List.of("application/json", "text/plain");
    private static final HttpAnswer BODY_TIMEOUT = HttpAnswer.error(408,
            "the request body did not arrive in time (fewer bytes than its Content-Length?): send the whole body"
                    + " at once, with a Content-Length that matches it").closingConnection();

    private final ClickPublisher publisher;
    private final Executor answers;
    private final ScheduledExecutorService deadlines;
    private final Duration bodyReadTimeout;
    private volatile boolean closing;

    /**
     * @param answers         runs the answers, so that the Kafka producer's I/O thread never writes to a socket
     * @param deadlines       runs the body-read deadline of each request
     * @param bodyReadTimeout how long a request body may take to arrive before the answer is 408
     */
    ClicksEndpoint(ClickPublisher publisher, Executor answers, ScheduledExecutorService deadlines,
                   Duration bodyReadTimeout) {
        this.publisher = publisher;
        this.answers = answers;
        this.deadlines = deadlines;
        this.bodyReadTimeout = bodyReadTimeout;
    }

    /** From now on every request gets 503: the app is shutting down. */
    void stopAccepting() {
        closing = true;
    }

    /**
     * The answer to one request, complete when Kafka has decided; {@code null} inside the future means the
     * client already had its answer (the body-read deadline sent 408) and the exchange only needs closing.
     */
    CompletableFuture<HttpAnswer> handle(HttpExchange exchange) throws RejectedRequest, IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            throw new RejectedRequest(HttpAnswer.error(405, exchange.getRequestMethod() + " is not allowed on " + PATH
                    + ": send clicks with POST").withHeader("Allow", "POST"));
        }
        byte[] body = readBody(exchange);
        if (body == null) {
            return CompletableFuture.completedFuture(null);
        }
        checkContentType(exchange.getRequestHeaders().getFirst("Content-Type"));
        if (closing) {
            throw new RejectedRequest(HttpAnswer.error(503, "the web producer is shutting down: send the click again"
                            + " in " + RETRY_AFTER_SECONDS + " s")
                    .withHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS)).closingConnection());
        }
        JsonNode tree;
        try {
            tree = ClickJson.readTree(body);
        } catch (InvalidClickException e) {
            throw invalid(e.getMessage(), -1);
        }
        Instant now = Instant.now();
        if (tree.isObject()) {
            return publishOne(click(tree, now, -1));
        }
        if (tree.isArray()) {
            return publishAll(clicks(tree, now));
        }
        throw invalid("the body must be one click (a JSON object) or an array of clicks, got "
                + tree.getNodeType().name().toLowerCase(Locale.ROOT), -1);
    }

    private CompletableFuture<HttpAnswer> publishOne(ClickEvent click) {
        return publisher.publish(click).handleAsync((written, error) -> {
            ObjectNode answer = error == null
                    ? ClickJson.mapper().createObjectNode()
                    : HttpAnswer.errorBody("Kafka did not acknowledge the click (" + describe(error)
                    + "); it is probably not stored: send it again in " + RETRY_AFTER_SECONDS
                    + " s. GET /health tells whether the broker is reachable.");
            answer.put("eventId", click.eventId().toString());
            return error == null ? HttpAnswer.json(202, answer) : notWritten(answer);
        }, answers);
    }

    private CompletableFuture<HttpAnswer> publishAll(List<ClickEvent> clicks) {
        List<CompletableFuture<Void>> sends = new ArrayList<>(clicks.size());
        for (ClickEvent click : clicks) {
            sends.add(publisher.publish(click));
        }
        return CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).handleAsync((all, ignored) -> {
            ObjectNode answer = ClickJson.mapper().createObjectNode();
            ArrayNode results = answer.putArray("results");
            int failed = 0;
            String firstError = null;
            for (int i = 0; i < clicks.size(); i++) {
                Throwable error = sends.get(i).handle((written, e) -> e).join();
                ObjectNode result = results.addObject().put("eventId", clicks.get(i).eventId().toString());
                if (error == null) {
                    result.put("status", "accepted");
                } else {
                    failed++;
                    firstError = firstError == null ? describe(error) : firstError;
                    result.put("status", "failed").put("error", describe(error));
                }
            }
            if (failed == 0) {
                return HttpAnswer.json(202, answer);
            }
            ObjectNode error = HttpAnswer.errorBody(failed + " of " + clicks.size() + " clicks were not acknowledged by"
                    + " Kafka (" + firstError + "): send those with status failed again in " + RETRY_AFTER_SECONDS
                    + " s; the accepted ones are stored.");
            error.setAll(answer);
            return notWritten(error);
        }, answers);
    }

    private static HttpAnswer notWritten(ObjectNode body) {
        body.put("retryAfterSeconds", RETRY_AFTER_SECONDS);
        return HttpAnswer.json(503, body).withHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
    }

    private static List<ClickEvent> clicks(JsonNode array, Instant now) throws RejectedRequest {
        if (array.isEmpty()) {
            throw invalid("the array is empty: send at least one click", -1);
        }
        List<ClickEvent> clicks = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            clicks.add(click(array.get(i), now, i));
        }
        return clicks;
    }

    private static ClickEvent click(JsonNode node, Instant now, int index) throws RejectedRequest {
        try {
            return ClickJson.clickFromRequest(node, UUID.randomUUID(), now);
        } catch (InvalidClickException e) {
            throw invalid(e.getMessage(), index);
        }
    }

    /** 400, with an example of a valid click; in an array, the index of the bad click, and nothing is sent. */
    private static RejectedRequest invalid(String problem, int index) {
        ObjectNode body = HttpAnswer.errorBody(index < 0 ? problem
                : "click [" + index + "]: " + problem + " (no click of this array was sent: fix it and send the"
                + " array again)");
        if (index >= 0) {
            body.put("index", index);
        }
        body.putObject("example").put("itemId", "movie-603").put("sessionId", "3f1c2a9e").put("page", "/movies");
        return new RejectedRequest(HttpAnswer.json(400, body));
    }

    /**
     * Reads the body, at most {@link #MAX_BODY_BYTES}. A client that sends fewer bytes than it announced
     * would block this worker; after {@code bodyReadTimeout} the deadline answers 408 instead, and the server
     * closes the connection at {@code sun.net.httpserver.maxReqTime}, which frees the worker.
     *
     * @return the body, or {@code null} if the deadline already answered
     */
    private byte[] readBody(HttpExchange exchange) throws RejectedRequest, IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && Long.parseLong(declared.trim()) > MAX_BODY_BYTES) {
            throw tooLarge(declared + " bytes");
        }
        BodyDeadline deadline = new BodyDeadline(exchange);
        ScheduledFuture<?> timer = deadlines.schedule(deadline, bodyReadTimeout.toMillis(), TimeUnit.MILLISECONDS);
        byte[] body;
        boolean inTime;
        try {
            body = exchange.getRequestBody().readNBytes(MAX_BODY_BYTES + 1);
        } finally {
            timer.cancel(false);
            inTime = deadline.finish();
        }
        if (!inTime) {
            return null;
        }
        if (body.length > MAX_BODY_BYTES) {
            throw tooLarge("more than " + MAX_BODY_BYTES + " bytes");
        }
        return body;
    }

    private static RejectedRequest tooLarge(String size) {
        ObjectNode body = HttpAnswer.errorBody("the body has " + size + "; the limit is " + MAX_BODY_BYTES
                + " bytes (64 KiB): send fewer clicks per request").put("limitBytes", MAX_BODY_BYTES);
        // The rest of the body stays unread, so this connection cannot carry another request.
        return new RejectedRequest(HttpAnswer.json(413, body).closingConnection());
    }

    private static void checkContentType(String header) throws RejectedRequest {
        if (header == null || header.isBlank()) {
            throw unsupported("Content-Type is missing: send JSON with the header 'Content-Type: application/json'");
        }
        String[] parts = header.split(";");
        String type = parts[0].trim().toLowerCase(Locale.ROOT);
        if (!ACCEPTED_TYPES.contains(type)) {
            throw unsupported("Content-Type '" + header + "' is not accepted: send JSON with the header"
                    + " 'Content-Type: application/json' (text/plain is accepted too, for navigator.sendBeacon)");
        }
        for (int i = 1; i < parts.length; i++) {
            String[] parameter = parts[i].split("=", 2);
            if (parameter.length == 2 && parameter[0].trim().equalsIgnoreCase("charset")) {
                String charset = parameter[1].trim().replace("\"", "");
                if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
                    throw unsupported("charset " + charset + " is not accepted: JSON is sent as UTF-8"
                            + " ('Content-Type: application/json; charset=utf-8', or no charset)");
                }
            }
        }
    }

    private static RejectedRequest unsupported(String message) {
        ObjectNode body = HttpAnswer.errorBody(message);
        ACCEPTED_TYPES.forEach(body.putArray("accepted")::add);
        return new RejectedRequest(HttpAnswer.json(415, body));
    }

    private static String describe(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /**
     * Answers 408 if the body is not complete in time. Synchronized with {@link #finish()}, so exactly one
     * of the two wins, and a 408 being written is complete before the worker closes the exchange.
     */
    private static final class BodyDeadline implements Runnable {
        private final HttpExchange exchange;
        private boolean finished;
        private boolean expired;

        BodyDeadline(HttpExchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public synchronized void run() {
            if (finished) {
                return;
            }
            expired = true;
            try {
                BODY_TIMEOUT.writeTo(exchange);
            } catch (IOException e) {
                // The client is gone: there is nobody to tell, and the worker's read fails and closes the exchange.
            }
        }

        /** @return true if the body was read in time; false if the 408 has been sent */
        synchronized boolean finish() {
            finished = true;
            return !expired;
        }
    }
}
