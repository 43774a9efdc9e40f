package ${package}.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
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
 * curl http://localhost:${webPort}/readyz
 * {"status":"READY","detail":"bootstrap ..., cluster ..., brokers ...; topic ...: 3 partitions, 3 with a leader"}
 * </pre>
 *
 * Open http://localhost:${webPort}/ for the demo page; {@code /livez}, {@code /readyz} and {@code /metrics} are
 * for operators ({@link WebRoutes}). Other answers: 413 for a body over 64 KiB, 415 for a content type other
 * than JSON (or text/plain), 405 with {@code Allow} for a wrong method, 404 for an unknown path, 408 for a
 * request that does not arrive in time, 503 with {@code Retry-After} when Kafka does not acknowledge within
 * about 5 s or too many clicks are in flight. All of them are JSON {@code {"error": "..."}} naming the problem
 * and the fix.
 */
public final class WebProducerApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebProducerApp.class);

    private final ClickPublisher publisher;
    private final BrokerReadiness readiness;
    private final InFlightClicks inFlight;
    private final ClicksEndpoint clicks;
    private final ExecutorService slowWork;
    private final ClickHttpServer server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private WebProducerApp(ClickPublisher publisher, BrokerReadiness readiness, InFlightClicks inFlight,
                           ClicksEndpoint clicks, ExecutorService slowWork, ClickHttpServer server) {
        this.publisher = publisher;
        this.readiness = readiness;
        this.inFlight = inFlight;
        this.clicks = clicks;
        this.slowWork = slowWork;
        this.server = server;
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
        WebMetrics metrics = new WebMetrics(inFlight::clicks, inFlight::bytes, connections::get);
        RejectionLog rejections = new RejectionLog();
        ClicksEndpoint clicks = new ClicksEndpoint(publisher, inFlight, metrics, rejections);
        ExecutorService slowWork = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "web-metrics");
            thread.setDaemon(true);
            return thread;
        });
        WebRoutes routes = new WebRoutes(clicks, config.allowedOrigins(), publisher, readiness, metrics, rejections,
                slowWork);
        // The JVM's own metrics load a good part of java.management: registered off the start-up path.
        slowWork.execute(metrics::registerJvmMetrics);
        ClickHttpServer server;
        try {
            server = ClickHttpServer.start(config.port(), config.limits(), routes, metrics, connections);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            slowWork.shutdownNow();
            throw new IllegalStateException("interrupted while starting the HTTP server", e);
        } catch (Exception e) {
            // Netty rethrows a failed bind as the checked BindException, undeclared.
            slowWork.shutdownNow();
            if (e instanceof BindException) {
                throw new IllegalStateException("port " + config.port() + " is taken (" + e.getMessage() + "): stop"
                        + " what uses it, or set " + WebProducerConfig.PORT_VARIABLE + " to a free port", e);
            }
            throw e instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException("could not start the HTTP server on port " + config.port(), e);
        }
        WebProducerApp app = new WebProducerApp(publisher, readiness, inFlight, clicks, slowWork, server);
        LOG.info("Sending clicks to topic {}; demo page: {} (clicks: POST {}, ready: GET {}, metrics: GET {});"
                        + " at most {} clicks / {} KiB in flight", config.topic(), app.baseUri(),
                app.baseUri().resolve(ClicksEndpoint.PATH), app.baseUri().resolve("/readyz"),
                app.baseUri().resolve("/metrics"), inFlight.maxClicks(), inFlight.maxBytes() / 1024);
        LOG.info("Tracker script: {}; pages of these origins may send clicks ({}): {}",
                app.baseUri().resolve(WebRoutes.TRACKER_SCRIPT), AllowedOrigins.VARIABLE, config.allowedOrigins());
        return app;
    }

    /** The port the server listens on (the chosen one when the config says 0). */
    public int port() {
        return server.port();
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
