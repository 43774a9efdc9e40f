package ${package}.loadtest;

import ${package}.dev.LocalKafkaBroker;
import ${package}.dev.process.ChildJvm;
import ${package}.web.WebProducerApp;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The web producer and the consumer as their own JVMs, configured only through the environment variables a
 * user sets (KAFKA_BOOTSTRAP_SERVERS, CLICK_TOPIC, WEB_PORT, WEB_MANAGEMENT_PORT, CLICK_DATA_DIR,
 * CLICK_CONSUMER_GROUP, CONSUMER_PORT) and with the JVM options they ship with ({@link AppJvmOptions}). Callers add what differs and
 * a log file, and start them.
 */
public final class ClickApps {

    /** By name: the consumer's classes are needed only in the child JVM, never in this one. */
    private static final String CONSUMER_MAIN = "${package}.consumer.ClickConsumerApp";

    private ClickApps() {
    }

    /** With its management port on a free port of its own, so that runs side by side (and dev mode) do not collide. */
    public static ChildJvm.Launch webProducer(String bootstrapServers, String topic, int port) {
        return webProducer(bootstrapServers, topic, port, LocalKafkaBroker.freePorts(1, Set.of(port)).get(0));
    }

    public static ChildJvm.Launch webProducer(String bootstrapServers, String topic, int port, int managementPort) {
        return ChildJvm.of("web producer", WebProducerApp.class.getName())
                .jvmOptions(AppJvmOptions.web())
                .environment(Map.of(
                        "KAFKA_BOOTSTRAP_SERVERS", bootstrapServers,
                        "CLICK_TOPIC", topic,
                        "WEB_PORT", Integer.toString(port),
                        "WEB_MANAGEMENT_PORT", Integer.toString(managementPort)));
    }

    public static ChildJvm.Launch consumer(String bootstrapServers, String topic, String group, Path dataDir) {
        return ChildJvm.of("consumer", CONSUMER_MAIN)
                .jvmOptions(AppJvmOptions.consumer())
                .environment(Map.of(
                        "KAFKA_BOOTSTRAP_SERVERS", bootstrapServers,
                        "CLICK_TOPIC", topic,
                        "CLICK_CONSUMER_GROUP", group,
                        "CLICK_DATA_DIR", dataDir.toString(),
                        // the files in dataDir, whichever sink the project was generated with; callers may change it
                        "CLICK_SINK", "jsonl",
                        // a free port for its status server, so runs side by side (and dev mode) do not collide
                        "CONSUMER_PORT", Integer.toString(LocalKafkaBroker.freePort())));
    }

    public static URI baseUri(int port) {
        return URI.create("http://127.0.0.1:" + port);
    }

    /**
     * POSTs one click every 5 ms until one is answered 202, and returns {@link System#nanoTime()} of that
     * answer: the web producer's "ready" moment as a user sees it (HTTP up and the broker reached).
     */
    public static long awaitFirstAccepted(ChildJvm web, URI base, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] click = BenchClicks.single(0);
        String last = "no answer yet";
        try (HttpExchange exchange = new HttpExchange(base, 5_000)) {
            while (System.nanoTime() < deadline) {
                if (!web.isAlive()) {
                    throw new IllegalStateException("the " + web.name() + " exited with code " + web.exitCode()
                            + " while starting; its log ends with:" + System.lineSeparator() + web.logTail(30));
                }
                try {
                    HttpExchange.Response response = exchange.postJson("/api/clicks", click);
                    if (response.status() == 202) {
                        return System.nanoTime();
                    }
                    last = response.status() + " " + response.bodyText();
                } catch (IOException e) {
                    last = e.toString();
                }
                sleepMillis(5);
            }
        }
        throw new IllegalStateException("the " + web.name() + " gave no 202 within " + timeout.toSeconds()
                + " s (last: " + last + "); its log ends with:" + System.lineSeparator() + web.logTail(30));
    }

    public static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
