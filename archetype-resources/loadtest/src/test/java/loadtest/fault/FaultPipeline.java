package ${package}.loadtest.fault;

import ${package}.dev.BrokerSettings;
import ${package}.dev.LocalKafkaBroker;
#if( $sink == "postgres" )
import ${package}.consumer.postgres.PostgresSinkConfig;
import ${package}.dev.LocalPostgres;
#end
import ${package}.dev.process.ChildJvm;
import ${package}.loadtest.AppJvmOptions;
import ${package}.loadtest.ClickApps;
import ${package}.loadtest.SinkContents;
#if( $sink == "postgres" )
import ${package}.loadtest.postgres.TableContents;
#end
import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import ${package}.shared.ClickTopic;
import ${package}.shared.InvalidClickException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The pipeline a fault test breaks: a real broker ({@link LocalKafkaBroker}, killable and restartable on the
 * same data), the web producer and the consumer each in its own JVM (so they can get SIGTERM or SIGKILL),
 * configured through environment variables as a user runs them. Everything stops in {@link #close()}, and
 * the children stop on their own if the test JVM dies.
 */
final class FaultPipeline implements AutoCloseable {

    static final String TOPIC = "fault-clicks";
    static final String GROUP = "fault-consumer";

    final Path dir;
    final LocalKafkaBroker broker;
    private final List<Integer> webPorts = LocalKafkaBroker.freePorts(2, Set.of());
    final int webPort = webPorts.get(0);
    /** The web producer's management port: /metrics and the detailed /readyz. */
    final int webManagementPort = webPorts.get(1);
    ChildJvm web;
    ChildJvm consumer;
    private int consumerStarts;
    /** Every consumer started, stopped in {@link #close()} whether or not a test stopped it. */
    private final List<ChildJvm> consumers = new ArrayList<>();
    private int webStarts;

    private FaultPipeline(Path dir, LocalKafkaBroker broker) {
        this.dir = dir;
        this.broker = broker;
    }

    static FaultPipeline start(Path dir) throws IOException {
        return start(dir, LocalKafkaBroker.CLICK_TOPIC_PARTITIONS);
    }

    /**
     * With the topic's number of partitions chosen: a test of several consumers wants one or more each. The topic
     * and its dead-letter topic get a replica on every node, as the click-topics service creates them.
     */
    static FaultPipeline start(Path dir, int partitions) throws IOException {
        LocalKafkaBroker broker = LocalKafkaBroker.start(BrokerSettings.forTests(dir.resolve("broker")));
        broker.createTopics(partitions, broker.settings().replicationFactor(), TOPIC, ClickTopic.deadLetter(TOPIC));
        System.out.printf("%s: broker up in %d ms (%d node(s), pids %s)%n", caller(),
                broker.lastStartDuration().toMillis(), broker.nodeIds().size(), broker.pids());
        return new FaultPipeline(dir, broker);
    }

    /** Starts the web producer and waits for its first 202 (that click is not counted by any test). */
    ChildJvm startWeb() {
        return startWeb(Map.of());
    }

    /** The same, with further environment variables (trusted proxies, say). */
    ChildJvm startWeb(Map<String, String> environment) {
        return startWeb(environment, List.of());
    }

    /** The same, with JVM options after web/jvm.options' (a GC log, say: nothing that changes its bounds). */
    ChildJvm startWeb(Map<String, String> environment, List<String> moreJvmOptions) {
        webStarts++;
        List<String> options = new ArrayList<>(AppJvmOptions.web());
        options.addAll(moreJvmOptions);
        web = ClickApps.webProducer(broker.bootstrapServers(), TOPIC, webPort, webManagementPort)
                .jvmOptions(options)
                .environment(environment)
                .log(dir.resolve("web-producer-" + webStarts + ".log"))
                .start();
        long ready = ClickApps.awaitFirstAccepted(web, base(), Duration.ofSeconds(60));
        System.out.printf("%s: web producer ready in %d ms (pid %d)%n", caller(),
                (ready - web.startedNanos()) / 1_000_000, web.pid());
        return web;
    }

    /**
     * Starts the consumer with a fixed instance id (static membership), as the docs advise for a single
     * consumer: a restarted one gets its partitions back at once instead of after the dead one's session
     * timeout.
     */
    ChildJvm startConsumer() {
        consumer = startConsumer("fault-consumer-1", Map.of());
        return consumer;
    }

    /**
     * Another consumer of the group, with its own instance id and any further variables (a client properties file
     * with a shorter session timeout, say); with a database started, it stores there.
     */
    ChildJvm startConsumer(String instanceId, Map<String, String> environment) {
        consumerStarts++;
        Map<String, String> variables = new HashMap<>(environment);
        variables.put("CLICK_CONSUMER_INSTANCE_ID", instanceId);
#if( $sink == "postgres" )
        if (postgres != null) {
            variables.put("CLICK_SINK", "postgres");
            variables.put(PostgresSinkConfig.URL_ENV_VARIABLE, postgres.jdbcUrl());
            variables.put(PostgresSinkConfig.USER_ENV_VARIABLE, postgres.user());
            variables.put(PostgresSinkConfig.PASSWORD_ENV_VARIABLE, postgres.password());
        }
#end
        ChildJvm started = ClickApps.consumer(broker.bootstrapServers(), TOPIC, GROUP, sinkDir())
                .environment(variables)
                .log(dir.resolve("consumer-" + consumerStarts + ".log"))
                .start();
        consumers.add(started);
        return started;
    }
#if( $sink == "postgres" )

    /** The consumer's database, once {@link #startPostgres()} ran: consumers started after that store there. */
    LocalPostgres postgres;

    LocalPostgres startPostgres() throws IOException {
        // a test's @TempDir is rwx------; as root the server runs as nobody, who must pass through it
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        postgres = LocalPostgres.start(dir.resolve("postgres"), 0);
        return postgres;
    }

    /** What the clicks table holds of the test's topic. */
    TableContents table() {
        return TableContents.read(postgres.jdbcUrl(), postgres.user(), postgres.password(), TOPIC);
    }

    /** Waits until the table holds every one of {@code eventIds} (or the time is up); returns what it holds. */
    TableContents awaitInTable(Collection<String> eventIds, Duration timeout, ChildJvm... consumers) {
        long deadline = System.nanoTime() + timeout.toNanos();
        TableContents table = table();
        while (System.nanoTime() < deadline) {
            table = table();
            SinkContents current = table.sink();
            if (eventIds.stream().allMatch(id -> current.count(id) > 0)) {
                return table;
            }
            for (ChildJvm child : consumers) {
                if (!child.isAlive()) {
                    throw new AssertionError("a consumer died (exit code " + child.exitCode() + "); its log ends"
                            + " with:" + System.lineSeparator() + child.logTail(40));
                }
            }
            sleep(200);
        }
        return table;
    }
#end

    URI base() {
        return ClickApps.baseUri(webPort);
    }

    URI managementBase() {
        return ClickApps.baseUri(webManagementPort);
    }

    Path sinkDir() {
        return dir.resolve("sink");
    }

    SinkContents sink() {
        return SinkContents.read(sinkDir(), TOPIC);
    }

    /** Waits until the sink holds every one of {@code eventIds} (or the time is up); returns what it holds. */
    SinkContents awaitInSink(Collection<String> eventIds, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        SinkContents sink = sink();
        while (System.nanoTime() < deadline) {
            sink = sink();
            SinkContents current = sink;
            if (eventIds.stream().allMatch(id -> current.count(id) > 0)) {
                return sink;
            }
            if (consumer != null && !consumer.isAlive()) {
                throw new AssertionError("the consumer died (exit code " + consumer.exitCode() + "); its log ends with:"
                        + System.lineSeparator() + consumer.logTail(40));
            }
            sleep(200);
        }
        return sink;
    }

    /** How often each eventId is on the topic, read from the beginning with a consumer of no group. */
    Map<String, Integer> eventIdsOnTopic() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, Integer> counts = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> reader =
                     new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : reader.partitionsFor(TOPIC, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(TOPIC, info.partition()));
            }
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = reader.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> reader.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + TOPIC + " to its end within 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(500))) {
                    try {
                        ClickEvent click = ClickJson.fromBytes(record.value());
                        counts.merge(click.eventId().toString(), 1, Integer::sum);
                    } catch (InvalidClickException e) {
                        counts.merge("undecodable record at offset " + record.offset(), 1, Integer::sum);
                    }
                }
            }
        }
        return counts;
    }

    @Override
    public void close() {
        ChildJvm.closeAll(web, consumer);
        ChildJvm.closeAll(consumers.toArray(ChildJvm[]::new));
        broker.close();
#if( $sink == "postgres" )
        if (postgres != null) {
            postgres.close();
        }
#end
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String caller() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .map(StackWalker.StackFrame::getDeclaringClass)
                .filter(c -> c != FaultPipeline.class)
                .findFirst().map(Class::getSimpleName).orElse("fault test"));
    }
}
