package ${package}.loadtest.bench;

import ${package}.loadtest.ClickLoad;
import ${package}.loadtest.LatencyRecorder;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the steps measured, as rows, and the targets they were checked against; printed as two Markdown tables
 * (the README's sample run is one of them pasted). Also the cell formats the steps share.
 */
final class BenchmarkReport {

    /** The processes whose CPU each row shows, in the order of the CPU column. */
    static final List<String> PROCESSES = List.of("broker", "web", "consumer", "bench");

    /**
     * @param cores          CPU in cores (CPU seconds per second) per process name of {@link #PROCESSES}
     * @param cpuPerThousand the web producer's CPU per 1,000 clicks, where it applies
     */
    record Row(String step, String result, String latency, Map<String, Double> cores, String cpuPerThousand) {
        Row(String step, String result, String latency, Map<String, Double> cores) {
            this(step, result, latency, cores, "-");
        }
    }

    /** @param ratio the measured value over its reference or limit, so that rows sort by how close they came */
    record Target(String name, String measured, double ratio, boolean met) {
        static Target atLeast(String name, double value, double reference, double minimumRatio) {
            double ratio = value / reference;
            return new Target(name, String.format(Locale.ROOT, "%,.0f / %,.0f = %.0f%%", value, reference,
                    100 * ratio), ratio, ratio >= minimumRatio);
        }

        static Target atMost(String name, double value, double limit, String unit) {
            return new Target(name, String.format(Locale.ROOT, "%.2f %s (limit %s %s)", value, unit,
                    trim(limit), unit), limit == 0 ? value : value / limit, value <= limit);
        }

        private static String trim(double value) {
            return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<Target> targets = new ArrayList<>();

    void add(Row row) {
        rows.add(row);
    }

    void add(Target target) {
        targets.add(target);
    }

    long missedTargets() {
        return targets.stream().filter(t -> !t.met()).count();
    }

    /** Both tables, after a header naming the machine's cores, its load before and after, and the run's length. */
    String render(int cores, String loadBefore, String loadAfter, double seconds) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Click benchmark, %d cores, load average before %s, after %s; %.0f s in all%n",
                cores, loadBefore, loadAfter, seconds));
        out.append("CPU in cores (CPU seconds per second) of broker / web producer / consumer / benchmark"
                + " (load generator, raw producer, sink reader)").append(System.lineSeparator());
        out.append(System.lineSeparator());
        out.append("| step | result | latency p50 / p99 / max | CPU b / w / c / bench | web CPU per 1,000 clicks |")
                .append(System.lineSeparator());
        out.append("|---|---|---|---|---|").append(System.lineSeparator());
        for (Row row : rows) {
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", row.step(), row.result(),
                    row.latency(), cores(row.cores()), row.cpuPerThousand()));
        }
        out.append(System.lineSeparator());
        out.append("| target | measured | met |").append(System.lineSeparator());
        out.append("|---|---|---|").append(System.lineSeparator());
        targets.stream().sorted(Comparator.comparing(Target::name)).forEach(t -> out.append(String.format(
                Locale.ROOT, "| %s | %s | %s |%n", t.name(), t.measured(), t.met() ? "yes" : "NO")));
        return out.toString();
    }

    /** p50 / p99 / max, as the latency column shows them. */
    static String latency(LatencyRecorder.Summary summary) {
        return String.format(Locale.ROOT, "%.1f / %.1f / %.0f ms", summary.percentileMillis(50),
                summary.percentileMillis(99), summary.maxMillis());
    }

    /** Requests not answered 202, appended to a result; empty when there were none. */
    static String problems(ClickLoad.Result result) {
        long other = result.requests() - result.answered(202);
        if (other == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "; NOT 202: %d requests (statuses %s, %d I/O failures, first: %s)",
                other, result.statuses(), result.failures(), result.firstFailure());
    }

    /** Web producer CPU per 1,000 clicks: so a change that only moves work to another process still shows. */
    static String cpuPerThousand(Double webCores, double clicksPerSecond) {
        if (webCores == null || clicksPerSecond <= 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f ms", webCores * 1e6 / clicksPerSecond);
    }

    private static String cores(Map<String, Double> cores) {
        if (cores.isEmpty()) {
            return "-";
        }
        List<String> parts = new ArrayList<>();
        for (String name : PROCESSES) {
            Double value = cores.get(name);
            parts.add(value == null ? "-" : String.format(Locale.ROOT, "%.2f", value));
        }
        return String.join(" / ", parts);
    }
}
