package ${package}.dev;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A real Kafka broker (the {@code kafka_2.13} jar of the compose image's version) in a child JVM, in KRaft
 * combined mode, with the listener layout of {@code docker-compose.broker.yml}:
 *
 * <ul>
 *   <li>OUTSIDE, for clients on the host: bound on {@code bindHost:outsidePort}, advertised as
 *       {@code outsideHost:outsidePort};</li>
 *   <li>INSIDE, for "containers" and broker-to-broker traffic: bound on {@code bindHost:insidePort},
 *       advertised as {@code insideHost:insidePort}. Compose advertises {@code kafka}; on the host no such
 *       name resolves, so dev mode and tests advertise {@code localhost}, and a network-namespace test that
 *       maps {@code kafka} to the broker passes {@code kafka} ({@link Settings#withInsideHost});</li>
 *   <li>CONTROLLER, the KRaft quorum: never advertised; only this node talks to it, over loopback.</li>
 * </ul>
 *
 * <p>A child process, not an embedded broker, because the fault tests SIGKILL it ({@link #kill()}) and
 * restart it on the same data ({@link #restart()}), a network test runs it inside {@code ip netns exec}
 * ({@link Settings#withCommandPrefix}), and its Scala and server jars never mix with the apps' classpath.
 * The child ends itself when this JVM goes away, even after a SIGKILL (see {@link BrokerProcessMain}).
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

    /** Written by the build (maven-dependency-plugin build-classpath, see dev/pom.xml). */
    private static final String CLASSPATH_RESOURCE = "/local-kafka-broker.classpath";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Settings settings;
    private Process process;
    private Duration lastStartDuration = Duration.ZERO;

    private LocalKafkaBroker(Settings settings) {
        this.settings = settings;
    }

    /**
     * Formats the data directory if it is new, starts the broker and waits until it answers over OUTSIDE.
     *
     * @throws IllegalStateException if it does not become ready within {@link Settings#startTimeout()}; the
     *         message holds the end of the broker's log
     */
    public static LocalKafkaBroker start(Settings settings) throws IOException {
        LocalKafkaBroker broker = new LocalKafkaBroker(settings);
        broker.launchAndAwaitReady();
        return broker;
    }

    /** The OUTSIDE address, for clients on the host: what the apps' KAFKA_BOOTSTRAP_SERVERS would be. */
    public String bootstrapServers() {
        return settings.outsideHost() + ":" + settings.outsidePort();
    }

    /** The INSIDE address as advertised (reachable where {@link Settings#insideHost()} resolves). */
    public String insideBootstrapServers() {
        return settings.insideHost() + ":" + settings.insidePort();
    }

    public Settings settings() {
        return settings;
    }

    public Path logFile() {
        return settings.dataDir().resolve("broker.log");
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The child JVM's process id (inside a namespace too: {@code ip netns exec} keeps it). */
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
        if (process == null) {
            return;
        }
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            releaseParentPipe();
        }
    }

    /** SIGKILL, as a crash would: no controlled shutdown, no flush. Waits until the process is gone. */
    public synchronized void kill() {
        requireStarted();
        try {
            process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            releaseParentPipe();
        }
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
        Path log = logFile();
        if (!Files.exists(log)) {
            return "(no log at " + log + ")";
        }
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            long from = Math.max(0, length - 64 * 1024);
            byte[] bytes = new byte[(int) (length - from)];
            file.seek(from);
            file.readFully(bytes);
            List<String> all = new String(bytes, StandardCharsets.UTF_8).lines().toList();
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
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

    private Process launch() throws IOException {
        Path dataDir = settings.dataDir();
        Files.createDirectories(dataDir);
        Path serverProperties = dataDir.resolve("server.properties");
        Files.writeString(serverProperties, settings.serverProperties());
        // An argument file keeps the long classpath out of `ps` and out of command-length limits.
        Path jvmArguments = dataDir.resolve("broker.jvm-args");
        Files.writeString(jvmArguments, "-cp " + quoteForArgumentFile(brokerClasspath()) + System.lineSeparator());

        List<String> command = new ArrayList<>(settings.commandPrefix());
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + settings.maxHeap());
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.add("-Djava.awt.headless=true");
        // slf4j-simple writes to stderr, which goes to broker.log; these beat any simplelogger.properties.
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        command.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info");
        command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss.SSS");
        command.add("@" + jvmArguments);
        command.add(BrokerProcessMain.class.getName());
        command.add(serverProperties.toString());
        command.add(clusterId());

        Path log = logFile();
        Files.writeString(log, "---- starting broker at " + Instant.now() + ": " + String.join(" ", command)
                + System.lineSeparator(), StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                // stdin stays a pipe: BrokerProcessMain exits when it closes, i.e. when this JVM is gone
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
        String host = settings.outsideHost();
        int port = settings.outsidePort();
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
            throw new IllegalStateException("the Kafka broker exited with code " + process.exitValue()
                    + " while starting. Last lines of " + logFile() + ":" + System.lineSeparator() + logTail(30));
        }
    }

    private void failIfPast(Instant deadline, String what) {
        if (Instant.now().isAfter(deadline)) {
            process.destroyForcibly();
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

    private void releaseParentPipe() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // the child is gone; nothing left to release
        }
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

    /** The broker's jars as the build wrote them down, plus this module's classes (for BrokerProcessMain). */
    static String brokerClasspath() {
        String dependencies;
        try (InputStream in = LocalKafkaBroker.class.getResourceAsStream(CLASSPATH_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(CLASSPATH_RESOURCE + " is missing from the dev module's classpath:"
                        + " it is written by the build. Run the dev module through Maven (./mvnw -pl dev ...)"
                        + " or run ./mvnw install -DskipTests once before starting it from an IDE.");
            }
            dependencies = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + CLASSPATH_RESOURCE, e);
        }
        String ownClasses;
        try {
            ownClasses = Path.of(LocalKafkaBroker.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the dev module's own classes", e);
        }
        return ownClasses + java.io.File.pathSeparator + dependencies;
    }

    /** Java's @argfiles treat backslashes and quotes specially inside quotes (Windows paths, spaces). */
    private static String quoteForArgumentFile(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * Where and how the broker runs. Start from {@link #forTests} or {@link #forDevMode} and change what you
     * need with the {@code with...} methods.
     *
     * @param dataDir        the broker's data (log.dirs below it), its server.properties and broker.log
     * @param bindHost       the interface INSIDE and OUTSIDE bind: 127.0.0.1 keeps the broker off the network,
     *                       0.0.0.0 is what compose does inside the container
     * @param outsideHost    the host OUTSIDE advertises, as KAFKA_OUTSIDE_HOST does
     * @param insideHost     the host INSIDE advertises: {@code kafka} under compose; see the class comment
     * @param partitions     num.partitions, for topics created on first use
     * @param maxHeap        the child JVM's -Xmx (192m is the least that works: the log cleaner takes 128 MiB)
     * @param commandPrefix  words put before {@code java}, e.g. {@code ip netns exec kafka}; empty on the host
     * @param overrides      more broker settings, applied last (they win)
     * @param startTimeout   how long {@link #start} and {@link #restart} wait for the broker to answer
     */
    public record Settings(Path dataDir, String bindHost, String outsideHost, int outsidePort, String insideHost,
                           int insidePort, int controllerPort, int partitions, String maxHeap,
                           List<String> commandPrefix, Map<String, String> overrides, Duration startTimeout) {

        public Settings {
            dataDir = dataDir.toAbsolutePath();
            commandPrefix = List.copyOf(commandPrefix);
            overrides = Map.copyOf(overrides);
            Set<Integer> distinct = new LinkedHashSet<>(List.of(outsidePort, insidePort, controllerPort));
            if (distinct.size() != 3) {
                throw new IllegalArgumentException("the OUTSIDE, INSIDE and CONTROLLER ports must differ, got "
                        + outsidePort + ", " + insidePort + " and " + controllerPort);
            }
        }

        /**
         * Three free ports, loopback only, everything advertised as localhost: for tests. A killed broker's
         * registration lingers until its session times out (9 s by default) and its restart waits for that;
         * tests that kill it want 3 s.
         */
        public static Settings forTests(Path dataDir) {
            Set<Integer> ports = new LinkedHashSet<>();
            while (ports.size() < 3) {
                ports.add(freePort());
            }
            Integer[] p = ports.toArray(Integer[]::new);
            return new Settings(dataDir, "127.0.0.1", "localhost", p[0], "localhost", p[1], p[2], 3, "256m",
                    List.of(), Map.of("broker.session.timeout.ms", "3000", "broker.heartbeat.interval.ms", "500"),
                    Duration.ofSeconds(60));
        }

        /**
         * The generated ports, as docker-compose.broker.yml has them. OUTSIDE advertises the generated host;
         * INSIDE advertises localhost, since no {@code kafka} host exists outside compose. The broker binds
         * loopback only, as compose publishes OUTSIDE on 127.0.0.1, unless the advertised host is another
         * machine name: then it must bind every interface for that name to work.
         */
        public static Settings forDevMode(Path dataDir) {
            boolean loopback = OUTSIDE_HOST.equals("localhost") || OUTSIDE_HOST.startsWith("127.");
            return new Settings(dataDir, loopback ? "127.0.0.1" : "0.0.0.0", OUTSIDE_HOST, OUTSIDE_PORT,
                    "localhost", INSIDE_PORT, CONTROLLER_PORT, 3, "256m", List.of(), Map.of(),
                    Duration.ofSeconds(90));
        }

        public Settings withInsideHost(String host) {
            return new Settings(dataDir, bindHost, outsideHost, outsidePort, host, insidePort, controllerPort,
                    partitions, maxHeap, commandPrefix, overrides, startTimeout);
        }

        public Settings withOutsideHost(String host) {
            return new Settings(dataDir, bindHost, host, outsidePort, insideHost, insidePort, controllerPort,
                    partitions, maxHeap, commandPrefix, overrides, startTimeout);
        }

        public Settings withBindHost(String host) {
            return new Settings(dataDir, host, outsideHost, outsidePort, insideHost, insidePort, controllerPort,
                    partitions, maxHeap, commandPrefix, overrides, startTimeout);
        }

        public Settings withPorts(int outside, int inside, int controller) {
            return new Settings(dataDir, bindHost, outsideHost, outside, insideHost, inside, controller,
                    partitions, maxHeap, commandPrefix, overrides, startTimeout);
        }

        public Settings withMaxHeap(String heap) {
            return new Settings(dataDir, bindHost, outsideHost, outsidePort, insideHost, insidePort, controllerPort,
                    partitions, heap, commandPrefix, overrides, startTimeout);
        }

        public Settings withCommandPrefix(List<String> prefix) {
            return new Settings(dataDir, bindHost, outsideHost, outsidePort, insideHost, insidePort, controllerPort,
                    partitions, maxHeap, prefix, overrides, startTimeout);
        }

        public Settings withOverride(String key, String value) {
            Map<String, String> more = new LinkedHashMap<>(overrides);
            more.put(key, value);
            return new Settings(dataDir, bindHost, outsideHost, outsidePort, insideHost, insidePort, controllerPort,
                    partitions, maxHeap, commandPrefix, more, startTimeout);
        }

        public Settings withStartTimeout(Duration timeout) {
            return new Settings(dataDir, bindHost, outsideHost, outsidePort, insideHost, insidePort, controllerPort,
                    partitions, maxHeap, commandPrefix, overrides, timeout);
        }

        /** The broker's configuration: the settings of docker-compose.broker.yml, as server.properties. */
        public String serverProperties() {
            Map<String, String> config = new LinkedHashMap<>();
            config.put("process.roles", "broker,controller");
            config.put("node.id", "1");
            config.put("controller.quorum.voters", "1@localhost:" + controllerPort);
            config.put("controller.listener.names", "CONTROLLER");
            config.put("listeners", "INSIDE://" + bindHost + ":" + insidePort + ",OUTSIDE://" + bindHost + ":"
                    + outsidePort + ",CONTROLLER://localhost:" + controllerPort);
            config.put("advertised.listeners", "INSIDE://" + insideHost + ":" + insidePort + ",OUTSIDE://"
                    + outsideHost + ":" + outsidePort);
            config.put("listener.security.protocol.map", "INSIDE:PLAINTEXT,OUTSIDE:PLAINTEXT,CONTROLLER:PLAINTEXT");
            config.put("inter.broker.listener.name", "INSIDE");
            config.put("offsets.topic.replication.factor", "1");
            config.put("transaction.state.log.replication.factor", "1");
            config.put("transaction.state.log.min.isr", "1");
            config.put("share.coordinator.state.topic.replication.factor", "1");
            config.put("share.coordinator.state.topic.min.isr", "1");
            config.put("group.initial.rebalance.delay.ms", "0");
            config.put("num.partitions", String.valueOf(partitions));
            // forward slashes: a backslash is an escape character in .properties files
            config.put("log.dirs", dataDir.resolve("log").toString().replace('\\', '/'));
            config.putAll(new TreeMap<>(overrides));
            StringBuilder text = new StringBuilder("# written by LocalKafkaBroker at each start; edits are lost\n");
            config.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
            return text.toString();
        }
    }
}
