package ${package}.web;

import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The management port, for operators, the compose healthcheck and Prometheus; never published, and by default
 * bound to the loopback interface only ({@code WEB_MANAGEMENT_BIND}). Nothing here takes clicks.
 *
 * <pre>
 * GET /livez     200 while the process serves HTTP
 * GET /readyz    200 when the broker answers and the topic's partitions are known, else 503; with the reason and
 *                the detail (bootstrap addresses, cluster id, brokers), which the public port never shows
 * GET /metrics   Prometheus text format ({@link WebMetrics})
 * </pre>
 */
final class ManagementRoutes implements HttpRoutes {

    private final ClickPublisher publisher;
    private final BrokerReadiness readiness;
    private final WebMetrics metrics;
    private final Executor slowWork;

    /**
     * @param slowWork runs what should not hold an event loop for long: rendering {@code /metrics}
     */
    ManagementRoutes(ClickPublisher publisher, BrokerReadiness readiness, WebMetrics metrics, Executor slowWork) {
        this.publisher = publisher;
        this.readiness = readiness;
        this.metrics = metrics;
        this.slowWork = slowWork;
    }

    @Override
    public CompletableFuture<HttpAnswer> answer(WebRequest request, Executor answers) {
        if (!request.isGetOrHead()) {
            return done(HttpAnswer.error(405, request.method() + " is not allowed on " + request.path() + ": use GET")
                    .withHeader("Allow", "GET, HEAD"));
        }
        return switch (request.path()) {
            case "/livez" -> done(HttpAnswer.json(200, ClickJson.mapper().createObjectNode().put("status", "UP")));
            case "/readyz" -> done(WebRoutes.readyz(readiness, publisher, true));
            case "/metrics" -> CompletableFuture.supplyAsync(
                    () -> HttpAnswer.of(200, metrics.contentType(), metrics.scrape()), slowWork);
            default -> {
                ObjectNode body = HttpAnswer.errorBody("no such path: " + request.path() + "; the management port"
                        + " has GET /livez, /readyz and /metrics (clicks go to the public port)");
                yield done(HttpAnswer.json(404, body));
            }
        };
    }

    private static CompletableFuture<HttpAnswer> done(HttpAnswer answer) {
        return CompletableFuture.completedFuture(answer);
    }
}
