package ${package}.web;

import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The web producer: clicks come in over HTTP and go to the Kafka topic as JSON events. The Java counterpart
 * of the Django app's {@code utils/kafka.py}, with the JDK's own HTTP server.
 *
 * <pre>
 * java -jar web/target/web.jar          (KAFKA_BOOTSTRAP_SERVERS, CLICK_TOPIC, WEB_PORT as needed)
 *
 * curl -i -H 'Content-Type: application/json' \
 *      -d '{"itemId":"movie-603","sessionId":"s-1","page":"/movies"}' http://localhost:${webPort}/api/clicks
 * HTTP/1.1 202 Accepted
 * {"eventId":"9a1f3c4e-7b2d-4e0a-9f51-2c8d6e4b1a07"}
 *
 * curl -i -H 'Content-Type: application/json' \
 *      -d '[{"itemId":"movie-603","userId":"u-7"},{"itemId":"movie-13","userId":"u-7"}]' \
 *      http://localhost:${webPort}/api/clicks
 * HTTP/1.1 202 Accepted
 * {"results":[{"eventId":"...","status":"accepted"},{"eventId":"...","status":"accepted"}]}
 *
 * curl -i -H 'Content-Type: application/json' -d '{"sessionId":"s-1"}' http://localhost:${webPort}/api/clicks
 * HTTP/1.1 400 Bad Request
 * {"error":"itemId is missing: it is required (a non-empty string)","example":{...}}
 *
 * curl http://localhost:${webPort}/health
 * {"status":"UP","broker":"reachable","bootstrap":"...","topic":"...","detail":"cluster ..., brokers ..."}
 * </pre>
 *
 * Open http://localhost:${webPort}/ for the demo page. Other answers: 413 for a body over 64 KiB, 415 for a
 * content type other than JSON (or text/plain), 405 with {@code Allow} for a wrong method, 404 for an unknown
 * path, 503 with {@code Retry-After} when Kafka does not acknowledge within about 5 s. All of them are JSON
 * {@code {"error": "..."}} naming the problem and the fix.
 */
public final class WebProducerApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebProducerApp.class);

    /** A request body must arrive within this, else the answer is 408. */
    static final Duration BODY_READ_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Workers read and check requests and write answers; they never wait for Kafka (answers come from the send
     * callbacks), so a few dozen serve any number of concurrent clicks. The number bounds how many slow clients
     * can hold a worker at once, each for at most {@code sun.net.httpserver.maxReqTime}; idle workers cost little.
     */
    public static final int WORKER_THREADS = 64;
    /** Connections waiting to be accepted: bursts of new clients queue instead of being refused. */
    private static final int ACCEPT_BACKLOG = 1024;
    private static final String DEMO_PAGE = "/demo/index.html";

    static {
        tuneJdkHttpServer();
    }

    private final WebProducerConfig config;
    private final ClickPublisher publisher;
    private final BrokerHealth health;
    private final HttpServer server;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService deadlines;
    private final ClicksEndpoint clicks;
    private final byte[] demoPage;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private WebProducerApp(WebProducerConfig config, ClickPublisher publisher, BrokerHealth health,
                           Duration bodyReadTimeout) throws IOException {
        this.config = config;
        this.publisher = publisher;
        this.health = health;
        this.demoPage = readDemoPage();
        this.workers = new ThreadPoolExecutor(WORKER_THREADS, WORKER_THREADS, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), threads("web-http"));
        ScheduledThreadPoolExecutor bodyDeadlines = new ScheduledThreadPoolExecutor(1, threads("web-body-deadline"));
        // Nearly every deadline is cancelled when its body arrives: drop it then, instead of 5 s later.
        bodyDeadlines.setRemoveOnCancelPolicy(true);
        this.deadlines = bodyDeadlines;
        this.clicks = new ClicksEndpoint(publisher, workers, deadlines, bodyReadTimeout);
        this.server = HttpServer.create(new InetSocketAddress(config.port()), ACCEPT_BACKLOG);
        server.createContext("/", this::route);
        server.setExecutor(workers);
        server.start();
    }

    public static void main(String[] args) {
        WebProducerApp app;
        try {
            app = start(WebProducerConfig.fromEnvironment());
        } catch (RuntimeException e) {
            LOG.error("The web producer did not start: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "web-producer-shutdown"));
        ProcessHandle.current().info().startInstant().ifPresent(jvmStart -> LOG.info(
                "Ready {} ms after the JVM started; Ctrl-C stops it",
                Duration.between(jvmStart, Instant.now()).toMillis()));
    }

    /** Starts the server with a Kafka producer; returns once it listens (it does not wait for the broker). */
    public static WebProducerApp start(WebProducerConfig config) {
        LOG.info("{}", config.bootstrap().describe());
        ClickPublisher publisher =
                new KafkaClickPublisher(config.bootstrap(), config.topic(), config.producerOverrides());
        BrokerHealth health = BrokerHealth.forKafka(config.bootstrap());
        try {
            WebProducerApp app = start(config, publisher, health, BODY_READ_TIMEOUT);
            app.checkBrokerInBackground();
            return app;
        } catch (RuntimeException e) {
            publisher.close();
            health.close();
            throw e;
        }
    }

    /** Starts the server with the given publisher and broker check (unit tests pass in-memory ones). */
    static WebProducerApp start(WebProducerConfig config, ClickPublisher publisher, BrokerHealth health,
                                Duration bodyReadTimeout) {
        WebProducerApp app;
        try {
            app = new WebProducerApp(config, publisher, health, bodyReadTimeout);
        } catch (BindException e) {
            throw new UncheckedIOException("port " + config.port() + " is taken (" + e.getMessage() + "): stop what"
                    + " uses it, or set " + WebProducerConfig.PORT_VARIABLE + " to a free port", e);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the HTTP server on port " + config.port(), e);
        }
        LOG.info("Sending clicks to topic {}; demo page: {} (clicks: POST {}, health: GET {})", config.topic(),
                app.baseUri(), app.baseUri().resolve(ClicksEndpoint.PATH), app.baseUri().resolve("/health"));
        return app;
    }

    /** The port the server listens on (the chosen one when the config says 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Where the demo page is, for this machine. */
    public URI baseUri() {
        return URI.create("http://localhost:" + port() + "/");
    }

    /**
     * Graceful: stop accepting clicks (503 from now on), flush the producer so every click in flight gets its
     * 202 or 503, then close the server and the producer. Safe to call twice.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("Shutting down: no new clicks; waiting for Kafka to acknowledge the {} request(s) in flight",
                inFlight.get());
        clicks.stopAccepting();
        try {
            publisher.flush();
            awaitAnswers(publisher.deliveryTimeout().plusSeconds(1));
        } finally {
            server.stop(0);
            workers.shutdown();
            deadlines.shutdownNow();
            publisher.close();
            health.close();
        }
        LOG.info("Web producer stopped");
    }

    private void route(HttpExchange exchange) {
        inFlight.incrementAndGet();
        CompletableFuture<HttpAnswer> answer;
        try {
            answer = answerFor(exchange);
        } catch (RejectedRequest e) {
            answer = CompletableFuture.completedFuture(e.answer());
        } catch (IOException e) {
            // The client went away while sending its request: nobody is left to answer.
            LOG.debug("Request from {} ended early: {}", exchange.getRemoteAddress(), e.toString());
            answer = CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((done, error) -> send(exchange, done, error));
    }

    private CompletableFuture<HttpAnswer> answerFor(HttpExchange exchange) throws RejectedRequest, IOException {
        String path = exchange.getRequestURI().getRawPath();
        switch (path) {
            case ClicksEndpoint.PATH:
                return clicks.handle(exchange);
            case "/":
                requireGet(exchange);
                return CompletableFuture.completedFuture(HttpAnswer.html(demoPage));
            case "/health":
                requireGet(exchange);
                return CompletableFuture.completedFuture(HttpAnswer.json(200, healthBody()));
            default:
                ObjectNode body = HttpAnswer.errorBody("no such path: " + path + "; this server has GET /, GET /health"
                        + " and POST " + ClicksEndpoint.PATH);
                List.of("/", "/health", ClicksEndpoint.PATH).forEach(body.putArray("paths")::add);
                throw new RejectedRequest(HttpAnswer.json(404, body));
        }
    }

    private ObjectNode healthBody() {
        BrokerHealth.Status broker = health.current();
        ObjectNode body = ClickJson.mapper().createObjectNode()
                .put("status", "UP")
                .put("broker", broker.reachable() ? "reachable" : "unreachable")
                .put("bootstrap", config.bootstrap().address())
                .put("bootstrapSource", config.bootstrap().source())
                .put("topic", config.topic())
                .put("detail", broker.detail());
        if (!broker.reachable()) {
            body.put("hint", config.bootstrap().unreachableHint());
        }
        return body;
    }

    private static void requireGet(HttpExchange exchange) throws RejectedRequest {
        String method = exchange.getRequestMethod();
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            throw new RejectedRequest(HttpAnswer.error(405, method + " is not allowed on "
                    + exchange.getRequestURI().getRawPath() + ": use GET").withHeader("Allow", "GET, HEAD"));
        }
    }

    /** Ends an exchange with its answer; {@code null} means the client already has one (or is gone). */
    private void send(HttpExchange exchange, HttpAnswer answer, Throwable error) {
        try {
            if (error != null) {
                LOG.error("Unexpected failure answering {} {}", exchange.getRequestMethod(), exchange.getRequestURI(),
                        error);
                answer = HttpAnswer.error(500, "the server failed unexpectedly (" + error
                        + "): the click may not be stored; the server log has the details");
            }
            if (answer == null) {
                exchange.close();
            } else {
                answer.sendTo(exchange);
            }
        } catch (IOException e) {
            LOG.debug("Could not answer {}: {}", exchange.getRemoteAddress(), e.toString());
            exchange.close();
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void awaitAnswers(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (inFlight.get() > 0) {
            LOG.warn("{} request(s) still unanswered after {} s; closing their connections", inFlight.get(),
                    atMost.toSeconds());
        }
    }

    /** Says at start-up whether the broker answers, without making start-up wait for it. */
    private void checkBrokerInBackground() {
        Thread check = new Thread(() -> {
            BrokerHealth.Status broker = health.current();
            if (broker.reachable()) {
                LOG.info("Kafka answers: {}", broker.detail());
            } else {
                LOG.warn("{} ({})", config.bootstrap().unreachableHint(), broker.detail());
            }
        }, "web-broker-check");
        check.setDaemon(true);
        check.start();
    }

    private static byte[] readDemoPage() throws IOException {
        try (InputStream page = WebProducerApp.class.getResourceAsStream(DEMO_PAGE)) {
            if (page == null) {
                throw new IOException(DEMO_PAGE + " is missing from the classpath: rebuild the web module");
            }
            return page.readAllBytes();
        }
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            // The server's own dispatcher thread keeps the JVM alive; these must not keep it from exiting.
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * The JDK's server reads these once, when the JVM's first HttpServer is created (hence a static block);
     * a value given with -D on the command line wins.
     */
    private static void tuneJdkHttpServer() {
        // A request (headers and body) must arrive within 10 s, else its connection is closed. This is what frees
        // a worker held by a client that sends less than its Content-Length or trickles its headers; the
        // body-read deadline has answered 408 before that.
        setDefault("sun.net.httpserver.maxReqTime", "10");
        // A safety net only: an exchange unanswered for 30 s is closed (answers come within the delivery timeout).
        setDefault("sun.net.httpserver.maxRspTime", "30");
        // Answers leave at once instead of waiting for the client's delayed ACK (Nagle): up to 40 ms each otherwise.
        setDefault("sun.net.httpserver.nodelay", "true");
        // The JDK keeps at most 200 idle keep-alive connections and silently closes the rest, which a client sees as
        // a connection closed without an answer; a page behind a busy load balancer easily holds more.
        setDefault("sun.net.httpserver.maxIdleConnections", "1000");
    }

    private static void setDefault(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
