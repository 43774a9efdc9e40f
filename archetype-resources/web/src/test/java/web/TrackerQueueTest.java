package ${package}.web;

import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The tracker script's queue, case by case: {@code src/test/js/tracker-queue.test.js} runs the served
 * {@code clicklog.js} with Node.js in a page whose clock, timers, fetch and beacons it controls, so that every case
 * (a 503 with the clock moving between any two readings, clicks during a request, a retry due before the flush
 * timer, network errors, a backlog past the browser's 64 KiB keepalive limit, pagehide with requests in flight)
 * runs the same way every time. Each case becomes one test here, and fails with what broke.
 *
 * <p>Node.js rather than the browser: the script runs on the same engine as in Chrome (V8), and a page with nothing
 * real in it (no timers, no network, no events but the case's) is what makes a case deterministic; the real browser
 * is BrowserClicksIT's. Node.js is found on the PATH ({@code node} or {@code nodejs}, 18 or later), or given with
 * {@code -Dnode.binary}. Without it the test skips and says so; under {@code CI=true} it fails.
 */
class TrackerQueueTest {

    private static final Path HARNESS = Path.of("src", "test", "js", "tracker-queue.test.js");
    private static final int OLDEST_NODE = 18;
    private static final long TIMEOUT_SECONDS = 120;

    @TestFactory
    Stream<DynamicTest> every_click_the_tracker_takes_settles_exactly_once() throws Exception {
        String node = nodeOrSkip();
        Path tracker = servedTracker();
        Process process = new ProcessBuilder(node, HARNESS.toString(), tracker.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        CompletableFuture<String> errors = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        String output = read(process.getInputStream());
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(HARNESS + " did not end within " + TIMEOUT_SECONDS + " s");
        }
        int exit = process.exitValue();
        List<JsonNode> cases = new ArrayList<>();
        for (String line : output.lines().filter(line -> !line.isBlank()).toList()) {
            cases.add(ClickJson.mapper().readTree(line));
        }
        System.out.printf("TrackerQueueTest: %s %s %s: %d cases, %d failed%n", node, HARNESS, tracker, cases.size(),
                cases.stream().filter(result -> !result.path("ok").asBoolean()).count());
        List<DynamicTest> tests = new ArrayList<>();
        // The harness itself: it ran to its end, and its exit status agrees with its cases.
        tests.add(DynamicTest.dynamicTest("the harness ran every case", () -> {
            boolean allPassed = cases.stream().allMatch(result -> result.path("ok").asBoolean());
            assertTrue(exit == (allPassed ? 0 : 1) && cases.size() >= 9, () -> HARNESS + " exited " + exit + " after "
                    + cases.size() + " cases (at least 9 expected):\n" + errors.join());
        }));
        for (JsonNode result : cases) {
            String name = result.path("name").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                if (!result.path("ok").asBoolean()) {
                    StringBuilder log = new StringBuilder();
                    result.path("log").forEach(line -> log.append("\n  ").append(line.asText()));
                    fail(name + ": " + result.path("failure").asText() + "\nwhat the page did:" + log);
                }
            }));
        }
        return tests.stream();
    }

    /** clicklog.js as the web producer serves it: the copy on the test's classpath. */
    private static Path servedTracker() throws URISyntaxException {
        URL tracker = TrackerQueueTest.class.getResource(WebRoutes.TRACKER_SCRIPT);
        if (tracker == null || !"file".equals(tracker.getProtocol())) {
            return fail("clicklog.js is not a file on the classpath (" + tracker + "): build the web module first");
        }
        return Path.of(tracker.toURI());
    }

    private static String nodeOrSkip() throws IOException, InterruptedException {
        Optional<String> node = findNode();
        String problem;
        if (node.isEmpty()) {
            problem = "no Node.js on this machine (looked for node and nodejs on the PATH, and -Dnode.binary):"
                    + " install it with `apt-get install nodejs` (Debian, Ubuntu) to test the tracker's queue";
        } else {
            String version = version(node.get());
            int major = version.matches("v\\d+\\..*") ? Integer.parseInt(version.substring(1, version.indexOf('.'))) : 0;
            if (major >= OLDEST_NODE) {
                return node.get();
            }
            problem = node.get() + " is Node.js " + version + "; the tracker's queue test needs " + OLDEST_NODE
                    + " or later";
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("CI=true and " + problem + "; .ci/run installs it");
        }
        System.out.println("SKIPPED: " + problem);
        Assumptions.abort(problem);
        return null;
    }

    private static Optional<String> findNode() {
        String given = System.getProperty("node.binary");
        if (given != null && !given.isBlank()) {
            return Optional.of(given).filter(path -> Files.isExecutable(Path.of(path)));
        }
        String path = System.getenv("PATH") == null ? "" : System.getenv("PATH");
        for (String name : List.of("node", "nodejs")) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toString());
                }
            }
        }
        return Optional.empty();
    }

    private static String version(String node) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(node, "--version").redirectErrorStream(true).start();
        String version = read(process.getInputStream()).strip();
        return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0 ? version : "(unknown: " + version + ")";
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(could not read: " + e + ")";
        }
    }
}
