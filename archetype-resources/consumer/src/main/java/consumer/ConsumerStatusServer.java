package ${package}.consumer;

import ${package}.shared.ClickJson;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The consumer's own small HTTP port (CONSUMER_PORT) for operators and the compose healthcheck; no clicks come
 * in here. One thread: only probes and a scraper call it.
 *
 * <pre>
 * GET /livez     200 while the loop runs and has polled within the last minute; else 503
 * GET /readyz    200 while it is live, in touch with its group's coordinator, and the click topic exists;
 *               else 503 with the reason
 * GET /metrics   Prometheus text format ({@link ConsumerMetrics})
 * </pre>
 */
final class ConsumerStatusServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConsumerStatusServer.class);

    private final HttpServer server;
    private final ExecutorService thread;

    private ConsumerStatusServer(HttpServer server, ExecutorService thread) {
        this.server = server;
        this.thread = thread;
    }

    /** Serves the app's status on {@code port} (0: any free one). */
    static ConsumerStatusServer start(int port, ClickConsumerApp app, ConsumerMetrics metrics) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(port), 16);
        } catch (BindException e) {
            throw new UncheckedIOException("port " + port + " is taken (" + e.getMessage() + "): stop what uses it,"
                    + " or set " + ClickConsumerConfig.PORT_ENV_VARIABLE + " to a free port", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the consumer's status on port " + port, e);
        }
        server.createContext("/", exchange -> answer(exchange, app, metrics));
        ExecutorService thread = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(task, "consumer-status");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(thread);
        server.start();
        log.info("Status on port {}: GET /livez, /readyz, /metrics", server.getAddress().getPort());
        return new ConsumerStatusServer(server, thread);
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
    }

    private static void answer(HttpExchange exchange, ClickConsumerApp app, ConsumerMetrics metrics)
            throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                send(exchange, 405, error(exchange.getRequestMethod() + " is not allowed: use GET"));
                return;
            }
            switch (path) {
                case "/livez" -> {
                    ClickConsumerApp.Health health = app.health();
                    send(exchange, health.live() ? 200 : 503,
                            health.live() ? status("UP", "") : status("DOWN", health.problem()));
                }
                case "/readyz" -> {
                    ClickConsumerApp.Health health = app.health();
                    send(exchange, health.ready() ? 200 : 503,
                            status(health.ready() ? "READY" : "NOT_READY", health.problem()));
                }
                case "/metrics" -> send(exchange, 200, metrics.contentType(), metrics.scrape());
                default -> send(exchange, 404, error("no such path: " + path
                        + "; this port has GET /livez, /readyz and /metrics"));
            }
        }
    }

    private static byte[] status(String status, String problem) {
        ObjectNode body = ClickJson.mapper().createObjectNode().put("status", status);
        if (!problem.isEmpty()) {
            body.put("reason", problem);
        }
        return json(body);
    }

    private static byte[] error(String message) {
        return json(ClickJson.mapper().createObjectNode().put("error", message));
    }

    private static byte[] json(ObjectNode body) {
        try {
            return ClickJson.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        send(exchange, status, "application/json; charset=utf-8", body);
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
