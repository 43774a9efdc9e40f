package ${package}.web;

import ${package}.shared.ClickJson;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One HTTP response: status, body and extra headers; every API answer, errors included, is JSON.
 *
 * @param closesConnection the connection is closed after this answer (a request body was left unread)
 */
record HttpAnswer(int status, String contentType, byte[] body, Map<String, String> headers,
                  boolean closesConnection) {

    static final String JSON = "application/json; charset=utf-8";

    HttpAnswer {
        // In the order they were added: answers read the same every time.
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    static HttpAnswer json(int status, JsonNode body) {
        try {
            return new HttpAnswer(status, JSON, ClickJson.mapper().writeValueAsBytes(body), Map.of(), false);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** {@code {"error": message}}: the message names the problem and how to fix it. */
    static HttpAnswer error(int status, String message) {
        return json(status, errorBody(message));
    }

    static ObjectNode errorBody(String message) {
        return ClickJson.mapper().createObjectNode().put("error", message);
    }

    /**
     * An answer that tells the client to send again later (429, 503): {@code Retry-After} and
     * {@code retryAfterSeconds} in the body (the tracker reads the header, other clients either).
     */
    static HttpAnswer retryLater(int status, ObjectNode body, int retryAfterSeconds) {
        body.put("retryAfterSeconds", retryAfterSeconds);
        return json(status, body).withHeader("Retry-After", String.valueOf(retryAfterSeconds));
    }

    static HttpAnswer of(int status, String contentType, byte[] body) {
        return new HttpAnswer(status, contentType, body, Map.of(), false);
    }

    HttpAnswer withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new HttpAnswer(status, contentType, body, more, closesConnection);
    }

    /** With more headers, in one copy (each {@link #withHeader} copies them all). */
    HttpAnswer withHeaders(Map<String, String> more) {
        if (more.isEmpty()) {
            return this;
        }
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.putAll(more);
        return new HttpAnswer(status, contentType, body, all, closesConnection);
    }

    /** The connection closes after this answer: the rest of the request was not read, or should not be. */
    HttpAnswer closingConnection() {
        return new HttpAnswer(status, contentType, body, headers, true);
    }
}
