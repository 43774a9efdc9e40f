package ${package}.web;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * One complete HTTP request, as the routes see it: the body is read (and within its limit) before any route runs.
 *
 * @param method    {@code GET}, {@code POST}, ...
 * @param path      the raw path, without the query
 * @param headers   the request headers
 * @param body      the whole body; empty when there is none
 * @param client    who sent it ({@link ClientShares#keyOf}): the remote address, or the one a trusted proxy
 *                  reports; its share of the clicks in flight is counted under this
 * @param localPort the port it came in on: the web producer's own pages are on it (see {@link AllowedOrigins})
 */
record WebRequest(String method, String path, HttpHeaders headers, byte[] body, String client, int localPort) {

    String header(CharSequence name) {
        return headers.get(name);
    }

    boolean isGetOrHead() {
        return "GET".equals(method) || "HEAD".equals(method);
    }
}
