package ${package}.loadtest.bench;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchmarkReportTest {

    @Test
    void a_row_shows_cpu_in_the_column_order_and_a_dash_for_processes_not_running() {
        BenchmarkReport report = new BenchmarkReport();
        Map<String, Double> cores = new LinkedHashMap<>();
        cores.put("bench", 1.125);
        cores.put("broker", 0.5);
        report.add(new BenchmarkReport.Row("1 raw producer", "250,000 rec/s", "-", cores));

        List<String> lines = report.render(2, "1.00 2.00 3.00", "4.00 5.00 6.00", 12.4).lines().toList();

        assertEquals("Click benchmark, 2 cores, load average before 1.00 2.00 3.00, after 4.00 5.00 6.00; 12 s in all",
                lines.get(0));
        assertTrue(lines.contains("| 1 raw producer | 250,000 rec/s | - | 0.50 / - / - / 1.13 | - |"), lines.toString());
    }

    @Test
    void a_row_without_cpu_figures_shows_one_dash() {
        BenchmarkReport report = new BenchmarkReport();
        report.add(new BenchmarkReport.Row("5 start-up", "0.90 s", "-", Map.of()));
        assertTrue(report.render(2, "0", "0", 1).contains("| 5 start-up | 0.90 s | - | - | - |"));
    }

    @Test
    void targets_are_sorted_by_name_and_missed_ones_counted() {
        BenchmarkReport report = new BenchmarkReport();
        report.add(BenchmarkReport.Target.atMost("web producer ready <= 1 s", 1.2, 1.0, "s"));
        report.add(BenchmarkReport.Target.atLeast("100 clicks/request >= 90% of raw", 95_000, 100_000, 0.90));

        String table = report.render(2, "0", "0", 1);

        assertEquals(1, report.missedTargets());
        int batch = table.indexOf("| 100 clicks/request >= 90% of raw | 95,000 / 100,000 = 95% | yes |");
        int startup = table.indexOf("| web producer ready <= 1 s | 1.20 s (limit 1 s) | NO |");
        assertTrue(batch > 0 && startup > batch, table);
    }

    @Test
    void an_at_most_target_of_zero_is_met_by_zero_only() {
        assertTrue(BenchmarkReport.Target.atMost("no click lost", 0, 0, "clicks").met());
        assertFalse(BenchmarkReport.Target.atMost("no click lost", 1, 0, "clicks").met());
    }

    @Test
    void web_cpu_per_thousand_clicks_is_in_milliseconds_and_a_dash_without_figures() {
        assertEquals("40.0 ms", BenchmarkReport.cpuPerThousand(0.8, 20_000));
        assertEquals("-", BenchmarkReport.cpuPerThousand(null, 20_000));
        assertEquals("-", BenchmarkReport.cpuPerThousand(0.8, 0));
    }
}
