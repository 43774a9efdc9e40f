package ${package}.loadtest.bench;

import ${package}.loadtest.ProcessStats;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU used by each process between this window's opening and {@link #close()}, in cores (CPU seconds per
 * second): what one row of the report shows next to its figure.
 */
final class CpuWindow {

    private final long started = System.nanoTime();
    private final Map<String, ProcessHandle> processes = new LinkedHashMap<>();
    private final Map<String, ProcessStats> before = new HashMap<>();

    /** Starts counting for {@code process} under {@code name} (one of {@link BenchmarkReport#PROCESSES}). */
    CpuWindow add(String name, ProcessHandle process) {
        processes.put(name, process);
        before.put(name, ProcessStats.of(process));
        return this;
    }

    Map<String, Double> close() {
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, Double> cores = new LinkedHashMap<>();
        processes.forEach((name, process) ->
                cores.put(name, ProcessStats.of(process).cpuSince(before.get(name)) / seconds));
        return cores;
    }
}
