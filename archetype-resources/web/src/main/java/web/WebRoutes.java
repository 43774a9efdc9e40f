package ${package}.web;

import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Which path answers what. Every answer is JSON except the demo page and {@code /metrics}.
 *
 * <pre>
 * POST /api/clicks   one click or an array of them, see {@link ClicksEndpoint}
 * GET  /             the demo page
 * GET  /livez        200 while the process serves HTTP (no detail: a liveness probe restarts on failure)
 * GET  /readyz       200 when the broker answers and the topic's partitions are known, else 503 with the reason
 * GET  /metrics      Prometheus text format
 * </pre>
 */
final class WebRoutes {

    static final List<String> PATHS = List.of("/", ClicksEndpoint.PATH, "/livez", "/readyz", "/metrics");
    private static final String DEMO_PAGE = "/demo/index.html";

    private final ClicksEndpoint clicks;
    private final ClickPublisher publisher;
    private final BrokerReadiness readiness;
    private final WebMetrics metrics;
    private final Executor slowWork;
    private final byte[] demoPage;

    /**
     * @param slowWork runs what should not hold an event loop for long: rendering {@code /metrics}
     */
    WebRoutes(ClicksEndpoint clicks, ClickPublisher publisher, BrokerReadiness readiness, WebMetrics metrics,
              Executor slowWork) {
        this.clicks = clicks;
        this.publisher = publisher;
        this.readiness = readiness;
        this.metrics = metrics;
        this.slowWork = slowWork;
        this.demoPage = readDemoPage();
    }

    /**
     * The answer to a complete request. A {@link RejectedRequest} becomes its 4xx answer here and is counted.
     *
     * @param answers the connection's event loop, where answers that wait for Kafka are built
     */
    CompletableFuture<HttpAnswer> answer(WebRequest request, Executor answers) {
        try {
            return route(request, answers);
        } catch (RejectedRequest e) {
            metrics.rejected(e.reason());
            return CompletableFuture.completedFuture(e.answer());
        }
    }

    private CompletableFuture<HttpAnswer> route(WebRequest request, Executor answers) throws RejectedRequest {
        switch (request.path()) {
            case ClicksEndpoint.PATH:
                return clicks.handle(request, answers);
            case "/":
                requireGet(request);
                return done(HttpAnswer.of(200, "text/html; charset=utf-8", demoPage));
            case "/livez":
                requireGet(request);
                return done(HttpAnswer.json(200, ClickJson.mapper().createObjectNode().put("status", "UP")));
            case "/readyz":
                requireGet(request);
                return done(readyz(request.fromLoopback()));
            case "/metrics":
                requireGet(request);
                return CompletableFuture.supplyAsync(
                        () -> HttpAnswer.of(200, metrics.contentType(), metrics.scrape()), slowWork);
            default:
                ObjectNode body = HttpAnswer.errorBody("no such path: " + request.path() + "; this server has "
                        + "POST " + ClicksEndpoint.PATH + ", GET /, GET /livez, GET /readyz and GET /metrics");
                PATHS.forEach(body.putArray("paths")::add);
                throw new RejectedRequest("not_found", HttpAnswer.json(404, body));
        }
    }

    /**
     * Ready: the broker answered within the last few seconds, the topic's partitions each have a leader, and the
     * producer knows them. Addresses and the cluster id only for callers on this machine (a compose healthcheck,
     * an operator's curl): a browser on the internet learns nothing about the cluster.
     */
    private HttpAnswer readyz(boolean fromLoopback) {
        BrokerReadiness.Status status = readiness.current();
        boolean ready = status.ready() && publisher.knowsTopic();
        ObjectNode body = ClickJson.mapper().createObjectNode().put("status", ready ? "READY" : "NOT_READY");
        if (!ready) {
            body.put("reason", status.ready() ? "the producer does not know the topic's partitions yet"
                    : status.reason());
        }
        if (fromLoopback) {
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

    private static byte[] readDemoPage() {
        try (InputStream page = WebRoutes.class.getResourceAsStream(DEMO_PAGE)) {
            if (page == null) {
                throw new IllegalStateException(DEMO_PAGE + " is missing from the classpath: rebuild the web module");
            }
            return page.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DEMO_PAGE, e);
        }
    }
}
