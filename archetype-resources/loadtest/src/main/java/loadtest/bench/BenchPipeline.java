package ${package}.loadtest.bench;

import ${package}.dev.BrokerSettings;
import ${package}.dev.LocalKafkaBroker;
#if( $sink == "postgres" )
import ${package}.dev.LocalPostgres;
#end
import ${package}.dev.process.ChildJvm;
import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickApps;
import ${package}.loadtest.ClickLoad;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * What the steps share: the options, the report they add to, the broker, the web producer and the consumer
 * under measurement (each started by the step that first needs it), and the numbering of the clicks sent.
 */
final class BenchPipeline implements AutoCloseable {

    static final String RAW_TOPIC = "bench-raw";
    static final String CLICK_TOPIC = "bench-clicks";
    static final String PATH = "/api/clicks";

    final BenchmarkOptions options;
    final BenchmarkReport report = new BenchmarkReport();
    /** The run's data: the broker's, the sink's, the apps' logs. */
    final Path work;
    final LocalKafkaBroker broker;
    ChildJvm web;
    int webPort;
    /** The web producer's management port: its /metrics. */
    int webManagementPort;
    ChildJvm consumer;
#if( $sink == "postgres" )
    /** The PostgreSQL sink's database, started by its catch-up step. */
    LocalPostgres postgres;
#end
    /** The next click's seq in steps 2 and 3. */
    private long sequence;

    private BenchPipeline(BenchmarkOptions options, Path work, LocalKafkaBroker broker) {
        this.options = options;
        this.work = work;
        this.broker = broker;
    }

    /** Starts the broker in {@code work}/broker and creates the topics (the click topic with its dead-letter topic). */
    static BenchPipeline start(BenchmarkOptions options, Path work) throws IOException {
        LocalKafkaBroker broker = LocalKafkaBroker.start(BrokerSettings.forTests(work.resolve("broker"))
                .withMaxHeap(options.brokerHeap));
        broker.createTopics(LocalKafkaBroker.CLICK_TOPIC_PARTITIONS, broker.settings().replicationFactor(), RAW_TOPIC);
        broker.createClickTopics(CLICK_TOPIC);
        return new BenchPipeline(options, work, broker);
    }

    URI webManagementBase() {
        return ClickApps.baseUri(webManagementPort);
    }

    URI webBase() {
        return ClickApps.baseUri(webPort);
    }

    /** A load generator on {@link #PATH} with the options' client. */
    ClickLoad load(URI base, int connections, ClickLoad.RequestSource source, ClickLoad.AnswerListener listener) {
        return new ClickLoad(base, PATH, connections, source, listener, options.client, 30_000);
    }

    /** Clicks numbered on from the last one sent, one or a batch per request. */
    ClickLoad.RequestSource clicks(int clicksPerRequest) {
        return seq -> {
            long first;
            synchronized (this) {
                first = sequence;
                sequence += clicksPerRequest;
            }
            return clicksPerRequest == 1 ? BenchClicks.single(first) : BenchClicks.batch(first, clicksPerRequest);
        };
    }

    /** Counts CPU from now for the broker, the apps that run, and this JVM. */
    CpuWindow cpuWindow() {
        CpuWindow window = new CpuWindow().add("broker",
                broker.pids().stream().map(pid -> ProcessHandle.of(pid).orElseThrow()).toList());
        if (web != null && web.isAlive()) {
            window.add("web", web.handle());
        }
        if (consumer != null && consumer.isAlive()) {
            window.add("consumer", consumer.handle());
        }
        return window.add("bench", ProcessHandle.current());
    }

    @Override
    public void close() {
        ChildJvm.closeAll(web, consumer);
        broker.close();
#if( $sink == "postgres" )
        if (postgres != null) {
            postgres.close();
        }
#end
    }
}
