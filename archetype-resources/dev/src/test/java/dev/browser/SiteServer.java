package ${package}.dev.browser;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;

/**
 * The web site of the tests, on its own port and so its own origin: it serves the pages that load the tracker
 * script from the web producer, and a relay to the web producer's {@code /api/clicks} that can lose an answer or
 * answer 503 itself, as a flaky network or a load balancer would.
 */
final class SiteServer implements AutoCloseable {

    /** What the relay does with the Nth POST it gets (1-based). */
    enum Relay { FORWARD, FORWARD_THEN_DROP_THE_ANSWER, ANSWER_503 }

    /** One POST that reached the relay: its body and when. */
    record RelayedPost(String body, long nanoTime, Relay handling) {
    }

    private static final Set<String> HOP_BY_HOP = Set.of("content-length", "connection", "transfer-encoding",
            "keep-alive", "date");

    private final HttpServer server;
    private final Map<String, String> pages = new ConcurrentHashMap<>();
    private final List<RelayedPost> relayed = new CopyOnWriteArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private volatile URI collector;
    private volatile IntFunction<Relay> relayPlan = n -> Relay.FORWARD;

    SiteServer() throws IOException {
        // Every address (IPv4 and IPv6): the browser reaches it as localhost and as 127.0.0.1, two origins.
        server = HttpServer.create(new InetSocketAddress(0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::page);
        server.createContext("/relay/api/clicks", this::relay);
        server.start();
    }

    /** Where the relay forwards to: the web producer, which starts after the site (it allows the site's origin). */
    void relayTo(URI webProducer) {
        collector = webProducer;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Serves {@code html} at {@code path} from now on. */
    void page(String path, String html) {
        pages.put(path, html);
    }

    void planRelay(IntFunction<Relay> plan) {
        relayed.clear();
        relayPlan = plan;
    }

    List<RelayedPost> relayed() {
        return List.copyOf(relayed);
    }

    private void page(HttpExchange exchange) throws IOException {
        try (exchange) {
            String html = pages.get(exchange.getRequestURI().getPath());
            byte[] body = (html == null ? "<!DOCTYPE html><title>left</title><p>another page" : html)
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(html == null && !exchange.getRequestURI().getPath().equals("/left.html")
                    ? 404 : 200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private void relay(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Relay handling = Relay.FORWARD;
            if ("POST".equals(exchange.getRequestMethod())) {
                handling = relayPlan.apply(relayed.size() + 1);
                relayed.add(new RelayedPost(new String(body, StandardCharsets.UTF_8), System.nanoTime(), handling));
            }
            String origin = exchange.getRequestHeaders().getFirst("Origin");
            if (handling == Relay.ANSWER_503) {
                byte[] answer = "{\"error\":\"the relay is overloaded (test)\",\"retryAfterSeconds\":1}"
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.getResponseHeaders().set("Retry-After", "1");
                exchange.getResponseHeaders().set("Access-Control-Allow-Origin", origin);
                exchange.getResponseHeaders().set("Access-Control-Expose-Headers", "Retry-After");
                exchange.sendResponseHeaders(503, answer.length);
                exchange.getResponseBody().write(answer);
                return;
            }
            HttpRequest.Builder forward = HttpRequest.newBuilder(collector.resolve("/api/clicks"))
                    .timeout(Duration.ofSeconds(15))
                    .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
            for (String name : List.of("Origin", "Content-Type", "Access-Control-Request-Method",
                    "Access-Control-Request-Headers")) {
                String value = exchange.getRequestHeaders().getFirst(name);
                if (value != null) {
                    forward.header(name, value);
                }
            }
            HttpResponse<byte[]> answer;
            try {
                answer = client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (handling == Relay.FORWARD_THEN_DROP_THE_ANSWER) {
                // The clicks are stored, and the browser never hears so: closing without a status line is what a
                // connection lost on the way back looks like (fetch fails with a network error).
                return;
            }
            answer.headers().map().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                    exchange.getResponseHeaders().put(name, values);
                }
            });
            byte[] answerBody = answer.body();
            exchange.sendResponseHeaders(answer.statusCode(), answer.statusCode() == 204 ? -1 : answerBody.length);
            if (answer.statusCode() != 204) {
                exchange.getResponseBody().write(answerBody);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
