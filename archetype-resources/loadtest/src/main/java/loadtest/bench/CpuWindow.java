package ${package}.loadtest.bench;

import ${package}.loadtest.ProcessStats;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU used by each process between this window's opening and {@link #close()}, in cores (CPU seconds per
 * second): what one row of the report shows next to its figure. A name may stand for several processes (the
 * nodes of a cluster are "the broker"): their CPU is added up.
 */
final class CpuWindow {

    private final long started = System.nanoTime();
    private final Map<String, List<ProcessHandle>> processes = new LinkedHashMap<>();
    private final Map<ProcessHandle, ProcessStats> before = new HashMap<>();

    /** Starts counting for {@code process} under {@code name} (one of {@link BenchmarkReport#PROCESSES}). */
    CpuWindow add(String name, ProcessHandle process) {
        return add(name, List.of(process));
    }

    /** Starts counting for all of {@code group}, added up under {@code name}. */
    CpuWindow add(String name, List<ProcessHandle> group) {
        processes.put(name, List.copyOf(group));
        group.forEach(process -> before.put(process, ProcessStats.of(process)));
        return this;
    }

    Map<String, Double> close() {
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, Double> cores = new LinkedHashMap<>();
        processes.forEach((name, group) -> cores.put(name, group.stream()
                .mapToDouble(process -> ProcessStats.of(process).cpuSince(before.get(process))).sum() / seconds));
        return cores;
    }
}
