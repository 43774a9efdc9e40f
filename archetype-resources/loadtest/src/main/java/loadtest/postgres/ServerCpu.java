package ${package}.loadtest.postgres;

import java.util.HashMap;
import java.util.Map;

/**
 * CPU used by the PostgreSQL server this JVM started ({@code LocalPostgres}: the postmaster and every backend and
 * helper it forked, all of them the {@code postgres} binary) between {@link #start()} and {@link #cores()}, in cores.
 * A backend that ended in between is not counted; the ones that matter (the consumer's, the tail's, the WAL writer,
 * the checkpointer) live throughout.
 */
public final class ServerCpu {

    private final long started = System.nanoTime();
    private final Map<Long, Double> before = sample();

    private ServerCpu() {
    }

    public static ServerCpu start() {
        return new ServerCpu();
    }

    public double cores() {
        double seconds = (System.nanoTime() - started) / 1e9;
        double used = 0;
        for (Map.Entry<Long, Double> process : sample().entrySet()) {
            used += process.getValue() - before.getOrDefault(process.getKey(), 0.0);
        }
        return used / seconds;
    }

    private static Map<Long, Double> sample() {
        Map<Long, Double> cpu = new HashMap<>();
        ProcessHandle.current().descendants()
                .filter(process -> process.info().command().map(command -> command.endsWith("/postgres")).orElse(false))
                .forEach(process -> process.info().totalCpuDuration()
                        .ifPresent(time -> cpu.put(process.pid(), time.toNanos() / 1e9)));
        return cpu;
    }
}
