package ${package}.web;

import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What browsers on other origins see, over real HTTP with an in-memory publisher: the CORS allowlist, preflights,
 * the tracker script and its headers, and per-click answers a page can read. The real browser runs in the dev
 * module's BrowserClicksIT.
 */
class BrowserRequestsTest {

    private static final String SITE = "https://www.example.com";
    private static final String CLICK = "{\"itemId\":\"movie-603\",\"sessionId\":\"s-1\",\"clientEventId\":\"c-1\"}";

    private final InMemoryClickPublisher publisher = new InMemoryClickPublisher();
    private final BrokerReadiness readiness = new BrokerReadiness(timeout -> {
        throw new TimeoutException("no broker in this test");
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private WebProducerApp app;

    private void start(String allowedOrigins) {
        app = WebProducerApp.start(new WebProducerConfig(new BootstrapServers("localhost:1", "the test"), "clicks-test",
                0, null, AllowedOrigins.parse(allowedOrigins), Map.of()), publisher, readiness);
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void a_preflight_from_an_allowed_origin_gets_204_with_what_the_browser_may_send() throws Exception {
        start(SITE + ",https://shop.example.com");

        HttpResponse<String> answer = send(HttpRequest.newBuilder(uri("/api/clicks"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", SITE)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type"));

        assertEquals(204, answer.statusCode());
        assertEquals("", answer.body());
        assertEquals(SITE, header(answer, "Access-Control-Allow-Origin"));
        assertEquals("true", header(answer, "Access-Control-Allow-Credentials"));
        assertEquals("POST", header(answer, "Access-Control-Allow-Methods"));
        assertEquals("Content-Type", header(answer, "Access-Control-Allow-Headers"));
        assertEquals("7200", header(answer, "Access-Control-Max-Age"));
        assertEquals("Origin", header(answer, "Vary"));
    }

    @Test
    void a_click_from_an_allowed_origin_is_stored_and_the_page_may_read_the_answer() throws Exception {
        start(SITE);

        HttpResponse<String> answer = post(CLICK, SITE);

        assertEquals(202, answer.statusCode(), answer.body());
        assertEquals(SITE, header(answer, "Access-Control-Allow-Origin"));
        assertEquals("true", header(answer, "Access-Control-Allow-Credentials"));
        assertEquals("Retry-After", header(answer, "Access-Control-Expose-Headers"));
        assertEquals("Origin", header(answer, "Vary"));
        assertEquals("c-1", publisher.published().get(0).clientEventId());
    }

    @Test
    void an_origin_that_is_not_allowed_gets_403_and_nothing_reaches_the_topic() throws Exception {
        start(SITE);

        HttpResponse<String> post = post(CLICK, "https://evil.example.net");
        HttpResponse<String> preflight = send(HttpRequest.newBuilder(uri("/api/clicks"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "http://www.example.com") // another scheme is another origin
                .header("Access-Control-Request-Method", "POST"));

        for (HttpResponse<String> answer : java.util.List.of(post, preflight)) {
            assertEquals(403, answer.statusCode(), answer.body());
            assertTrue(json(answer).get("error").asText().contains(AllowedOrigins.VARIABLE), answer.body());
            assertTrue(answer.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
        }
        assertTrue(publisher.published().isEmpty());
        assertEquals(2.0, metric("web_requests_rejected_total{reason=\"origin_not_allowed\"}"));
    }

    @Test
    void the_servers_own_pages_and_clients_without_an_origin_need_no_listing() throws Exception {
        start(SITE);

        HttpResponse<String> own = post(CLICK, "http://" + app.baseUri().getAuthority());
        HttpResponse<String> curl = post(CLICK, null);

        assertEquals(202, own.statusCode(), own.body());
        assertEquals(202, curl.statusCode(), curl.body());
        assertTrue(curl.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
        assertEquals(2, publisher.published().size());
    }

    @Test
    void a_star_allows_every_origin_but_without_credentials() throws Exception {
        start("*");

        HttpResponse<String> answer = post(CLICK, "https://anyone.example.org");

        assertEquals(202, answer.statusCode());
        assertEquals("*", header(answer, "Access-Control-Allow-Origin"));
        assertTrue(answer.headers().firstValue("Access-Control-Allow-Credentials").isEmpty());
    }

    @Test
    void a_503_carries_the_cors_headers_and_marks_the_clicks_to_send_again() throws Exception {
        start(SITE);
        publisher.failWhen(click -> click.itemId().equals("movie-2") ? new TimeoutException("no ack") : null);

        HttpResponse<String> answer = post("[{\"itemId\":\"movie-1\",\"sessionId\":\"s\"},"
                + "{\"itemId\":\"movie-2\",\"sessionId\":\"s\"},{\"itemId\":\"bad id\",\"sessionId\":\"s\"}]", SITE);

        assertEquals(503, answer.statusCode(), answer.body());
        assertEquals(SITE, header(answer, "Access-Control-Allow-Origin"));
        assertTrue(answer.headers().firstValue("Retry-After").isPresent());
        JsonNode results = json(answer).get("results");
        assertEquals("accepted", results.get(0).get("status").asText());
        assertEquals("failed", results.get(1).get("status").asText());
        assertEquals("rejected", results.get(2).get("status").asText());
        assertEquals(1, json(answer).get("failed").asInt());
    }

    @Test
    void the_tracker_script_is_served_with_its_security_headers() throws Exception {
        start(SITE);

        HttpResponse<String> script = send(HttpRequest.newBuilder(uri("/clicklog.js")));

        assertEquals(200, script.statusCode());
        assertEquals("text/javascript; charset=utf-8", header(script, "Content-Type"));
        assertEquals("nosniff", header(script, "X-Content-Type-Options"));
        assertEquals("cross-origin", header(script, "Cross-Origin-Resource-Policy"));
        assertTrue(header(script, "Content-Security-Policy").contains("frame-ancestors 'none'"));
        for (String part : new String[] {"sendBeacon", "keepalive: true", "clientEventId", "Retry-After",
                "pagehide", "visibilitychange", "crypto.randomUUID"}) {
            assertTrue(script.body().contains(part), "clicklog.js should use " + part);
        }
        HttpResponse<String> page = send(HttpRequest.newBuilder(uri("/")));
        assertEquals("strict-origin-when-cross-origin", header(page, "Referrer-Policy"));
        assertEquals("nosniff", header(page, "X-Content-Type-Options"));
    }

    @Test
    void allowed_origins_are_checked_when_the_app_starts() {
        for (String bad : new String[] {"", "www.example.com", "https://www.example.com/", "ftp://example.com",
                "https://example.com/path", "*,https://example.com"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AllowedOrigins.parse(bad), bad);
            assertTrue(e.getMessage().contains(AllowedOrigins.VARIABLE), e.getMessage());
        }
        assertEquals("https://example.com,http://localhost:8080",
                AllowedOrigins.parse("HTTPS://Example.com:443, http://localhost:8080").toString());
    }

    @Test
    void client_text_in_a_log_line_cannot_forge_lines() {
        assertEquals("400 x? forged line", RejectionLog.printable("400 x\n forged line"));
        assertFalse(RejectionLog.printable("a\r\nb\u0000c").chars().anyMatch(Character::isISOControl));
        assertEquals(303, RejectionLog.printable("y".repeat(1000)).length(), "cut at 300 characters plus ...");
    }

    private URI uri(String path) {
        return app.baseUri().resolve(path);
    }

    private HttpResponse<String> post(String body, String origin) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/api/clicks"))
                .header("Content-Type", "text/plain;charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (origin != null) {
            request.header("Origin", origin);
        }
        return send(request);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String header(HttpResponse<String> answer, String name) {
        return answer.headers().firstValue(name).orElseThrow(() -> new AssertionError("no " + name + " header"));
    }

    private static JsonNode json(HttpResponse<String> answer) throws IOException {
        return ClickJson.mapper().readTree(answer.body());
    }

    private double metric(String sample) throws IOException, InterruptedException {
        String text = send(HttpRequest.newBuilder(uri("/metrics"))).body();
        return text.lines().filter(line -> line.startsWith(sample + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(sample.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError("no sample " + sample + " in /metrics:\n" + text));
    }
}
