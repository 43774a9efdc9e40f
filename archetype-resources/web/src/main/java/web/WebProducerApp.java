package ${package}.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The web producer: clicks come in over HTTP and go to the Kafka topic as JSON events. The Java counterpart
 * of the Django app's {@code utils/kafka.py}, on Netty ({@link ClickHttpServer}).
 *
 * <pre>
 * java @web/jvm.options -jar web/target/web.jar     (KAFKA_BOOTSTRAP_SERVERS, CLICK_TOPIC, WEB_PORT as needed)
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
 * curl http://localhost:${webManagementPort}/readyz        (the management port, on this machine only)
 * {"status":"READY","detail":"bootstrap ..., cluster ..., brokers ...; topic ...: 3 partitions, 3 with a leader"}
 * </pre>
 *
 * Open http://localhost:${webPort}/ for the demo page. The public port also answers {@code /livez} and a bare
 * {@code /readyz}; {@code /metrics} and the readiness detail are on the management port ({@link ManagementRoutes}).
 * Other answers: 413 for a body over 64 KiB, 415 for a content type other than JSON (or text/plain), 405 with
 * {@code Allow} for a wrong method, 404 for an unknown path, 408 for a request that does not arrive in time, 429
 * with {@code Retry-After} past a client's share, 503 with {@code Retry-After} when Kafka does not acknowledge
 * within about 5 s or the server is full. All of them are JSON {@code {"error": "..."}} naming the problem and the
 * fix; a 5xx also names an {@code incident}, the id of the log line that says what failed.
 */
public final class WebProducerApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebProducerApp.class);
    /**
     * The management port's bounds: a few scrapers and probes, never a crowd. Its own thread and bounds, so a
     * flood on the public port neither takes its connections nor delays its answers.
     */
    static final HttpLimits MANAGEMENT_LIMITS = new HttpLimits(64, 64, 1024, 1024 * 1024, Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(10));

    private final ClickPublisher publisher;
    private final BrokerReadiness readiness;
    private final InFlightClicks inFlight;
    private final ClicksEndpoint clicks;
    private final ExecutorService slowWork;
    private final ClickHttpServer server;
    private final ClickHttpServer management;
    private final AtomicBoolean closed = new AtomicBoolean();

    private WebProducerApp(ClickPublisher publisher, BrokerReadiness readiness, InFlightClicks inFlight,
                           ClicksEndpoint clicks, ExecutorService slowWork, ClickHttpServer server,
                           ClickHttpServer management) {
        this.publisher = publisher;
        this.readiness = readiness;
        this.inFlight = inFlight;
        this.clicks = clicks;
        this.slowWork = slowWork;
        this.server = server;
        this.management = management;
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
        LOG.info("{}", config.clientProperties().describe());
        // The Kafka producer is built on its own thread while the HTTP server starts: each takes a few hundred
        // milliseconds, mostly loading classes, and there are two cores.
        KafkaClickPublisher publisher = new KafkaClickPublisher(config.bootstrap(), config.clientProperties(),
                config.topic(), config.producerOverrides());
        BrokerReadiness readiness =
                BrokerReadiness.forKafka(config.bootstrap(), config.clientProperties(), config.topic());
        try {
            WebProducerApp app = start(config, publisher, readiness);
            try {
                publisher.awaitCreated();
            } catch (RuntimeException e) {
                app.close();
                throw e;
            }
            readiness.start();
            return app;
        } catch (RuntimeException e) {
            publisher.close();
            readiness.close();
            throw e;
        }
    }

    /** Starts the server with the given publisher and readiness (unit tests pass in-memory ones). */
    static WebProducerApp start(WebProducerConfig config, ClickPublisher publisher, BrokerReadiness readiness) {
        return start(config, publisher, readiness,
                InFlightClicks.forHeap(Runtime.getRuntime().maxMemory(), publisher.bufferMemory()));
    }

    /** The same, with the load-shedding bound of the caller's choice. */
    static WebProducerApp start(WebProducerConfig config, ClickPublisher publisher, BrokerReadiness readiness,
                                InFlightClicks inFlight) {
        AtomicInteger connections = new AtomicInteger();
        HttpLimits limits = config.limits();
        RequestMemory requestMemory = new RequestMemory(limits.requestMemoryBytes());
        ClientShares clients = ClientShares.of(limits, inFlight);
        Incidents incidents = new Incidents();
        WebMetrics metrics = new WebMetrics(inFlight::clicks, inFlight::bytes, connections::get, requestMemory,
                clients);
        RejectionLog rejections = new RejectionLog();
        ClicksEndpoint clicks = new ClicksEndpoint(publisher, inFlight, clients, metrics, rejections, incidents);
        ExecutorService slowWork = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "web-metrics");
            thread.setDaemon(true);
            return thread;
        });
        WebRoutes routes = new WebRoutes(clicks, config.allowedOrigins(), publisher, readiness, metrics, rejections);
        // The JVM's own metrics load a good part of java.management: registered off the start-up path.
        slowWork.execute(metrics::registerJvmMetrics);
        ClickConnection.Edge edge = new ClickConnection.Edge(limits, routes, metrics, new AtomicInteger(),
                requestMemory, clients, config.trustedProxies(), incidents);
        ClickConnection.Edge managementEdge = new ClickConnection.Edge(MANAGEMENT_LIMITS,
                new ManagementRoutes(publisher, readiness, metrics, slowWork), metrics, new AtomicInteger(),
                new RequestMemory(MANAGEMENT_LIMITS.requestMemoryBytes()),
                new ClientShares(MANAGEMENT_LIMITS.maxClientConnections(), 1, MANAGEMENT_LIMITS.requestMemoryBytes()),
                TrustedProxies.none(), incidents);
        ClickHttpServer server = null;
        ClickHttpServer management = null;
        WebProducerConfig.Management at = config.management();
        try {
            server = ClickHttpServer.start("web-http", new InetSocketAddress(config.port()),
                    Runtime.getRuntime().availableProcessors(), edge, connections);
            management = ClickHttpServer.start("web-management",
                    new InetSocketAddress(InetAddress.getByName(at.bindAddress()), at.port()), 1, managementEdge,
                    new AtomicInteger());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(server, slowWork);
            throw new IllegalStateException("interrupted while starting the HTTP server", e);
        } catch (Exception e) {
            // Netty rethrows a failed bind as the checked BindException, undeclared.
            closeQuietly(server, slowWork);
            boolean managementFailed = server != null;
            String variable = managementFailed ? WebProducerConfig.MANAGEMENT_PORT_VARIABLE
                    : WebProducerConfig.PORT_VARIABLE;
            int port = managementFailed ? at.port() : config.port();
            if (e instanceof BindException || e instanceof UnknownHostException) {
                throw new IllegalStateException((managementFailed ? "the management port " : "port ") + port
                        + (e instanceof UnknownHostException ? " cannot bind " + at.bindAddress() + " ("
                        + e.getMessage() + "): set " + WebProducerConfig.MANAGEMENT_BIND_VARIABLE + " to an address"
                        + " of this machine" : " is taken (" + e.getMessage() + "): stop what uses it, or set "
                        + variable + " to a free port"), e);
            }
            throw e instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException("could not start the HTTP server on port " + port, e);
        }
        WebProducerApp app = new WebProducerApp(publisher, readiness, inFlight, clicks, slowWork, server, management);
        LOG.info("Sending clicks to topic {}; demo page: {} (clicks: POST {}); at most {} clicks / {} KiB in flight,"
                        + " {} per client; {} KiB for unfinished requests, {} KiB per client", config.topic(),
                app.baseUri(), app.baseUri().resolve(ClicksEndpoint.PATH), inFlight.maxClicks(),
                inFlight.maxBytes() / 1024, clients.maxClicksInFlight(), requestMemory.budget() / 1024,
                clients.maxRequestBytes() / 1024);
        LOG.info("Management port (never publish it): ready: GET {}, metrics: GET {}",
                app.managementUri().resolve("/readyz"), app.managementUri().resolve("/metrics"));
        LOG.info("Tracker script: {}; pages of these origins may send clicks ({}): {}; own pages: {}; trusted proxies"
                        + " ({}): {}", app.baseUri().resolve(WebRoutes.TRACKER_SCRIPT), AllowedOrigins.VARIABLE,
                config.allowedOrigins(), config.allowedOrigins().publicOrigin()
                        .orElse("localhost, 127.0.0.1 and [::1] on port " + app.port()), TrustedProxies.VARIABLE,
                config.trustedProxies());
        return app;
    }

    private static void closeQuietly(ClickHttpServer server, ExecutorService slowWork) {
        if (server != null) {
            server.close();
        }
        slowWork.shutdownNow();
    }

    /** The port the server listens on (the chosen one when the config says 0). */
    public int port() {
        return server.port();
    }

    /** The port of /metrics and the detailed /readyz (the chosen one when the config says 0). */
    public int managementPort() {
        return management.port();
    }

    /** Where /metrics and the detailed /readyz are, for this machine. */
    public URI managementUri() {
        InetAddress bound = management.address().getAddress();
        String host = bound.isAnyLocalAddress() ? "127.0.0.1"
                : bound.getHostAddress().contains(":") ? "[" + bound.getHostAddress() + "]" : bound.getHostAddress();
        return URI.create("http://" + host + ":" + managementPort() + "/");
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
        LOG.info("Shutting down: no new clicks; waiting for Kafka to acknowledge the {} click(s) in flight"
                + " and for {} answer(s) to be written", inFlight.clicks(), server.unanswered());
        clicks.stopAccepting();
        try {
            server.stopListening();
            publisher.flush();
            awaitAnswers(publisher.deliveryTimeout().plusSeconds(1));
        } finally {
            server.close();
            management.close();
            slowWork.shutdownNow();
            publisher.close();
            readiness.close();
        }
        LOG.info("Web producer stopped");
    }

    /** Until every click read has its answer written (or the client is gone), for at most {@code atMost}. */
    private void awaitAnswers(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while ((inFlight.clicks() > 0 || server.unanswered() > 0) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (inFlight.clicks() > 0 || server.unanswered() > 0) {
            LOG.warn("{} click(s) still unacknowledged, {} answer(s) unwritten after {} s; closing their connections",
                    inFlight.clicks(), server.unanswered(), atMost.toSeconds());
        }
    }
}
