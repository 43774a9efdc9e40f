package ${package}.loadtest.fault;

import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.HttpExchange;
import ${package}.loadtest.SinkContents;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the clients of a fault test were told: which eventIds got a 202, how many requests got which status,
 * how long the slowest answers took. The ledger is what the sink and the topic are checked against.
 */
final class AckLedger implements ClickLoad.AnswerListener {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** eventId of every 202, with the time (nanoTime) it was answered. */
    private final Map<String, Long> acknowledged = new ConcurrentHashMap<>();
    /** eventIds named in 503 answers: Kafka did not confirm them; they may or may not be stored. */
    private final Set<String> notConfirmed = ConcurrentHashMap.newKeySet();
    private final Map<Integer, Integer> statuses = new TreeMap<>();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private long requests;
    private long maxServiceNanos;
    private long max503ServiceNanos;
    private long ioFailures;
    private String firstIoFailure;

    @Override
    public void onAnswer(long sequence, HttpExchange.Response response, long due, long sent, long done) {
        String eventId = null;
        JsonNode results = null;
        try {
            JsonNode body = JSON.readTree(response.body());
            eventId = body.path("eventId").textValue();
            results = body.get("results");
        } catch (IOException e) {
            failures.add("answer " + response.status() + " is not JSON: " + response.bodyText());
        }
        if (results != null && results.isArray()) {
            // an array of clicks: each has its own eventId and status, whatever the answer's status
            for (JsonNode result : results) {
                String id = result.path("eventId").textValue();
                if ("accepted".equals(result.path("status").textValue())) {
                    acknowledged.put(id, done);
                } else if (id != null) {
                    notConfirmed.add(id);
                }
            }
            countAnswer(response.status(), sent, done);
            return;
        }
        countAnswer(response.status(), sent, done);
        if (response.status() == 202) {
            if (eventId == null) {
                failures.add("202 without an eventId: " + response.bodyText());
            } else {
                acknowledged.put(eventId, done);
            }
        } else if (eventId != null) {
            notConfirmed.add(eventId);
        }
    }

    private synchronized void countAnswer(int status, long sent, long done) {
        requests++;
        statuses.merge(status, 1, Integer::sum);
        maxServiceNanos = Math.max(maxServiceNanos, done - sent);
        if (status == 503) {
            max503ServiceNanos = Math.max(max503ServiceNanos, done - sent);
        }
    }

    @Override
    public void onFailure(long sequence, IOException error, long due, long sent, long done) {
        synchronized (this) {
            requests++;
            ioFailures++;
            maxServiceNanos = Math.max(maxServiceNanos, done - sent);
        }
        synchronized (this) {
            if (firstIoFailure == null) {
                firstIoFailure = "request " + sequence + ": " + error;
            }
        }
    }

    Set<String> acknowledged() {
        return acknowledged.keySet();
    }

    /** eventIds acknowledged before {@code nanoTime}. */
    List<String> acknowledgedBefore(long nanoTime) {
        return acknowledged.entrySet().stream().filter(e -> e.getValue() < nanoTime).map(Map.Entry::getKey).toList();
    }

    Set<String> notConfirmed() {
        return notConfirmed;
    }

    synchronized long requests() {
        return requests;
    }

    synchronized int status(int status) {
        return statuses.getOrDefault(status, 0);
    }

    synchronized Map<Integer, Integer> statuses() {
        return new TreeMap<>(statuses);
    }

    synchronized long ioFailures() {
        return ioFailures;
    }

    synchronized double maxServiceMillis() {
        return maxServiceNanos / 1e6;
    }

    synchronized double max503ServiceMillis() {
        return max503ServiceNanos / 1e6;
    }

    /** The first request that got no answer at all (refused, reset, closed), or null. */
    synchronized String firstIoFailure() {
        return firstIoFailure;
    }

    /** Answers that break the API (not JSON, a 202 without an eventId); a refused connection is not one. */
    List<String> protocolFailures() {
        return failures;
    }

    /** The counts every fault test prints: sent, acknowledged, stored, duplicates, lost. */
    String countsAgainst(SinkContents sink) {
        long stored = acknowledged().stream().filter(id -> sink.count(id) > 0).count();
        long lost = acknowledged().size() - stored;
        long storedUnconfirmed = notConfirmed.stream().filter(id -> sink.count(id) > 0).count();
        return String.format("sent %d, acknowledged %d, stored %d, duplicates %d, lost %d;"
                        + " statuses %s, I/O failures %d, 503-answered clicks stored anyway %d, max answer %.0f ms",
                requests(), acknowledged().size(), stored, sink.duplicates(), lost, statuses(), ioFailures(),
                storedUnconfirmed, maxServiceMillis());
    }

    long lostFrom(SinkContents sink) {
        return acknowledged().stream().filter(id -> sink.count(id) == 0).count();
    }

    long lostFrom(Map<String, Integer> topic) {
        return acknowledged().stream().filter(id -> !topic.containsKey(id)).count();
    }
}
