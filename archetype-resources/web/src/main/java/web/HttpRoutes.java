package ${package}.web;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** What a {@link ClickHttpServer} answers: the public port's {@link WebRoutes}, or the {@link ManagementRoutes}. */
interface HttpRoutes {

    /**
     * The answer to a complete request.
     *
     * @param answers the connection's event loop, where answers that wait for Kafka are built
     */
    CompletableFuture<HttpAnswer> answer(WebRequest request, Executor answers);

    /**
     * The CORS headers for an answer the connection writes without a route (a 4xx before the request was read
     * whole, a 5xx), to a request with this {@code Origin} (null: none); none by default. Never throws.
     */
    default Map<String, String> corsHeaders(String origin, int localPort) {
        return Map.of();
    }
}
