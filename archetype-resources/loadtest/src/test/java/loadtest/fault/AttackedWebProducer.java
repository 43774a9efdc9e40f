package ${package}.loadtest.fault;

import ${package}.loadtest.BenchClicks;
import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.LoopbackClients;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the fault tests that attack the web producer share: their preconditions, and a warm-up. */
final class AttackedWebProducer {

    private static final Duration WARM_UP = Duration.ofSeconds(8);

    private AttackedWebProducer() {
    }

    /** Thousands of connections need as many file descriptors here (and in the web producer): say so plainly. */
    static void requireFileDescriptors(long needed) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            long limit = os.getMaxFileDescriptorCount();
            assertTrue(limit >= needed, "this test opens about " + needed + " connections and may have only " + limit
                    + " open files: raise the limit (ulimit -n " + needed + " or more) and run it again");
        }
    }

    /** The attacks come from many client addresses, and the real clicks from others: Linux's 127.0.0.0/8. */
    static void requireLoopbackClients() {
        assertTrue(LoopbackClients.available(), "this test needs connections from 127.0.0.2 and other loopback"
                + " addresses as distinct clients (Linux routes all of 127.0.0.0/8 to this machine; elsewhere add the"
                + " addresses to the loopback interface)");
    }

    /**
     * Starts the web producer with its GC log (for {@link WebProducerWatch}) and warms it up, after checking that
     * this machine lets the test open {@code connections} from many client addresses; returns the GC log.
     */
    static Path startWatchedWeb(FaultPipeline pipeline, Path dir, long connections, Map<String, String> environment) {
        requireFileDescriptors(connections + 500);
        requireLoopbackClients();
        Path gcLog = dir.resolve("web-gc.log");
        pipeline.startWeb(environment, List.of(WebProducerWatch.gcLogOption(gcLog)));
        warmUp(pipeline.base());
        return gcLog;
    }

    /** The web producer is alive, and nothing failed; else everything that did, with the end of its log. */
    static void assertSurvived(FaultPipeline pipeline, List<String> failures) {
        assertTrue(pipeline.web.isAlive(), "the web producer died; its log ends with:\n" + pipeline.web.logTail(30));
        assertTrue(failures.isEmpty(), String.join("\n", failures) + "\nweb producer log ends with:\n"
                + pipeline.web.logTail(20));
    }

    /**
     * Ordinary traffic first, single clicks then batches, as the benchmark does: a collector that faces abuse has
     * been serving, and its request path is compiled. Cold, the first seconds of an attack go to the JIT compiling
     * that path on saturated cores, and the slowest probes all fall in those seconds, whatever the edge does.
     */
    static void warmUp(URI base) {
        long started = System.nanoTime();
        AtomicLong sequence = new AtomicLong(3_000_000_000L);
        ClickLoad.AnswerListener ignore = (seq, response, due, sent, done) -> { };
        new ClickLoad(base, "/api/clicks", 32, seq -> BenchClicks.single(sequence.getAndIncrement()), ignore,
                ClickLoad.Client.SOCKET, 30_000).closedLoop(WARM_UP);
        new ClickLoad(base, "/api/clicks", 8, seq -> BenchClicks.batch(sequence.getAndAdd(100), 100), ignore,
                ClickLoad.Client.SOCKET, 30_000).closedLoop(WARM_UP);
        System.out.printf("web producer warmed up with single clicks and batches (%.0f s)%n",
                (System.nanoTime() - started) / 1e9);
    }
}
