package ${package}.dev.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and memory of one process, read from Linux's /proc.
 *
 * <p>The benchmark runs the broker, the web producer, the consumer and the load generator on the same two
 * cores, so a figure means little without knowing who burnt the CPU: each phase prints the CPU seconds
 * every process used. Peak RSS is the kernel's high-water mark ({@code VmHWM}), which a short sampling
 * loop would miss.
 */
public record ProcessStats(long pid, double cpuSeconds, long rssKb, long peakRssKb) {

    /** Clock ticks per second of the utime and stime fields; 100 on every Linux the JDK runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    public static boolean supported() {
        return Files.isReadable(Path.of("/proc/self/stat"));
    }

    public static ProcessStats of(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(proc.resolve("stat"));
            // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            long utime = Long.parseLong(fields[11]);
            long stime = Long.parseLong(fields[12]);
            long rss = 0;
            long hwm = 0;
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kilobytes(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kilobytes(line);
                }
            }
            return new ProcessStats(pid, (utime + stime) / TICKS_PER_SECOND, rss, hwm);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/" + pid + " (has the process ended?)", e);
        }
    }

    public static ProcessStats self() {
        return of(ProcessHandle.current().pid());
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
