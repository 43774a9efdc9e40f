package ${package}.loadtest.bench;

import ${package}.loadtest.AppJvmOptions;
import ${package}.loadtest.ClickLoad;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** The benchmark's command-line options; every default is what the README's sample run used. */
final class BenchmarkOptions {

    static final String USAGE = "Arguments: --quick --keep --no-cds --dir=PATH --broker-heap=512m"
            + " --web-jvm=-Xmx64m (repeat per option) --consumer-jvm=... --client=socket|jdk"
            + " --single-connections=32,256 --batch-connections=16,32 --seconds=10";

    boolean quick;
    boolean keep;
    /** As web/Dockerfile: the web producer starts with a class data sharing archive (--no-cds: without). */
    boolean classDataSharing = true;
    Path workDir;
    /** True for the default under the project's target/: left-overs of an earlier run are deleted. */
    boolean workDirIsOurs;
    /** More than the tests' broker gets ({@code BrokerSettings.DEFAULT_MAX_HEAP}): it takes millions of records. */
    String brokerHeap = "512m";
    long warmupRecords = 2_000_000;
    long rawRecords = 1_000_000;
    Duration httpWarmup = Duration.ofSeconds(5);
    /** Before the first HTTP step: long enough for the JIT to compile the request path. */
    Duration jitWarmup = Duration.ofSeconds(20);
    Duration httpRun = Duration.ofSeconds(10);
    int[] singleConnections = {32, 256};
    int[] batchConnections = {16, 32};
    int batchSize = 100;
    double e2eRate = 2_000;
    /** Several times the connections the rate keeps busy (rate x time per request), so none waits for one. */
    int e2eConnections = 64;
    Duration e2eDuration = Duration.ofSeconds(20);
    ClickLoad.Client client = ClickLoad.Client.SOCKET;
    /** One JVM option per --web-jvm= (so options may hold commas, as -XX:StartFlightRecording does). */
    final List<String> webJvm = new ArrayList<>();
    final List<String> consumerJvm = new ArrayList<>();

    /** @throws IllegalArgumentException for an argument it does not know, naming it */
    static BenchmarkOptions parse(String... args) {
        BenchmarkOptions o = new BenchmarkOptions();
        for (String arg : args) {
            String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : "";
            if (arg.equals("--quick")) {
                o.quick = true;
                o.warmupRecords = 200_000;
                o.rawRecords = 200_000;
                o.httpWarmup = Duration.ofSeconds(2);
                o.jitWarmup = Duration.ofSeconds(4);
                o.httpRun = Duration.ofSeconds(3);
                o.singleConnections = new int[] {32};
                o.batchConnections = new int[] {16};
                o.e2eDuration = Duration.ofSeconds(5);
            } else if (arg.equals("--no-cds")) {
                o.classDataSharing = false;
            } else if (arg.equals("--keep")) {
                o.keep = true;
            } else if (arg.startsWith("--dir=")) {
                o.workDir = Path.of(value);
            } else if (arg.startsWith("--broker-heap=")) {
                o.brokerHeap = value;
            } else if (arg.startsWith("--web-jvm=")) {
                o.webJvm.add(value);
            } else if (arg.startsWith("--consumer-jvm=")) {
                o.consumerJvm.add(value);
            } else if (arg.startsWith("--client=")) {
                o.client = ClickLoad.Client.valueOf(value.toUpperCase(Locale.ROOT));
            } else if (arg.startsWith("--single-connections=")) {
                o.singleConnections = counts(value);
            } else if (arg.startsWith("--batch-connections=")) {
                o.batchConnections = counts(value);
            } else if (arg.startsWith("--seconds=")) {
                o.httpRun = Duration.ofSeconds(Long.parseLong(value));
            } else if (!arg.startsWith("-") && Files.isDirectory(Path.of(arg)) && o.workDir == null) {
                // a project root given by a caller: the data goes to its target/, as the build's own output does
                o.workDir = Path.of(arg, "target", "click-benchmark");
                o.workDirIsOurs = true;
            } else {
                throw new IllegalArgumentException("unknown argument '" + arg + "'. " + USAGE);
            }
        }
        return o;
    }

    /**
     * The web producer's JVM options: those given with --web-jvm, or else the ones it ships with
     * (web/jvm.options, which the image and the README use), so the benchmark measures what is shipped.
     */
    List<String> webJvmOptions() {
        return webJvm.isEmpty() ? AppJvmOptions.web() : List.copyOf(webJvm);
    }

    /** As {@link #webJvmOptions()}, for the consumer (consumer/jvm.options). */
    List<String> consumerJvmOptions() {
        return consumerJvm.isEmpty() ? AppJvmOptions.consumer() : List.copyOf(consumerJvm);
    }

    private static int[] counts(String commaSeparated) {
        return Stream.of(commaSeparated.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
