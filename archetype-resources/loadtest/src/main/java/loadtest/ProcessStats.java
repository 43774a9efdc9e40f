package ${package}.loadtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CPU time and memory of one process: CPU from {@link ProcessHandle.Info#totalCpuDuration()}, memory from
 * Linux's {@code /proc/<pid>/status}, which the JDK does not expose.
 *
 * <p>The benchmark runs the broker, the web producer, the consumer and the load generator on the same cores,
 * so a figure means little without knowing who burnt the CPU: each step prints the CPU seconds every process
 * used. Peak RSS is the kernel's high-water mark ({@code VmHWM}), which a short sampling loop would miss.
 */
public record ProcessStats(long pid, double cpuSeconds, long rssKb, long peakRssKb) {

    public static boolean supported() {
        return Files.isReadable(Path.of("/proc/self/status"))
                && ProcessHandle.current().info().totalCpuDuration().isPresent();
    }

    public static ProcessStats of(long pid) {
        return of(ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("process " + pid + " has ended")));
    }

    public static ProcessStats of(ProcessHandle process) {
        long pid = process.pid();
        Duration cpu = process.info().totalCpuDuration().orElseThrow(() ->
                new IllegalStateException("no CPU time for process " + pid + " (has it ended?)"));
        long rss = 0;
        long hwm = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kilobytes(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kilobytes(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/" + pid + "/status (has the process ended?)", e);
        }
        return new ProcessStats(pid, cpu.toNanos() / 1e9, rss, hwm);
    }

    /** CPU seconds used since {@code earlier}, a sample of the same process. */
    public double cpuSince(ProcessStats earlier) {
        return cpuSeconds - earlier.cpuSeconds;
    }

    private static long kilobytes(String statusLine) {
        String[] parts = statusLine.trim().split("\\s+");
        return Long.parseLong(parts[1]);
    }
}
