package ${package}.loadtest;

import java.util.Arrays;

/**
 * Latencies of one run, in microseconds, kept whole (a run has at most a few million) and sorted once for
 * percentiles: no histogram rounding to explain. One recorder per thread; {@link #merge} joins them.
 */
public final class LatencyRecorder {

    private long[] micros = new long[1024];
    private int count;

    public void record(long nanos) {
        if (count == micros.length) {
            micros = Arrays.copyOf(micros, count * 2);
        }
        micros[count++] = Math.max(0, nanos / 1000);
    }

    public int count() {
        return count;
    }

    public static Summary merge(Iterable<LatencyRecorder> recorders) {
        int total = 0;
        for (LatencyRecorder r : recorders) {
            total += r.count;
        }
        long[] all = new long[total];
        int at = 0;
        for (LatencyRecorder r : recorders) {
            System.arraycopy(r.micros, 0, all, at, r.count);
            at += r.count;
        }
        Arrays.sort(all);
        return new Summary(all);
    }

    /** Sorted latencies with percentile look-ups; values in milliseconds for printing. */
    public static final class Summary {
        private final long[] sortedMicros;

        private Summary(long[] sortedMicros) {
            this.sortedMicros = sortedMicros;
        }

        public int count() {
            return sortedMicros.length;
        }

        /** The latency at or below which {@code percent} of the samples lie; NaN without samples. */
        public double percentileMillis(double percent) {
            if (sortedMicros.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(percent / 100.0 * sortedMicros.length) - 1;
            return sortedMicros[Math.max(0, Math.min(rank, sortedMicros.length - 1))] / 1000.0;
        }

        public double maxMillis() {
            return sortedMicros.length == 0 ? Double.NaN : sortedMicros[sortedMicros.length - 1] / 1000.0;
        }

        public String describe() {
            return String.format(java.util.Locale.ROOT, "p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)",
                    percentileMillis(50), percentileMillis(99), maxMillis(), count());
        }
    }
}
