package ${package}.dev;

import ${package}.dev.process.ChildJvm;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A real Kafka broker (the {@code kafka_2.13} jar of the compose image's version) in a child JVM, in KRaft
 * combined mode, with the listener layout of {@code docker-compose.broker.yml} ({@link BrokerListeners}).
 *
 * <p>A child process, not an embedded broker, because the fault tests SIGKILL it ({@link #kill()}) and
 * restart it on the same data ({@link #restart()}), and its Scala and server classes never mix with the apps
 * that dev mode runs in its own JVM. The child ends itself when this JVM goes away, even after a SIGKILL (see
 * {@link ${package}.dev.process.ParentWatchedMain}).
 *
 * <p>Its log goes to {@code <dataDir>/broker.log}; failures to start quote the end of it.
 */
public final class LocalKafkaBroker implements AutoCloseable {

    /** The ports chosen when this project was generated, the same as in .env. */
    public static final int OUTSIDE_PORT = ${kafkaOutsidePort};
    public static final int INSIDE_PORT = ${kafkaInsidePort};
    public static final int CONTROLLER_PORT = ${kafkaControllerPort};
    /** The host the OUTSIDE listener advertises, the same as KAFKA_OUTSIDE_HOST in .env. */
    public static final String OUTSIDE_HOST = "${kafkaOutsideHost}";

    /** Kafka's controlled shutdown moves leadership and flushes; it needs longer than an app's flush. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final BrokerSettings settings;
    private ChildJvm process;
    private Duration lastStartDuration = Duration.ZERO;

    private LocalKafkaBroker(BrokerSettings settings) {
        this.settings = settings;
    }

    /**
     * Formats the data directory if it is new, starts the broker and waits until it answers over OUTSIDE.
     *
     * @throws IllegalStateException if it does not become ready within {@link BrokerSettings#startTimeout()}; the
     *         message holds the end of the broker's log
     */
    public static LocalKafkaBroker start(BrokerSettings settings) throws IOException {
        LocalKafkaBroker broker = new LocalKafkaBroker(settings);
        broker.launchAndAwaitReady();
        return broker;
    }

    /** The OUTSIDE address, for clients on the host: what the apps' KAFKA_BOOTSTRAP_SERVERS would be. */
    public String bootstrapServers() {
        return settings.listeners().outsideAddress();
    }

    /** The INSIDE address as advertised (reachable where {@link BrokerListeners#insideHost()} resolves). */
    public String insideBootstrapServers() {
        return settings.listeners().insideAddress();
    }

    public BrokerSettings settings() {
        return settings;
    }

    public Path logFile() {
        return settings.dataDir().resolve("broker.log");
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The child JVM's process id. */
    public synchronized long pid() {
        requireStarted();
        return process.pid();
    }

    /** From launching the child JVM to the broker answering, for the last (re)start. */
    public synchronized Duration lastStartDuration() {
        return lastStartDuration;
    }

    /** Creates topics with one replica each; topics that exist already are left as they are. */
    public void createTopics(int partitions, String... topics) {
        try (Admin admin = Admin.create(adminProperties())) {
            List<NewTopic> newTopics = Arrays.stream(topics).map(t -> new NewTopic(t, partitions, (short) 1)).toList();
            for (var result : admin.createTopics(newTopics).values().entrySet()) {
                try {
                    result.getValue().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("could not create topic " + result.getKey() + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("creating topics took more than 30 s; see " + logFile(), e);
        }
    }

    /** SIGTERM, then up to 30 s for Kafka's controlled shutdown, then SIGKILL. Does nothing if stopped. */
    public synchronized void stop() {
        if (process != null) {
            process.stop(STOP_TIMEOUT);
        }
    }

    /** SIGKILL, as a crash would: no controlled shutdown, no flush. Waits until the process is gone. */
    public synchronized void kill() {
        requireStarted();
        process.sigkill();
    }

    /**
     * Starts the broker again on the same data directory and ports (stopping it first if it runs), and waits
     * until it answers. After {@link #kill()} this includes Kafka's log recovery.
     */
    public synchronized void restart() throws IOException {
        stop();
        launchAndAwaitReady();
    }

    @Override
    public void close() {
        stop();
    }

    /** The last lines of the broker's log, for error messages. */
    public String logTail(int lines) {
        return process == null ? "(the broker was never started)" : process.logTail(lines);
    }

    /** A port nobody listens on right now, for tests. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free local port", e);
        }
    }

    private synchronized void launchAndAwaitReady() throws IOException {
        Instant started = Instant.now();
        process = launch();
        awaitReady(started.plus(settings.startTimeout()));
        lastStartDuration = Duration.between(started, Instant.now());
    }

    private ChildJvm launch() throws IOException {
        Path dataDir = settings.dataDir();
        Files.createDirectories(dataDir);
        Path serverProperties = dataDir.resolve("server.properties");
        Files.writeString(serverProperties, settings.serverProperties());
        return ChildJvm.of("Kafka broker", BrokerProcessMain.class.getName())
                .arguments(serverProperties.toString(), clusterId())
                .jvmOptions(List.of("-Xmx" + settings.maxHeap(), "-XX:+ExitOnOutOfMemoryError",
                        "-Djava.awt.headless=true",
                        // slf4j-simple writes to stderr, which goes to broker.log; these beat simplelogger.properties
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                        "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info",
                        "-Dorg.slf4j.simpleLogger.showDateTime=true",
                        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss.SSS"))
                .log(logFile())
                .start();
    }

    /**
     * The id the data directory was formatted with, or a new one for a new directory: formatting checks it
     * even with --ignore-formatted, so a second run on the same data must pass the same id.
     */
    private String clusterId() throws IOException {
        Path meta = settings.dataDir().resolve("log").resolve("meta.properties");
        if (Files.exists(meta)) {
            Properties properties = new Properties();
            try (InputStream in = Files.newInputStream(meta)) {
                properties.load(in);
            }
            String id = properties.getProperty("cluster.id");
            if (id != null && !id.isBlank()) {
                return id.trim();
            }
        }
        return Uuid.randomUuid().toString();
    }

    /** First the OUTSIDE port opens (checked quietly), then the broker must answer a metadata request. */
    private void awaitReady(Instant deadline) {
        String host = settings.listeners().outsideHost();
        int port = settings.listeners().outsidePort();
        while (!canConnect(host, port)) {
            failIfExited();
            failIfPast(deadline, "its OUTSIDE port " + host + ":" + port + " did not open");
            pause(100);
        }
        Throwable lastError = null;
        try (Admin admin = Admin.create(adminProperties())) {
            while (true) {
                failIfExited();
                try {
                    if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(2_000)).nodes()
                            .get().isEmpty()) {
                        return;
                    }
                } catch (ExecutionException e) {
                    lastError = e.getCause();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the broker", e);
                }
                failIfPast(deadline, "it did not answer over OUTSIDE (" + bootstrapServers() + ")"
                        + (lastError == null ? "" : ": " + lastError));
                pause(100);
            }
        }
    }

    private void failIfExited() {
        if (!process.isAlive()) {
            throw new IllegalStateException("the Kafka broker exited with code " + process.exitCode()
                    + " while starting. Last lines of " + logFile() + ":" + System.lineSeparator() + logTail(30));
        }
    }

    private void failIfPast(Instant deadline, String what) {
        if (Instant.now().isAfter(deadline)) {
            process.sigkill();
            throw new IllegalStateException("the Kafka broker was not ready within "
                    + settings.startTimeout().toSeconds() + " s: " + what + ". Last lines of " + logFile() + ":"
                    + System.lineSeparator() + logTail(30));
        }
    }

    private static boolean canConnect(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Properties adminProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "local-kafka-broker");
        // short timeouts: a broker that does not answer is an error to report, not a reason to hang
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return props;
    }

    private void requireStarted() {
        if (process == null) {
            throw new IllegalStateException("the broker was never started");
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
    }
}
