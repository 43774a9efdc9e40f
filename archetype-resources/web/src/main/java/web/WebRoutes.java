package ${package}.web;

import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Which path of the public port answers what. Every answer is JSON except the demo page and the scripts. What is
 * for operators only (metrics, the readiness detail) is on the management port, see {@link ManagementServer}.
 *
 * <pre>
 * POST /api/clicks   one click or an array of them, see {@link ClicksEndpoint}; CORS by {@link AllowedOrigins}
 * OPTIONS /api/clicks  the CORS preflight
 * GET  /clicklog.js  the tracker script that sites load, see its header
 * GET  /             the demo page (with /demo.js and /demo.css)
 * GET  /livez        200 while the process serves HTTP (no detail: a liveness probe restarts on failure)
 * GET  /readyz       200 when the broker answers and the topic's partitions are known, else 503; no reason here
 * </pre>
 */
final class WebRoutes implements HttpRoutes {

    static final String TRACKER_SCRIPT = "/clicklog.js";
    static final List<String> PATHS = List.of("/", ClicksEndpoint.PATH, TRACKER_SCRIPT, "/livez", "/readyz");

    /**
     * The demo page's policy: its own scripts, styles and API only (no inline script or style, so an injected one
     * does not run), no framing by other sites (clickjacking), no forms or base URL to hijack.
     */
    static final String DEMO_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    /** Scripts and styles are not documents: nothing may run from them or frame them. */
    static final String ASSET_POLICY = "default-src 'none'; frame-ancestors 'none'";

    private final ClicksEndpoint clicks;
    private final AllowedOrigins origins;
    private final ClickPublisher publisher;
    private final BrokerReadiness readiness;
    private final WebMetrics metrics;
    private final RejectionLog rejections;
    private final Map<String, HttpAnswer> assets;

    WebRoutes(ClicksEndpoint clicks, AllowedOrigins origins, ClickPublisher publisher, BrokerReadiness readiness,
              WebMetrics metrics, RejectionLog rejections) {
        this.clicks = clicks;
        this.origins = origins;
        this.publisher = publisher;
        this.readiness = readiness;
        this.metrics = metrics;
        this.rejections = rejections;
        this.assets = Map.of(
                "/", asset("/demo/index.html", "text/html; charset=utf-8", DEMO_POLICY)
                        .withHeader("Referrer-Policy", "strict-origin-when-cross-origin")
                        .withHeader("X-Frame-Options", "DENY"),
                "/demo.js", asset("/demo/demo.js", "text/javascript; charset=utf-8", ASSET_POLICY),
                "/demo.css", asset("/demo/demo.css", "text/css; charset=utf-8", ASSET_POLICY),
                // Loaded by other sites' pages: cacheable for a while, and loadable from any origin (CORP).
                TRACKER_SCRIPT, asset("/clicklog.js", "text/javascript; charset=utf-8", ASSET_POLICY)
                        .withHeader("Cache-Control", "public, max-age=300")
                        .withHeader("Cross-Origin-Resource-Policy", "cross-origin"));
    }

    /**
     * The answer to a complete request. A {@link RejectedRequest} becomes its 4xx answer here and is counted.
     *
     * @param answers the connection's event loop, where answers that wait for Kafka are built
     */
    @Override
    public CompletableFuture<HttpAnswer> answer(WebRequest request, Executor answers) {
        try {
            return route(request, answers);
        } catch (RejectedRequest e) {
            metrics.rejected(e.reason());
            rejections.rejected(e.answer().status(), request.method() + " " + RejectionLog.printable(request.path())
                    + " (" + e.reason() + "): " + new String(e.answer().body(), StandardCharsets.UTF_8));
            return CompletableFuture.completedFuture(e.answer());
        }
    }

    /**
     * The CORS headers for an answer the connection writes without a route (a 4xx before the request was read
     * whole, a 500): those of {@code /api/clicks} for an allowed origin, else none. Never throws.
     */
    @Override
    public Map<String, String> corsHeaders(String origin, int localPort) {
        return origins.corsHeaders(origin, localPort);
    }

    /** Clicks with CORS: every answer (errors too, so a page can read a 503) carries the request's CORS headers. */
    private CompletableFuture<HttpAnswer> clicks(WebRequest request, Executor answers) throws RejectedRequest {
        Map<String, String> cors = origins.headersFor(request);
        if ("OPTIONS".equals(request.method())) {
            return done(origins.preflight(request));
        }
        try {
            return clicks.handle(request, answers).thenApply(answer -> answer.withHeaders(cors));
        } catch (RejectedRequest e) {
            throw new RejectedRequest(e.reason(), e.answer().withHeaders(cors));
        }
    }

    private CompletableFuture<HttpAnswer> route(WebRequest request, Executor answers) throws RejectedRequest {
        switch (request.path()) {
            case ClicksEndpoint.PATH:
                return clicks(request, answers);
            case "/", "/demo.js", "/demo.css", TRACKER_SCRIPT:
                requireGet(request);
                return done(assets.get(request.path()));
            case "/livez":
                requireGet(request);
                return done(HttpAnswer.json(200, ClickJson.mapper().createObjectNode().put("status", "UP")));
            case "/readyz":
                requireGet(request);
                return done(readyz(readiness, publisher, false));
            default:
                ObjectNode body = HttpAnswer.errorBody("no such path: " + request.path() + "; this server has "
                        + "POST " + ClicksEndpoint.PATH + ", GET " + TRACKER_SCRIPT + ", GET /, GET /livez and GET"
                        + " /readyz (metrics and the readiness detail are on the management port)");
                PATHS.forEach(body.putArray("paths")::add);
                throw new RejectedRequest("not_found", HttpAnswer.json(404, body));
        }
    }

    /**
     * Ready: the broker answered within the last few seconds, the topic's partitions each have a leader, and the
     * producer knows them. The public port says only that (a browser on the internet learns nothing about the
     * cluster); the management port adds the reason and the detail (addresses, the cluster id).
     */
    static HttpAnswer readyz(BrokerReadiness readiness, ClickPublisher publisher, boolean detailed) {
        BrokerReadiness.Status status = readiness.current();
        boolean ready = status.ready() && publisher.knowsTopic();
        ObjectNode body = ClickJson.mapper().createObjectNode().put("status", ready ? "READY" : "NOT_READY");
        if (detailed) {
            if (!ready) {
                body.put("reason", status.ready() ? "the producer does not know the topic's partitions yet"
                        : status.reason());
            }
            body.put("detail", status.detail());
        }
        return HttpAnswer.json(ready ? 200 : 503, body);
    }

    private static void requireGet(WebRequest request) throws RejectedRequest {
        if (!request.isGetOrHead()) {
            throw new RejectedRequest("method_not_allowed", HttpAnswer.error(405, request.method()
                    + " is not allowed on " + request.path() + ": use GET").withHeader("Allow", "GET, HEAD"));
        }
    }

    private static CompletableFuture<HttpAnswer> done(HttpAnswer answer) {
        return CompletableFuture.completedFuture(answer);
    }

    /** A file of the web module's resources as a 200 answer with its content security policy. */
    private static HttpAnswer asset(String resource, String contentType, String policy) {
        try (InputStream in = WebRoutes.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the classpath: rebuild the web module");
            }
            return HttpAnswer.of(200, contentType, in.readAllBytes()).withHeader("Content-Security-Policy", policy);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
