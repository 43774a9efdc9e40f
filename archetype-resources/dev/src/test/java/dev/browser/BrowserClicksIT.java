package ${package}.dev.browser;

import ${package}.consumer.ClickConsumerApp;
import ${package}.consumer.ClickConsumerConfig;
import ${package}.consumer.JsonLinesClickSink;
import ${package}.consumer.StoredClick;
import ${package}.dev.BrokerSettings;
import ${package}.dev.LocalKafkaBroker;
import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickJson;
import ${package}.shared.ClickTopic;
import ${package}.web.AllowedOrigins;
import ${package}.web.WebProducerApp;
import ${package}.web.WebProducerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import com.fasterxml.jackson.databind.JsonNode;
import org.openqa.selenium.By;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Clicks from a real browser on another origin, through the whole pipeline: headless Chromium loads pages from the
 * test's own site ({@code http://localhost:<site port>}, an allowed origin), which send clicks to the web
 * producer ({@code http://localhost:<web port>}) with the tracker script, a JSON {@code fetch} or an untyped beacon;
 * a real broker; the consumer and its files. Every case ends by counting what the sink holds. Pages on
 * {@code http://shop.example.test:<site port>} (Chromium resolves the name to this machine) are allowed by the
 * wildcard {@code http://*.example.test:<site port>}; a look-alike, {@code shop.example-test.net}, is not.
 *
 * <p>Counts are final once a marker is stored: the test waits for the page's clicks (or, where none may arrive, for
 * the web producer to have refused them), then posts its own click with the page's session id; a session's clicks
 * share a partition, in order, so when the marker is in the sink, every click of the session the web producer took
 * before it is too, and a copy would have been as well. Screenshots go to target/browser-screenshots/.
 */
class BrowserClicksIT {

    private static final String TOPIC = ClickTopic.DEFAULT;
    private static final Duration SINK_WAIT = Duration.ofSeconds(30);
    private static final int CLICKS = 20;
    /** Runs of each retry case; {@code -Dbrowser.retryRuns=30} repeats them to look for a rare failure. */
    private static final int RETRY_RUNS = Integer.getInteger("browser.retryRuns", 1);
    /** Pages on its subdomains are allowed by a wildcard origin; Chromium resolves them to this machine. */
    private static final String WILDCARD_DOMAIN = "example.test";
    /** Ends with the same letters as WILDCARD_DOMAIN but is not under it. */
    private static final String LOOK_ALIKE_DOMAIN = "example-test.net";
    /**
     * Logs the events that make the tracker send its queue as a beacon (the page hidden or left), so that a retry
     * test that fails says whether one came in between.
     */
    private static final String PAGE_EVENTS = "<script>addEventListener('pagehide', () => console.warn('test page: pagehide'));"
            + "document.addEventListener('visibilitychange', () => console.warn('test page: visibility '"
            + " + document.visibilityState));</script>";

    @TempDir
    static Path workDir;

    private static HeadlessChromium browser;
    private static LocalKafkaBroker broker;
    private static ClickConsumerApp consumer;
    private static WebProducerApp web;
    private static SiteServer site;
    private static Path sinkDir;
    private static String siteOrigin;
    private static String collector;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        browser = HeadlessChromium.startOrSkip("--host-resolver-rules=MAP *." + WILDCARD_DOMAIN + " 127.0.0.1, MAP *."
                + LOOK_ALIKE_DOMAIN + " 127.0.0.1");
        broker = LocalKafkaBroker.start(BrokerSettings.forTests(workDir.resolve("kafka")));
        broker.createClickTopics(TOPIC);
        BootstrapServers bootstrap = new BootstrapServers(broker.bootstrapServers(), "the browser test's broker");
        sinkDir = workDir.resolve("sink");
        consumer = ClickConsumerApp.start(new ClickConsumerConfig(bootstrap, TOPIC, "browser-" + UUID.randomUUID(),
                sinkDir, Map.of()));
        site = new SiteServer();
        siteOrigin = "http://localhost:" + site.port();
        web = WebProducerApp.start(new WebProducerConfig(bootstrap, TOPIC, 0, Map.of())
                .withAllowedOrigins(AllowedOrigins.parse(siteOrigin + ",http://*." + WILDCARD_DOMAIN + ":" + site.port())));
        collector = "http://localhost:" + web.port();
        site.relayTo(URI.create(collector));
        System.out.printf("BrowserClicksIT: site %s, web producer %s (allows %s and http://*.%s:%d)%n", siteOrigin,
                collector, siteOrigin, WILDCARD_DOMAIN, site.port());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable part : new AutoCloseable[] {browser, site, web, consumer, broker}) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    System.out.println("BrowserClicksIT: closing " + part + " failed: " + e);
                }
            }
        }
    }

    @Test
    void the_tracker_script_sends_clicks_with_a_beacon_when_the_page_is_left(TestInfo test) throws Exception {
        String run = run("beacon");
        // A long flush interval: nothing leaves before the page does, so the clicks can only go by beacon.
        site.page("/tracker.html", trackerPage(run, "data-flush-ms=\"600000\" data-batch-size=\"100\"", ""));
        browser.driver().get(siteOrigin + "/tracker.html");

        clickItems();
        assertEquals(CLICKS, pending(),
                "the clicks wait in the tracker's queue until the page is left");
        String session = trackerSession();
        screenshot(test);
        browser.driver().get(siteOrigin + "/left.html");

        assertStoredOnce(run, session, CLICKS);
    }

    @Test
    void a_page_posting_json_with_fetch_gets_the_answer_it_can_read(TestInfo test) throws Exception {
        String run = run("fetch");
        String session = "s-" + run;
        site.page("/fetch.html", ownScriptPage(run, session, "document.getElementById('send').addEventListener('click',"
                + " async () => {"
                + "  const out = document.getElementById('result');"
                + "  try {"
                + "    const response = await fetch('" + collector + "/api/clicks', {method: 'POST',"
                + "        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(clicks), keepalive: true});"
                + "    const answer = await response.json();"
                + "    out.textContent = response.status + ' accepted ' + answer.accepted;"
                + "  } catch (e) { out.textContent = 'error ' + e.message; }"
                + "});"));
        browser.driver().get(siteOrigin + "/fetch.html");

        clickItems();
        browser.driver().findElement(By.id("send")).click();
        String result = awaitText("result");
        screenshot(test);

        assertEquals("202 accepted " + CLICKS, result, "the page reads the answer (preflight and CORS headers)\n"
                + browser.console());
        assertStoredOnce(run, session, CLICKS);
    }

    @Test
    void an_untyped_blob_beacon_without_a_content_type_is_stored(TestInfo test) throws Exception {
        String run = run("blob");
        String session = "s-" + run;
        site.page("/blob.html", ownScriptPage(run, session, "addEventListener('pagehide', () => {"
                + "  navigator.sendBeacon('" + collector + "/api/clicks', new Blob([JSON.stringify(clicks)]));"
                + "});"));
        browser.driver().get(siteOrigin + "/blob.html");

        clickItems();
        screenshot(test);
        browser.driver().get(siteOrigin + "/left.html");

        assertStoredOnce(run, session, CLICKS);
    }

    @Test
    void a_page_of_an_origin_that_is_not_allowed_stores_nothing(TestInfo test) throws Exception {
        String run = run("blocked");
        double refusedBefore = webMetric("web_requests_rejected_total{reason=\"origin_not_allowed\"}");
        // 127.0.0.1 is another origin than localhost, though the same server.
        String blockedOrigin = "http://127.0.0.1:" + site.port();
        site.page("/blocked.html", trackerPage(run, "data-flush-ms=\"50\" data-max-attempts=\"1\"",
                "<script>"
                + "addEventListener('load', () => clicklog.track({itemId: '" + run + "-tracked'}).then(result => {"
                + "  document.getElementById('result').textContent = result.status;"
                + "  navigator.sendBeacon('" + collector + "/api/clicks', new Blob([JSON.stringify([{itemId: '"
                + run + "-beacon', sessionId: clicklog.sessionId}])]));"
                + "}));"
                + "</script>"));
        browser.driver().get(blockedOrigin + "/blocked.html");

        String result = awaitText("result");
        String session = trackerSession();
        awaitTrue(() -> webMetric("web_requests_rejected_total{reason=\"origin_not_allowed\"}") >= refusedBefore + 2,
                "the web producer refuses the tracker's request and the beacon (403)");
        screenshot(test);

        assertEquals("failed", result, "the tracker cannot read a refused answer, and gives up\n" + browser.console());
        assertStoredOnce(run, session, 0);
    }

    @Test
    void the_demo_page_shows_the_answer_of_a_click_and_the_click_is_stored(TestInfo test) throws Exception {
        browser.driver().get(collector + "/");
        String session = browser.driver().findElement(By.id("session")).getText();

        browser.driver().findElement(By.id("movie-603")).click();
        awaitTrue(() -> browser.driver().findElements(By.cssSelector("ul li")).stream()
                .anyMatch(item -> item.getText().contains("202") && item.getText().contains("The Matrix")),
                "the page shows the 202 of its click");
        screenshot(test);

        List<StoredClick> stored = settledClicksOf(session);
        assertEquals(List.of("movie-603"), stored.stream().map(click -> click.click().itemId()).toList(),
                "the demo's click, once");
    }

    @TestFactory
    Stream<DynamicTest> the_tracker_sends_again_what_was_not_answered_and_each_click_is_stored_once() {
        return IntStream.rangeClosed(1, RETRY_RUNS).boxed().flatMap(n -> Stream.of(
                DynamicTest.dynamicTest("an answer lost on the way back (run " + n + " of " + RETRY_RUNS + ")",
                        () -> lostAnswer(n)),
                DynamicTest.dynamicTest("a 503 with Retry-After: 1 (run " + n + " of " + RETRY_RUNS + ")",
                        () -> busy(n))));
    }

    /** The first request reaches the collector and is stored, but its answer is lost on the way back. */
    private void lostAnswer(int n) throws Exception {
        String lost = run("lost");
        long repeatsBefore = consumer.repeatedCount();
        site.planRelay(post -> post == 1 ? SiteServer.Relay.FORWARD_THEN_DROP_THE_ANSWER : SiteServer.Relay.FORWARD);
        site.page("/lost.html", promisePage(lost, "data-endpoint=\"" + siteOrigin + "/relay/api/clicks\""
                + " data-batch-size=\"5\" data-flush-ms=\"60000\""));
        browser.driver().get(siteOrigin + "/lost.html");
        clickItems(5);

        Map<String, String> results = awaitSettled(lost, 5);
        String session = trackerSession();
        List<SiteServer.RelayedPost> posts = site.relayed();
        browser.screenshot("lost-answer-" + n);
        assertEquals(2, posts.size(), "POSTs: the batch, then the same again once its answer was lost");
        assertEquals(clientEventIds(posts.get(0).body()), clientEventIds(posts.get(1).body()),
                "the retry carries the same clientEventIds");
        assertAllAccepted(results);
        assertEquals(0, pending(), "clicks pending once every promise settled");
        assertStoredOnce(lost, session, 5);
        assertEquals(5, consumer.repeatedCount() - repeatsBefore, "the consumer left out the five copies");
    }

    /** A 503 with Retry-After: 1: the tracker waits at least that long, then sends the same clicks again. */
    private void busy(int n) throws Exception {
        String busy = run("busy");
        site.planRelay(post -> post == 1 ? SiteServer.Relay.ANSWER_503 : SiteServer.Relay.FORWARD);
        site.page("/busy.html", promisePage(busy, "data-endpoint=\"" + siteOrigin + "/relay/api/clicks\""
                + " data-batch-size=\"5\" data-flush-ms=\"60000\""));
        browser.driver().get(siteOrigin + "/busy.html");
        clickItems(5);

        Map<String, String> results = awaitSettled(busy, 5);
        String session = trackerSession();
        List<SiteServer.RelayedPost> posts = site.relayed();
        browser.screenshot("busy-" + n);
        assertEquals(2, posts.size(), "POSTs: the batch, then the same again after the 503");
        double waited = (posts.get(1).nanoTime() - posts.get(0).nanoTime()) / 1e9;
        assertTrue(waited >= 1.0, "the tracker waited " + waited + " s; Retry-After said 1 s");
        assertEquals(clientEventIds(posts.get(0).body()), clientEventIds(posts.get(1).body()),
                "the retry carries the same clientEventIds");
        assertAllAccepted(results);
        assertEquals(0, pending(), "clicks pending once every promise settled");
        assertStoredOnce(busy, session, 5);
        System.out.printf("BrowserClicksIT: 503: sent again after %.2f s (Retry-After 1 s), stored once%n", waited);
    }

    @Test
    void a_page_on_a_subdomain_that_a_wildcard_allows_stores_its_clicks(TestInfo test) throws Exception {
        String run = run("wildcard");
        // Chromium resolves every *.example.test to 127.0.0.1 (see start()): another origin, the same site server.
        site.page("/wildcard.html", promisePage(run, "data-flush-ms=\"50\""));
        browser.driver().get("http://shop." + WILDCARD_DOMAIN + ":" + site.port() + "/wildcard.html");
        clickItems(5);

        Map<String, String> results = awaitSettled(run, 5);
        String session = trackerSession();
        screenshot(test);

        assertAllAccepted(results);
        assertStoredOnce(run, session, 5);
    }

    @Test
    void a_page_on_a_look_alike_of_the_wildcard_domain_stores_nothing(TestInfo test) throws Exception {
        String run = run("lookalike");
        double refusedBefore = webMetric("web_requests_rejected_total{reason=\"origin_not_allowed\"}");
        site.page("/lookalike.html", promisePage(run, "data-flush-ms=\"50\" data-max-attempts=\"1\""));
        // example-test.net is not under example.test: the label boundary matters, not the letters.
        browser.driver().get("http://shop." + LOOK_ALIKE_DOMAIN + ":" + site.port() + "/lookalike.html");
        clickItems(5);

        Map<String, String> results = awaitSettled(run, 5);
        String session = trackerSession();
        awaitTrue(() -> webMetric("web_requests_rejected_total{reason=\"origin_not_allowed\"}") > refusedBefore,
                "the web producer refuses the look-alike's request (403)");
        screenshot(test);

        assertEquals(Set.of("failed"), Set.copyOf(results.values()), "the tracker cannot read a refused answer\n"
                + browser.console());
        assertStoredOnce(run, session, 0);
    }

    // ---- pages -------------------------------------------------------------------------------------------------

    /** A page of the site with the tracker script and CLICKS (or fewer) buttons tracked by their data attribute. */
    private String trackerPage(String run, String trackerAttributes, String more) {
        return trackerPage(run, trackerAttributes, more, "data-clicklog-item");
    }

    private String trackerPage(String run, String trackerAttributes, String more, String buttonAttribute) {
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>" + run + "</title>"
                + "<script src=\"" + collector + "/clicklog.js\" " + trackerAttributes + "></script></head><body>"
                + "<h1>A site on another origin</h1>" + buttons(run, buttonAttribute)
                + "<p id=\"result\"></p>" + more + "</body></html>";
    }

    /**
     * A tracker page whose buttons go through {@code clicklog.track}, each click's result kept in
     * {@code window.settled} by item: a click whose promise never settles is named, not just missing from a count.
     */
    private String promisePage(String run, String trackerAttributes) {
        return trackerPage(run, trackerAttributes, PAGE_EVENTS + "<script>window.settled = {};"
                + "document.addEventListener('click', event => {"
                + "  const item = event.target.getAttribute && event.target.getAttribute('data-item');"
                + "  if (item) { clicklog.track({itemId: item}).then(result => { settled[item] = result.status; }); }"
                + "});</script>", "data-item");
    }

    /** A page whose own script collects the clicks of its buttons in {@code clicks}, then does {@code send}. */
    private static String ownScriptPage(String run, String session, String send) {
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">"
                + "<title>" + run + "</title></head><body>"
                + "<h1>A site posting clicks itself</h1>" + buttons(run, "data-item")
                + "<button id=\"send\" type=\"button\">send</button><p id=\"result\"></p><script>"
                + "const clicks = [];"
                + "document.addEventListener('click', event => {"
                + "  const item = event.target.getAttribute('data-item');"
                + "  if (item) { clicks.push({itemId: item, sessionId: '" + session + "',"
                + "    clientEventId: crypto.randomUUID(), clientTime: new Date().toISOString()}); }"
                + "});" + send + "</script></body></html>";
    }

    private static String buttons(String run, String attribute) {
        return IntStream.rangeClosed(1, CLICKS)
                .mapToObj(i -> "<button type=\"button\" id=\"item-" + i + "\" " + attribute + "=\"" + run + "-" + i
                        + "\">item " + i + "</button>")
                .collect(Collectors.joining(" "));
    }

    /** Clicks the tracker holds: queued, or in a request not answered yet. */
    private static int pending() {
        return ((Number) browser.script("return clicklog.pending()")).intValue();
    }

    /** The session id the tracker gave this origin's pages. */
    private static String trackerSession() {
        return (String) browser.script("return clicklog.sessionId");
    }

    private static void screenshot(TestInfo test) throws java.io.IOException {
        browser.screenshot(test.getTestMethod().orElseThrow().getName());
    }

    private static void clickItems() {
        clickItems(CLICKS);
    }

    private static void clickItems(int count) {
        for (int i = 1; i <= count; i++) {
            browser.driver().findElement(By.id("item-" + i)).click();
        }
    }

    // ---- checks ------------------------------------------------------------------------------------------------

    /** The sink holds exactly {@code expected} clicks of this run, each item once, all with the page's session. */
    private static void assertStoredOnce(String run, String session, int expected) throws Exception {
        // A beacon leaves when the browser gets to it, after the next page may have loaded: first wait for the
        // page's clicks, then let the marker show that no copy follows.
        long deadline = System.nanoTime() + SINK_WAIT.toNanos();
        while (countOf(run) < expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        List<StoredClick> clicks = settledClicksOf(session).stream()
                .filter(click -> click.click().itemId().startsWith(run + "-")).toList();
        Map<String, Long> timesStored = clicks.stream()
                .collect(Collectors.groupingBy(click -> click.click().itemId(), TreeMap::new, Collectors.counting()));
        Set<String> duplicates = timesStored.entrySet().stream().filter(e -> e.getValue() > 1)
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        String seen = "stored " + timesStored + "\n" + browser.console();
        assertEquals(Set.of(), duplicates, "clicks stored more than once; " + seen);
        assertEquals(expected, clicks.size(), "clicks of " + run + " in the sink; " + seen);
        System.out.printf("BrowserClicksIT: %s: %d clicks stored once each (session %s)%n", run, clicks.size(), session);
    }

    private static long countOf(String run) throws java.io.IOException {
        return JsonLinesClickSink.readAll(sinkDir).stream()
                .filter(click -> click.click().itemId().startsWith(run + "-")).count();
    }

    /**
     * The clicks of a session in the sink, once the test's marker click for that session is stored (see the class
     * comment); the marker itself is left out.
     */
    private static List<StoredClick> settledClicksOf(String session) throws Exception {
        String marker = "marker-" + UUID.randomUUID();
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(collector + "/api/clicks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"itemId\":\"" + marker + "\",\"sessionId\":\"" + session
                        + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, answer.statusCode(), answer.body());
        long deadline = System.nanoTime() + SINK_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<StoredClick> ofSession = JsonLinesClickSink.readAll(sinkDir).stream()
                    .filter(click -> session.equals(click.click().sessionId())).toList();
            if (ofSession.stream().anyMatch(click -> click.click().itemId().equals(marker))) {
                return ofSession.stream().filter(click -> !click.click().itemId().equals(marker)).toList();
            }
            Thread.sleep(100);
        }
        return fail("the marker click of session " + session + " did not reach the sink within " + SINK_WAIT);
    }

    /**
     * Waits until the promise of each of the first {@code count} clicks of a {@link #promisePage} settled, and returns
     * each item's status. A click that never settles fails the test with its item and its clientEventId.
     */
    private static Map<String, String> awaitSettled(String run, int count) throws Exception {
        List<String> items = IntStream.rangeClosed(1, count).mapToObj(i -> run + "-" + i).toList();
        long deadline = System.nanoTime() + SINK_WAIT.toNanos();
        Map<String, String> settled = Map.of();
        while (System.nanoTime() < deadline) {
            settled = settled();
            if (settled.keySet().containsAll(items)) {
                return new TreeMap<>(settled);
            }
            Thread.sleep(100);
        }
        Map<String, String> sentIds = new TreeMap<>();
        for (SiteServer.RelayedPost post : site.relayed()) {
            for (JsonNode click : ClickJson.mapper().readTree(post.body())) {
                sentIds.put(click.path("itemId").asText(), click.path("clientEventId").asText());
            }
        }
        Set<String> settledItems = settled.keySet();
        List<String> unsettled = items.stream().filter(item -> !settledItems.contains(item))
                .map(item -> item + " (clientEventId " + sentIds.getOrDefault(item, "never sent through the relay")
                        + ")").toList();
        return fail("not within " + SINK_WAIT + ", the promises of " + unsettled + " did not settle (" + pending()
                + " pending; settled: " + settled + "; relayed " + site.relayed().size() + " POSTs)\n"
                + browser.console());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> settled() {
        Object settled = browser.script("return window.settled");
        return settled instanceof Map<?, ?> map ? (Map<String, String>) map : Map.of();
    }

    private static void assertAllAccepted(Map<String, String> results) {
        assertEquals(Set.of("accepted"), Set.copyOf(results.values()), "each click's promise: " + results + "\n"
                + browser.console());
    }

    private static List<String> clientEventIds(String body) {
        return java.util.regex.Pattern.compile("\"clientEventId\":\"([^\"]+)\"").matcher(body).results()
                .map(match -> match.group(1)).toList();
    }

    private static double webMetric(String sample) throws Exception {
        String text = http.send(HttpRequest.newBuilder(web.managementUri().resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(line -> line.startsWith(sample + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(sample.length() + 1).trim())).orElse(0.0);
    }

    private static String awaitText(String id) throws Exception {
        awaitTrue(() -> !browser.driver().findElement(By.id(id)).getText().isEmpty(), "text in #" + id);
        return browser.driver().findElement(By.id(id)).getText();
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(Check check, String what) throws Exception {
        awaitTrue(check, () -> what);
    }

    private static void awaitTrue(Check check, java.util.function.Supplier<String> what) throws Exception {
        long deadline = System.nanoTime() + SINK_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (check.holds()) {
                return;
            }
            Thread.sleep(100);
        }
        fail("not within " + SINK_WAIT + ": " + what.get() + "\n" + browser.console());
    }

    private static String run(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
