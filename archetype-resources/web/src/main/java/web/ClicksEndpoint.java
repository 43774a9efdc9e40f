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
 * {@code POST /api/clicks}: checks a request before anything is sent, then answers once Kafka has acknowledged
 * (202) or given up (503).
 *
 * <ul>
 *   <li>One click, a JSON object: 202 {@code {"eventId":"..."}}, or 400 naming what is wrong.</li>
 *   <li>An array of clicks (what the tracker script and beacons send): each item is checked on its own; the valid
 *       ones are sent, the invalid ones are not, and the answer has one result per item, in order:
 *       {@code {"accepted":2,"rejected":1,"failed":0,"results":[{"status":"accepted","eventId":"..."},
 *       {"status":"rejected","error":"..."}, ...]}}. Its status tells the client whether to send anything again:
 *       <ul>
 *         <li>202 when every valid item is stored, even if some were rejected: sending a rejected item again
 *             cannot help, so nothing is to be retried;</li>
 *         <li>400 when no item is valid (nothing was sent);</li>
 *         <li>503 with {@code Retry-After} when Kafka did not acknowledge some items: those have
 *             {@code "status":"failed"} and are the ones to send again (the accepted ones are stored; sent again
 *             with the same {@code clientEventId}, the consumer would drop them anyway).</li>
 *       </ul></li>
 *   <li>503 at once, before anything is sent, when the clicks in flight are at their bound
 *       ({@link InFlightClicks}) or the app is shutting down; 429 when the client's own clicks in flight are at its
 *       share ({@link ClientShares}). Each has a {@code Retry-After} with jitter; each 503 an {@code incident} id,
 *       which is in the log line that says what failed (the answer never carries an exception's text).</li>
 * </ul>
 * Content types: {@code application/json}; {@code text/plain}, what {@code navigator.sendBeacon} sends with a
 * string and what the tracker sends (a type that needs no CORS preflight); and none at all, what a beacon with an
 * untyped {@code Blob} sends. The body is JSON in UTF-8 in every case.
 */
final class ClicksEndpoint {

    static final String PATH = "/api/clicks";

    private static final List<String> ACCEPTED_TYPES = List.of("application/json", "text/plain");

    private final ClickPublisher publisher;
    private final InFlightClicks inFlight;
    private final ClientShares clients;
    private final WebMetrics metrics;
    private final RejectionLog rejections;
    private final Incidents incidents;
    private volatile boolean closing;

    ClicksEndpoint(ClickPublisher publisher, InFlightClicks inFlight, ClientShares clients, WebMetrics metrics,
                   RejectionLog rejections, Incidents incidents) {
        this.publisher = publisher;
        this.inFlight = inFlight;
        this.clients = clients;
        this.metrics = metrics;
        this.rejections = rejections;
        this.incidents = incidents;
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
                    + " is not allowed on " + PATH + ": send clicks with POST").withHeader("Allow", "POST, OPTIONS"));
        }
        checkContentType(request.header("Content-Type"));
        if (closing) {
            metrics.unavailable("shutting_down");
            int retryAfter = RetryAfter.SHUTTING_DOWN.seconds();
            return CompletableFuture.completedFuture(unavailable(HttpAnswer.errorBody(
                    "the web producer is shutting down: send the click again in " + retryAfter + " s"), retryAfter,
                    incidents.record("shutting_down", "shutting down: clicks get 503", null)).closingConnection());
        }
        if (clients.atShare(request.client())) {
            // A client that floods is refused before its body is parsed, for the price of a map lookup.
            return CompletableFuture.completedFuture(overShare(-1));
        }
        if (!inFlight.mightFit(request.body().length)) {
            return CompletableFuture.completedFuture(overloaded(-1));
        }
        JsonNode tree;
        try {
            tree = ClickJson.readTree(request.body());
        } catch (InvalidClickException e) {
            throw invalid(e.getMessage());
        }
        Instant now = Instant.now();
        if (tree.isObject()) {
            ClickEvent click;
            try {
                click = ClickJson.clickFromRequest(tree, UUID.randomUUID(), now);
            } catch (InvalidClickException e) {
                metrics.clicksRejected(1);
                throw invalid(e.getMessage());
            }
            return send(request.client(), List.of(click), new String[1], request.body().length, true, answers);
        }
        if (!tree.isArray()) {
            throw invalid("the body must be one click (a JSON object) or an array of clicks, got "
                    + tree.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        if (tree.isEmpty()) {
            throw invalid("the array is empty: send at least one click");
        }
        // Each item on its own: one bad click must not cost a page's whole beacon.
        String[] problems = new String[tree.size()];
        List<ClickEvent> valid = new ArrayList<>(tree.size());
        for (int i = 0; i < tree.size(); i++) {
            try {
                valid.add(ClickJson.clickFromRequest(tree.get(i), UUID.randomUUID(), now));
            } catch (InvalidClickException e) {
                problems[i] = e.getMessage();
            }
        }
        int rejected = tree.size() - valid.size();
        if (rejected > 0) {
            metrics.clicksRejected(rejected);
            if (!valid.isEmpty()) { // else the whole request is a 400, logged as such
                rejections.rejected(202, rejected + " of " + tree.size() + " clicks of an array rejected, the first: "
                        + firstProblem(problems));
            }
        }
        if (valid.isEmpty()) {
            ObjectNode body = HttpAnswer.errorBody("none of the " + tree.size() + " clicks is valid, so nothing was"
                    + " sent; the first problem: " + firstProblem(problems));
            results(body, problems, new UUID[problems.length], new Throwable[problems.length]);
            body.putObject("example").put("itemId", "movie-603").put("sessionId", "3f1c2a9e").put("page", "/movies");
            throw new RejectedRequest("invalid_click", HttpAnswer.json(400, body));
        }
        return send(request.client(), valid, problems, request.body().length, false, answers);
    }

    /**
     * Sends the valid clicks and builds the answer once Kafka has decided on each.
     *
     * @param problems one entry per item of the request: null for a valid item (in {@code clicks}, in order), else
     *                 why it was rejected
     */
    private CompletableFuture<HttpAnswer> send(String client, List<ClickEvent> clicks, String[] problems,
                                               int bodyLength, boolean single, Executor answers) {
        int count = clicks.size();
        long bytes = InFlightClicks.bytesOf(count, bodyLength);
        // The client's share first: a client past it gets 429, and the room left is everyone else's.
        ClientShares.Client holder = clients.acquireClicks(client, count);
        if (holder == null) {
            return CompletableFuture.completedFuture(overShare(count));
        }
        if (!inFlight.tryAcquire(count, bytes)) {
            clients.releaseClicks(holder, count);
            return CompletableFuture.completedFuture(overloaded(count));
        }
        // Only the eventIds wait with the answer: the clicks themselves, the JSON tree and the body are garbage once
        // sent, so what a click in flight holds on the heap is its future and its id.
        UUID[] eventIds = new UUID[count];
        List<CompletableFuture<Void>> sends = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            eventIds[i] = clicks.get(i).eventId();
            sends.add(timed(publish(clicks.get(i))));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new));
        all.whenComplete((done, error) -> {
            inFlight.release(count, bytes);
            clients.releaseClicks(holder, count);
        });
        return all.handleAsync((done, error) -> single
                ? answerOne(eventIds[0], sends.get(0))
                : answerAll(problems, eventIds, sends), answers);
    }

    /** 503 for lack of room; {@code clicks} is -1 when the body was refused before it was parsed. */
    private HttpAnswer overloaded(int clicks) {
        metrics.unavailable("overloaded");
        int retryAfter = RetryAfter.OVERLOADED.seconds();
        String incident = incidents.record("overloaded", inFlight.clicks() + " clicks (" + inFlight.bytes()
                + " bytes) wait for Kafka, the bound is " + inFlight.maxClicks() + " clicks or " + inFlight.maxBytes()
                + " bytes: new clicks get 503", null);
        return unavailable(HttpAnswer.errorBody("the web producer has as many clicks waiting for Kafka as it takes:"
                + " nothing was sent; send the " + (clicks == 1 ? "click" : "clicks") + " again in " + retryAfter
                + " s"), retryAfter, incident);
    }

    /** 429: this client's clicks in flight are at its share; other clients' still fit. -1 clicks: not parsed. */
    private HttpAnswer overShare(int clicks) {
        metrics.rejected("client_clicks_in_flight");
        int retryAfter = RetryAfter.OVERLOADED.seconds();
        return HttpAnswer.retryLater(429, HttpAnswer.errorBody("this client has " + clients.maxClicksInFlight()
                + " clicks waiting for Kafka, its share: nothing was sent; send the " + (clicks == 1 ? "click"
                : "clicks") + " again in " + retryAfter + " s, once earlier ones are answered"), retryAfter);
    }

    /**
     * A publisher reports failures in its future; one that throws instead (a bug) fails that click the same way, so
     * that the room its click took in flight is given back and the client gets its 503.
     */
    private CompletableFuture<Void> publish(ClickEvent click) {
        try {
            return publisher.publish(click);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
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
        ObjectNode body = HttpAnswer.errorBody("Kafka did not acknowledge the click in time; it is probably not"
                + " stored: send it again in " + retryAfter + " s");
        body.put("eventId", eventId.toString());
        return unavailable(body, retryAfter, kafkaIncident(error));
    }

    private HttpAnswer answerAll(String[] problems, UUID[] eventIds, List<CompletableFuture<Void>> sends) {
        UUID[] idsByItem = new UUID[problems.length];
        Throwable[] errorsByItem = new Throwable[problems.length];
        int sent = 0;
        for (int i = 0; i < problems.length; i++) {
            if (problems[i] == null) {
                idsByItem[i] = eventIds[sent];
                errorsByItem[i] = errorOf(sends.get(sent));
                sent++;
            }
        }
        ObjectNode answer = ClickJson.mapper().createObjectNode();
        int[] counts = results(answer, problems, idsByItem, errorsByItem);
        metrics.accepted(counts[0]);
        if (counts[2] == 0) {
            return HttpAnswer.json(202, answer);
        }
        metrics.unavailable("kafka");
        int retryAfter = RetryAfter.KAFKA_UNAVAILABLE.seconds();
        Throwable firstError = null;
        for (Throwable error : errorsByItem) {
            if (error != null) {
                firstError = error;
                break;
            }
        }
        ObjectNode error = HttpAnswer.errorBody(counts[2] + " of " + eventIds.length + " clicks were not acknowledged by"
                + " Kafka in time: send those with status failed again in " + retryAfter
                + " s; the accepted ones are stored.");
        error.setAll(answer);
        return unavailable(error, retryAfter, kafkaIncident(firstError));
    }

    /**
     * Adds the counts and one result per item to {@code answer}: accepted (with the eventId), rejected (with why)
     * or failed (sent, but Kafka did not acknowledge it).
     *
     * @return the numbers accepted, rejected and failed
     */
    private static int[] results(ObjectNode answer, String[] problems, UUID[] eventIds, Throwable[] errors) {
        int[] counts = new int[3];
        ArrayNode results = ClickJson.mapper().createArrayNode();
        for (int i = 0; i < problems.length; i++) {
            ObjectNode result = results.addObject();
            if (problems[i] != null) {
                counts[1]++;
                result.put("status", "rejected").put("error", problems[i]);
            } else if (errors[i] == null) {
                counts[0]++;
                result.put("status", "accepted").put("eventId", eventIds[i].toString());
            } else {
                counts[2]++;
                result.put("status", "failed").put("eventId", eventIds[i].toString())
                        .put("error", "not acknowledged by Kafka in time");
            }
        }
        answer.put("accepted", counts[0]).put("rejected", counts[1]).put("failed", counts[2]);
        answer.set("results", results);
        return counts;
    }

    private static String firstProblem(String[] problems) {
        for (int i = 0; i < problems.length; i++) {
            if (problems[i] != null) {
                return "click [" + i + "]: " + problems[i];
            }
        }
        return "none";
    }

    private static Throwable errorOf(CompletableFuture<Void> send) {
        return send.handle((done, error) -> error).join();
    }

    /** 503, with the incident id of the log line that says what failed. */
    private static HttpAnswer unavailable(ObjectNode body, int retryAfterSeconds, String incident) {
        body.put("incident", incident);
        return HttpAnswer.retryLater(503, body, retryAfterSeconds);
    }

    private String kafkaIncident(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return incidents.record("kafka", "Kafka did not acknowledge clicks within the delivery timeout; they got 503"
                + " (GET /readyz on the management port tells whether the broker is reachable)", cause);
    }

    /** 400, with an example of a valid click. */
    private RejectedRequest invalid(String problem) {
        ObjectNode body = HttpAnswer.errorBody(problem);
        body.putObject("example").put("itemId", "movie-603").put("sessionId", "3f1c2a9e").put("page", "/movies");
        return new RejectedRequest("invalid_click", HttpAnswer.json(400, body));
    }

    private static void checkContentType(String header) throws RejectedRequest {
        if (header == null || header.isBlank()) {
            return; // navigator.sendBeacon with an untyped Blob sends no Content-Type: the body is still JSON
        }
        String[] parts = header.split(";");
        String type = parts[0].trim().toLowerCase(Locale.ROOT);
        if (!ACCEPTED_TYPES.contains(type)) {
            throw unsupported("Content-Type '" + header + "' is not accepted: send JSON with the header"
                    + " 'Content-Type: application/json' (text/plain or none are accepted too, for navigator.sendBeacon)");
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

}
