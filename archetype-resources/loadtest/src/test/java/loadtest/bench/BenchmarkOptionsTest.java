package ${package}.loadtest.bench;

import ${package}.loadtest.ClickLoad;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchmarkOptionsTest {

    @Test
    void no_arguments_give_the_full_run_of_the_readme() {
        BenchmarkOptions options = BenchmarkOptions.parse();
        assertFalse(options.quick);
        assertTrue(options.classDataSharing);
        assertEquals(1_000_000, options.rawRecords);
        assertArrayEquals(new int[] {32, 256}, options.singleConnections);
        assertArrayEquals(new int[] {16, 32}, options.batchConnections);
        assertEquals(Duration.ofSeconds(10), options.httpRun);
        assertEquals(ClickLoad.Client.SOCKET, options.client);
        assertEquals(null, options.workDir);
    }

    @Test
    void quick_shortens_every_step_and_keeps_one_connection_count_each() {
        BenchmarkOptions options = BenchmarkOptions.parse("--quick");
        assertTrue(options.quick);
        assertEquals(200_000, options.rawRecords);
        assertEquals(Duration.ofSeconds(3), options.httpRun);
        assertArrayEquals(new int[] {32}, options.singleConnections);
        assertArrayEquals(new int[] {16}, options.batchConnections);
        assertEquals(Duration.ofSeconds(5), options.e2eDuration);
    }

    @Test
    void later_arguments_override_what_quick_set() {
        BenchmarkOptions options = BenchmarkOptions.parse("--quick", "--seconds=7", "--single-connections=8,64");
        assertEquals(Duration.ofSeconds(7), options.httpRun);
        assertArrayEquals(new int[] {8, 64}, options.singleConnections);
    }

    @Test
    void web_jvm_options_are_kept_one_per_argument_even_with_commas() {
        BenchmarkOptions options = BenchmarkOptions.parse("--web-jvm=-Xmx64m",
                "--web-jvm=-XX:StartFlightRecording=duration=30s,filename=web.jfr");
        assertEquals(List.of("-Xmx64m", "-XX:StartFlightRecording=duration=30s,filename=web.jfr"),
                options.webJvmOptions());
    }

    @Test
    void without_web_jvm_options_the_shipped_file_is_used() {
        List<String> options = BenchmarkOptions.parse().webJvmOptions();
        assertEquals(1, options.size());
        assertTrue(options.get(0).startsWith("@") && options.get(0).endsWith("jvm.options"), options.toString());
        assertTrue(Path.of(options.get(0).substring(1)).getParent().endsWith("web"), options.toString());
    }

    @Test
    void other_settings_are_read() {
        BenchmarkOptions options = BenchmarkOptions.parse("--no-cds", "--keep", "--dir=/tmp/bench",
                "--broker-heap=1g", "--client=jdk", "--consumer-jvm=-Xmx200m");
        assertFalse(options.classDataSharing);
        assertTrue(options.keep);
        assertEquals(Path.of("/tmp/bench"), options.workDir);
        assertFalse(options.workDirIsOurs);
        assertEquals("1g", options.brokerHeap);
        assertEquals(ClickLoad.Client.JDK, options.client);
        assertEquals(List.of("-Xmx200m"), options.consumerJvmOptions());
    }

    @Test
    void an_unknown_argument_is_named_with_the_usage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchmarkOptions.parse("--quik"));
        assertTrue(e.getMessage().contains("'--quik'"), e.getMessage());
        assertTrue(e.getMessage().contains("--quick"), e.getMessage());
    }
}
