package ${package}.dev;

import ${package}.consumer.ClickConsumerApp;
import ${package}.consumer.ClickConsumerConfig;
#if( $sink == "postgres" )
import ${package}.consumer.postgres.PostgresClickSink;
import ${package}.consumer.postgres.PostgresSinkConfig;
#end
import ${package}.doctor.BootstrapServers;
import ${package}.web.WebProducerApp;
import ${package}.web.WebProducerConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;

#if( $sink == "postgres" )
import com.sun.security.auth.module.UnixSystem;
#end
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
#if( $sink == "postgres" )
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.HexFormat;
#end
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Dev mode: a real Kafka broker, the consumer and the web producer on this machine, no Docker; the
 * {@code runserver} of this project. Ctrl-C stops all three.
 *
 * <pre>./mvnw -q install -DskipTests &amp;&amp; ./mvnw -q -pl dev exec:java</pre>
 *
 * <p>The broker listens where docker-compose.broker.yml publishes it ({@link LocalKafkaBroker#OUTSIDE_PORT}
 * and the other generated ports; each node of a cluster on its own) and keeps its data in {@code data/kafka}, so
 * clicks survive a restart and the apps, CLI tools and an IDE reach it exactly as they reach the compose
 * broker. The apps run in this JVM and read the same environment variables as their jars (WEB_PORT, CLICK_TOPIC,
 * CLICK_DATA_DIR, CLICK_CONSUMER_GROUP), except KAFKA_BOOTSTRAP_SERVERS: they always use this broker.
 *
 * <p>Argument: the project's root directory (the exec configuration in dev/pom.xml passes it), where
 * {@code data/} goes; relative data directories are resolved against it.
 */
public final class DevMode {

#if( $sink == "postgres" )
    /** Dev mode's PostgreSQL listens where the compose file publishes it (-DpostgresPort), else on a free port. */
    private static final int POSTGRES_PORT = #if( $postgresPort == "none" )0#{else}${postgresPort}#end;

#end
    private final Deque<Runnable> stopInReverse = new ArrayDeque<>();

    private DevMode() {
    }

    public static void main(String[] args) {
        long started = System.nanoTime();
        // `mvn -q` quiets Maven by setting this property in the JVM that exec:java shares with the apps; it
        // would hide their log too. Without it, simplelogger.properties decides. Set before any logger exists.
        System.clearProperty("org.slf4j.simpleLogger.defaultLogLevel");
        Path projectDir = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        DevMode dev = new DevMode();
        Runtime.getRuntime().addShutdownHook(new Thread(dev::stop, "dev-mode-stop"));
        try {
            dev.start(projectDir, started);
        } catch (Exception e) {
            System.err.println();
            System.err.println("dev mode did not start: " + e.getMessage());
            dev.stop();
            System.exit(1);
        }
        // Run until Ctrl-C: the shutdown hook stops everything, whether or not the apps' threads are daemons.
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void start(Path projectDir, long started) throws Exception {
        Map<String, String> environment = System.getenv();
        if (environment.containsKey(BootstrapServers.ENV_VARIABLE)) {
            System.out.println("dev mode: ignoring " + BootstrapServers.ENV_VARIABLE + "="
                    + environment.get(BootstrapServers.ENV_VARIABLE) + "; the apps use dev mode's own broker");
        }
        BrokerSettings brokerSettings = BrokerSettings.forDevMode(projectDir.resolve("data/kafka"));
        WebProducerConfig webFromEnvironment = WebProducerConfig.fromEnvironment();
        ClickConsumerConfig consumerFromEnvironment = ClickConsumerConfig.fromEnvironment();
        for (int node = 1; node <= brokerSettings.nodes().size(); node++) {
            BrokerListeners listeners = brokerSettings.listeners(node);
            String of = brokerSettings.nodes().size() == 1 ? "the broker's " : "Kafka node " + node + "'s ";
            requireFreePort(listeners.bindHost(), listeners.outsidePort(), of + "OUTSIDE listener");
            requireFreePort(listeners.bindHost(), listeners.insidePort(), of + "INSIDE listener");
            requireFreePort("127.0.0.1", listeners.controllerPort(), of + "CONTROLLER listener");
        }
        requireFreePort("0.0.0.0", webFromEnvironment.port(), "the web producer (WEB_PORT)");
        requireFreePort(webFromEnvironment.management().bindAddress(), webFromEnvironment.management().port(),
                "the web producer's management port (WEB_MANAGEMENT_PORT)");

        System.out.println("dev mode: starting " + (LocalKafkaBroker.NODES == 1 ? "the Kafka broker"
                : "a Kafka cluster of " + LocalKafkaBroker.NODES + " nodes") + " (data in "
                + brokerSettings.dataDir() + ") ...");
        LocalKafkaBroker broker = LocalKafkaBroker.start(brokerSettings);
        stopInReverse.push(broker::stop);
        BootstrapServers bootstrap = new BootstrapServers(broker.bootstrapServers(), "dev mode's own broker");
        String topic = consumerFromEnvironment.topic();
        // Created on purpose, as the compose file's click-topics service does: automatic creation is off.
        broker.createClickTopics(topic);

        Path sinkDir = projectDir.resolve(consumerFromEnvironment.dataDir());
        // After a kill -9 of dev mode the group still holds the dead consumer until its session times out, and
        // the next start gets no partitions until then: 10 s instead of the default 45 s.
        Map<String, Object> consumerOverrides = new HashMap<>(consumerFromEnvironment.consumerOverrides());
        consumerOverrides.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        ClickConsumerConfig consumerConfig = new ClickConsumerConfig(bootstrap, topic,
                consumerFromEnvironment.groupId(), sinkDir, consumerOverrides);
#if( $sink == "postgres" )
        // The clicks table in a PostgreSQL of its own (data/postgres), as the compose file's postgres service;
        // CLICK_SINK=jsonl writes files instead, as a jsonl project does.
        boolean toPostgres = !"jsonl".equals(environment.getOrDefault("CLICK_SINK", "postgres").trim());
        String where;
        ClickConsumerApp consumer;
        if (toPostgres) {
            Path postgresData = postgresDataDir(projectDir);
            System.out.println("dev mode: starting PostgreSQL (data in " + postgresData + ") ...");
            LocalPostgres postgres = LocalPostgres.start(postgresData, POSTGRES_PORT);
            stopInReverse.push(postgres::close);
            PostgresSinkConfig database = PostgresSinkConfig.resolve(Map.of(
                    PostgresSinkConfig.URL_ENV_VARIABLE, postgres.jdbcUrl(),
                    PostgresSinkConfig.USER_ENV_VARIABLE, postgres.user(),
                    PostgresSinkConfig.PASSWORD_ENV_VARIABLE, postgres.password(),
                    PostgresSinkConfig.RETENTION_ENV_VARIABLE,
                    environment.getOrDefault(PostgresSinkConfig.RETENTION_ENV_VARIABLE, "")));
            consumer = ClickConsumerApp.start(consumerConfig, PostgresClickSink.open(database));
            // the password is in a file beside the data, not on the screen (nor in a terminal's scrollback)
            where = "clicks table  psql -h 127.0.0.1 -p " + postgres.port() + " -U " + postgres.user() + " "
                    + postgres.database() + "   (its password: " + postgresData.resolve("password") + ")";
        } else {
            consumer = ClickConsumerApp.start(consumerConfig);
            where = "sink files    " + sinkDir.resolve(topic).resolve("dt=<day>/hour=<hour>/" + topic + "-<partition>-<first offset>.jsonl");
        }
#else
        ClickConsumerApp consumer = ClickConsumerApp.start(consumerConfig);
        String where = "sink files    " + sinkDir.resolve(topic).resolve("dt=<day>/hour=<hour>/" + topic + "-<partition>-<first offset>.jsonl");
#end
        stopInReverse.push(() -> closeApp("consumer", consumer::close));

        WebProducerApp web = WebProducerApp.start(webFromEnvironment.withPlainTextBroker(bootstrap));
        stopInReverse.push(() -> closeApp("web producer", web::close));

        double seconds = (System.nanoTime() - started) / 1e9;
        String base = web.baseUri().toString().replaceAll("/$", "");
        String management = web.managementUri().toString().replaceAll("/$", "");
        System.out.printf(Locale.ROOT, """

                dev mode is up in %.1f s (broker %.1f s):
                  demo page     %s/
                  clicks API    curl -i -H 'Content-Type: application/json' -d '{"itemId":"movie-1","userId":"alice"}' %s/api/clicks
                  ready         %s/readyz   (the management port: this machine only)
                  metrics       %s/metrics
                  Kafka         %s (OUTSIDE, for the host), INSIDE advertised as %s; topic %s (%d partitions, %d replicas)
                  broker log    %s
                  %s
                Ctrl-C stops everything.

                """, seconds, broker.lastStartDuration().toMillis() / 1e3, base, base, management, management,
                broker.bootstrapServers(), broker.insideBootstrapServers(), topic,
                LocalKafkaBroker.CLICK_TOPIC_PARTITIONS, brokerSettings.replicationFactor(),
                broker.logFiles().stream().map(Path::toString).collect(Collectors.joining(", ")), where);
    }

#if( $sink == "postgres" )
    /**
     * data/postgres, except when dev mode runs as root with the project in a directory others cannot enter (under
     * /root, say): PostgreSQL refuses root and runs as nobody (see {@link LocalPostgres}), who could not reach it.
     * Then a directory of this project's own under /var/tmp, kept across runs as data/postgres would be.
     */
    private static Path postgresDataDir(Path projectDir) throws Exception {
        Path preferred = projectDir.resolve("data/postgres");
        if (new UnixSystem().getUid() != 0) {
            return preferred;
        }
        for (Path dir = projectDir; dir != null; dir = dir.getParent()) {
            if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                String key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(projectDir.toString().getBytes(StandardCharsets.UTF_8)), 0, 6);
                Path fallback = Path.of("/var/tmp", "${artifactId}-dev-postgres-" + key);
                System.out.println("dev mode: running as root, so PostgreSQL runs as nobody, who cannot enter " + dir
                        + ": its data goes to " + fallback + " instead of " + preferred);
                return fallback;
            }
        }
        return preferred;
    }

#end
    /** Web producer first (it flushes what it accepted), then the consumer, then the broker. */
    private synchronized void stop() {
        if (stopInReverse.isEmpty()) {
            return;
        }
        System.out.println("dev mode: stopping ...");
        while (!stopInReverse.isEmpty()) {
            stopInReverse.pop().run();
        }
        System.out.println("dev mode: stopped");
    }

    private static void closeApp(String name, AppClose close) {
        try {
            close.run();
        } catch (Exception e) {
            System.err.println("dev mode: closing the " + name + " failed: " + e);
        }
    }

    /** A port already taken would otherwise show up as a broker that dies or an app that cannot bind. */
    private static void requireFreePort(String host, int port, String what) throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw new IOException("port " + port + " (" + what + ") is in use. Is the compose broker up"
                    + " (docker compose -f docker-compose.broker.yml down stops it), or another dev mode or app"
                    + " running? Stop it, or pick other ports when generating the project.", e);
        }
    }

    @FunctionalInterface
    private interface AppClose {
        void run() throws Exception;
    }
}
