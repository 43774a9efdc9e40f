package ${package}.web;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * One complete HTTP request, as the routes see it: the body is read (and within its limit) before any route runs.
 *
 * @param method       {@code GET}, {@code POST}, ...
 * @param path         the raw path, without the query
 * @param headers      the request headers
 * @param body         the whole body; empty when there is none
 * @param fromLoopback true when the client is on this machine (or in this container): only such callers see
 *                     broker addresses and cluster ids in {@code /readyz}
 */
record WebRequest(String method, String path, HttpHeaders headers, byte[] body, boolean fromLoopback) {

    String header(CharSequence name) {
        return headers.get(name);
    }

    boolean isGetOrHead() {
        return "GET".equals(method) || "HEAD".equals(method);
    }
}
