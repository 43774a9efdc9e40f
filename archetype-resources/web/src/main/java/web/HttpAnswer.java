package ${package}.web;

import ${package}.shared.ClickJson;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** One HTTP response: status, body and extra headers; every API answer, errors included, is JSON. */
record HttpAnswer(int status, String contentType, byte[] body, Map<String, String> headers) {

    static final String JSON = "application/json; charset=utf-8";

    HttpAnswer {
        headers = Map.copyOf(headers);
    }

    static HttpAnswer json(int status, JsonNode body) {
        try {
            return new HttpAnswer(status, JSON, ClickJson.mapper().writeValueAsBytes(body), Map.of());
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

    static HttpAnswer html(byte[] page) {
        return new HttpAnswer(200, "text/html; charset=utf-8", page, Map.of());
    }

    HttpAnswer withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new HttpAnswer(status, contentType, body, more);
    }

    /** Tells the server to close the connection after this answer (a request body was left unread). */
    HttpAnswer closingConnection() {
        return withHeader("Connection", "close");
    }

    /** Writes the whole answer and ends the exchange. */
    void sendTo(HttpExchange exchange) throws IOException {
        writeTo(exchange);
        exchange.close();
    }

    /**
     * Writes the whole answer without ending the exchange. Only for the body-read deadline: ending the
     * exchange would read the rest of a request body that is not coming.
     */
    void writeTo(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        // Clicks and health change on every call: no cache may answer for the server.
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        headers.forEach(exchange.getResponseHeaders()::set);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            OutputStream out = exchange.getResponseBody();
            out.write(body);
            out.flush();
        }
    }
}
