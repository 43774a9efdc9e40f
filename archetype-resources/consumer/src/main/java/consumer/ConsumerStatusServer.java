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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The consumer's own small HTTP port (CONSUMER_PORT) for operators and the compose healthcheck; no clicks come
 * in here. Only probes and a scraper call it, but anyone who reaches the port can connect: {@value #THREADS}
 * threads, so that a few clients that send their request slowly (the JDK server reads a request on the thread
 * that then answers it) do not hold up the healthcheck, and {@value #REQUEST_SECONDS} s for a request to arrive
 * in full and {@value #RESPONSE_SECONDS} s for its answer to be taken, after which the connection is cut and its
 * thread freed. As many slow clients as threads, or more, still delay the probes until they are cut.
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

    /**
     * A fixed, small pool: the healthcheck, a scraper and an operator's curl at once, plus room for a few clients
     * that trickle their request in (each holds a thread until it is cut). Never more threads than this, however
     * many connect: a flood of slow clients waits in the executor's queue and is cut there too.
     */
    static final int THREADS = 4;
    /** Seconds a client has, from its first byte, to send its whole request (a probe's takes milliseconds). */
    static final int REQUEST_SECONDS = 5;
    /** Seconds from the end of the request until the client has taken the whole answer. */
    static final int RESPONSE_SECONDS = 5;

    static {
        // The JDK server has no per-server timeouts, and no read timeout by default: a client that trickles its headers
        // in holds an executor thread for as long as it likes. Its request and response limits are these system
        // properties (jdk.httpserver module documentation), in seconds: some JDKs' documentation says milliseconds, but
        // JDK 17's and 25's server multiply them by 1000. They are read once, when the JDK server's configuration is
        // first loaded: before the JVM's first HttpServer.create, which this class makes. They apply to every JDK
        // HttpServer in the JVM; the consumer has only this one. Set only when absent, so that
        // -Dsun.net.httpserver.maxReqTime=... on the command line wins. The server's timer checks once a second, so a
        // connection is cut 0-1 s after its limit; a request still waiting in the executor's queue counts against the
        // same limit. Left at the JDK's defaults: idle keep-alive connections (a scraper's between scrapes) hold no
        // thread, are closed after 30 s (sun.net.httpserver.idleInterval) and at most 200 are kept
        // (sun.net.httpserver.maxIdleConnections); a connection that sends nothing holds no thread either.
        setIfAbsent("sun.net.httpserver.maxReqTime", REQUEST_SECONDS);
        setIfAbsent("sun.net.httpserver.maxRspTime", RESPONSE_SECONDS);
    }

    private final HttpServer server;
    private final ExecutorService threads;

    private ConsumerStatusServer(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    private static void setIfAbsent(String property, int seconds) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(seconds));
        }
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
        AtomicInteger made = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(THREADS, task -> {
            Thread t = new Thread(task, "consumer-status-" + made.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.start();
        log.info("Status on port {}: GET /livez, /readyz, /metrics", server.getAddress().getPort());
        return new ConsumerStatusServer(server, threads);
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
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
