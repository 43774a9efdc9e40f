package ${package}.web;

import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import ${package}.shared.InvalidClickException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

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
 *   <li>503 at once, before anything is sent, when the clicks in flight are at their bound
 *       ({@link InFlightClicks}) or the app is shutting down. Every 503 has a {@code Retry-After} with jitter.</li>
 * </ul>
 * Content types: {@code application/json}, and {@code text/plain} because {@code sendBeacon} with a string
 * body sends that; either in UTF-8 (JSON's only encoding).
 */
final class ClicksEndpoint {

    static final String PATH = "/api/clicks";

    private static final List<String> ACCEPTED_TYPES = List.of("application/json", "text/plain");

    private final ClickPublisher publisher;
    private final InFlightClicks inFlight;
    private final WebMetrics metrics;
    private volatile boolean closing;

    ClicksEndpoint(ClickPublisher publisher, InFlightClicks inFlight, WebMetrics metrics) {
        this.publisher = publisher;
        this.inFlight = inFlight;
        this.metrics = metrics;
    }

    /** From now on every request gets 503: the app is shutting down. */
    void stopAccepting() {
        closing = true;
    }

    /**
     * The answer to one request, complete when Kafka has decided.
     *
     * @param answers where the answer is built once Kafka has decided: the connection's event loop, so that the
     *                Kafka producer's I/O thread only hands over and never writes JSON or touches a socket
     */
    CompletableFuture<HttpAnswer> handle(WebRequest request, Executor answers) throws RejectedRequest {
        if (!"POST".equals(request.method())) {
            throw new RejectedRequest("method_not_allowed", HttpAnswer.error(405, request.method()
                    + " is not allowed on " + PATH + ": send clicks with POST").withHeader("Allow", "POST"));
        }
        checkContentType(request.header("Content-Type"));
        if (closing) {
            metrics.unavailable("shutting_down");
            int retryAfter = RetryAfter.SHUTTING_DOWN.seconds();
            return CompletableFuture.completedFuture(unavailable(HttpAnswer.errorBody(
                    "the web producer is shutting down: send the click again in " + retryAfter + " s"), retryAfter)
                    .closingConnection());
        }
        if (!inFlight.mightFit(request.body().length)) {
            return CompletableFuture.completedFuture(overloaded(-1));
        }
        JsonNode tree;
        try {
            tree = ClickJson.readTree(request.body());
        } catch (InvalidClickException e) {
            throw invalid(e.getMessage(), -1);
        }
        Instant now = Instant.now();
        List<ClickEvent> clicks;
        if (tree.isObject()) {
            clicks = List.of(click(tree, now, -1));
        } else if (tree.isArray()) {
            clicks = clicks(tree, now);
        } else {
            throw invalid("the body must be one click (a JSON object) or an array of clicks, got "
                    + tree.getNodeType().name().toLowerCase(Locale.ROOT), -1);
        }
        long bytes = InFlightClicks.bytesOf(clicks.size(), request.body().length);
        if (!inFlight.tryAcquire(clicks.size(), bytes)) {
            return CompletableFuture.completedFuture(overloaded(clicks.size()));
        }
        // Only the eventIds wait with the answer: the clicks themselves, the JSON tree and the body are garbage once
        // sent, so what a click in flight holds on the heap is its future and its id.
        int count = clicks.size();
        boolean single = tree.isObject();
        UUID[] eventIds = new UUID[count];
        List<CompletableFuture<Void>> sends = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            eventIds[i] = clicks.get(i).eventId();
            sends.add(timed(publisher.publish(clicks.get(i))));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new));
        all.whenComplete((done, error) -> inFlight.release(count, bytes));
        return all.handleAsync((done, error) -> single
                ? answerOne(eventIds[0], sends.get(0))
                : answerAll(eventIds, sends), answers);
    }

    /** 503 for lack of room; {@code clicks} is -1 when the body was refused before it was parsed. */
    private HttpAnswer overloaded(int clicks) {
        metrics.unavailable("overloaded");
        int retryAfter = RetryAfter.OVERLOADED.seconds();
        return unavailable(HttpAnswer.errorBody("the web producer has " + inFlight.clicks() + " clicks waiting for"
                + " Kafka, its limit: nothing was sent; send the " + (clicks == 1 ? "click" : "clicks") + " again in "
                + retryAfter + " s"), retryAfter);
    }

    private CompletableFuture<Void> timed(CompletableFuture<Void> send) {
        long started = System.nanoTime();
        return send.whenComplete((done, error) -> metrics.kafkaAnswered(System.nanoTime() - started, error == null));
    }

    private HttpAnswer answerOne(UUID eventId, CompletableFuture<Void> send) {
        Throwable error = errorOf(send);
        if (error == null) {
            metrics.accepted(1);
            return HttpAnswer.json(202, ClickJson.mapper().createObjectNode().put("eventId", eventId.toString()));
        }
        metrics.unavailable("kafka");
        int retryAfter = RetryAfter.KAFKA_UNAVAILABLE.seconds();
        ObjectNode body = HttpAnswer.errorBody("Kafka did not acknowledge the click (" + describe(error)
                + "); it is probably not stored: send it again in " + retryAfter
                + " s. GET /readyz tells whether the broker is reachable.");
        body.put("eventId", eventId.toString());
        return unavailable(body, retryAfter);
    }

    private HttpAnswer answerAll(UUID[] eventIds, List<CompletableFuture<Void>> sends) {
        ObjectNode answer = ClickJson.mapper().createObjectNode();
        ArrayNode results = answer.putArray("results");
        int failed = 0;
        String firstError = null;
        for (int i = 0; i < eventIds.length; i++) {
            Throwable error = errorOf(sends.get(i));
            ObjectNode result = results.addObject().put("eventId", eventIds[i].toString());
            if (error == null) {
                result.put("status", "accepted");
            } else {
                failed++;
                firstError = firstError == null ? describe(error) : firstError;
                result.put("status", "failed").put("error", describe(error));
            }
        }
        metrics.accepted(eventIds.length - failed);
        if (failed == 0) {
            return HttpAnswer.json(202, answer);
        }
        metrics.unavailable("kafka");
        int retryAfter = RetryAfter.KAFKA_UNAVAILABLE.seconds();
        ObjectNode error = HttpAnswer.errorBody(failed + " of " + eventIds.length + " clicks were not acknowledged by"
                + " Kafka (" + firstError + "): send those with status failed again in " + retryAfter
                + " s; the accepted ones are stored.");
        error.setAll(answer);
        return unavailable(error, retryAfter);
    }

    private static Throwable errorOf(CompletableFuture<Void> send) {
        return send.handle((done, error) -> error).join();
    }

    private static HttpAnswer unavailable(ObjectNode body, int retryAfterSeconds) {
        body.put("retryAfterSeconds", retryAfterSeconds);
        return HttpAnswer.json(503, body).withHeader("Retry-After", String.valueOf(retryAfterSeconds));
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
        return new RejectedRequest("invalid_click", HttpAnswer.json(400, body));
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
        return new RejectedRequest("unsupported_media_type", HttpAnswer.json(415, body));
    }

    private static String describe(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
