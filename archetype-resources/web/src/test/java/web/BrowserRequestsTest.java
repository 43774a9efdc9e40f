package ${package}.web;

import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
    private static final String REFUSED = "https://evil.example.net";
    private static final String CLICK = "{\"itemId\":\"movie-603\",\"sessionId\":\"s-1\",\"clientEventId\":\"c-1\"}";

    private final InMemoryClickPublisher publisher = new InMemoryClickPublisher();
    private final BrokerReadiness readiness = new BrokerReadiness(timeout -> {
        throw new TimeoutException("no broker in this test");
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private WebProducerApp app;

    private void start(String allowedOrigins) {
        start(allowedOrigins, HttpLimits.DEFAULT);
    }

    private void start(String allowedOrigins, HttpLimits limits) {
        app = WebProducerApp.start(new WebProducerConfig(new BootstrapServers("localhost:1", "the test"), "clicks-test",
                0, limits, AllowedOrigins.parse(allowedOrigins), Map.of()), publisher, readiness);
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
    void a_page_of_another_site_is_never_taken_for_the_servers_own_whatever_Host_its_browser_sends() throws Exception {
        start(SITE);
        // DNS rebinding: evil.test resolves to this server, so the browser sends Host: evil.test:<port> with the
        // page's own origin. The Host names this server; the origin is still not its own.
        String evil = "evil.test:" + app.port();
        RawAnswer answer = rawExchange("POST /api/clicks HTTP/1.1\r\nHost: " + evil + "\r\nOrigin: http://" + evil
                + "\r\nContent-Type: text/plain\r\nContent-Length: " + CLICK.length() + "\r\n\r\n" + CLICK);

        assertEquals(403, answer.status(), answer::toString);
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void with_a_public_origin_its_pages_are_the_servers_own_and_loopback_pages_are_not() throws Exception {
        app = WebProducerApp.start(new WebProducerConfig(new BootstrapServers("localhost:1", "the test"), "clicks-test",
                0, HttpLimits.DEFAULT, AllowedOrigins.parse(SITE).withPublicOrigin("https://clicks.example.com"),
                Map.of()), publisher, readiness);

        HttpResponse<String> own = post(CLICK, "https://clicks.example.com");
        HttpResponse<String> loopback = post(CLICK, "http://" + app.baseUri().getAuthority());

        assertEquals(202, own.statusCode(), own.body());
        assertTrue(own.headers().firstValue("Access-Control-Allow-Origin").isEmpty(), "a same-origin request");
        assertEquals(403, loopback.statusCode(), loopback.body());
        assertEquals(1, publisher.published().size());
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
    void a_subdomain_pattern_allows_subdomains_at_any_depth_like_a_listed_origin() throws Exception {
        start("https://*.example.com");

        for (String origin : List.of("https://shop.example.com", "https://eu.shop.example.com")) {
            HttpResponse<String> preflight = send(HttpRequest.newBuilder(uri("/api/clicks"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Origin", origin)
                    .header("Access-Control-Request-Method", "POST"));
            HttpResponse<String> click = post(CLICK, origin);

            assertEquals(204, preflight.statusCode(), origin);
            assertEquals(202, click.statusCode(), click.body());
            for (HttpResponse<String> answer : List.of(preflight, click)) {
                assertEquals(origin, header(answer, "Access-Control-Allow-Origin"));
                assertEquals("true", header(answer, "Access-Control-Allow-Credentials"));
                assertEquals("Origin", header(answer, "Vary"));
            }
        }
        assertEquals(2, publisher.published().size());
    }

    @Test
    void a_subdomain_pattern_refuses_the_domain_itself_look_alikes_and_other_schemes_or_ports() throws Exception {
        start("https://*.example.com");
        List<String> refused = List.of("https://example.com", "https://evil-example.com", "https://xexample.com",
                "https://example.com.evil.net", "http://shop.example.com", "https://shop.example.com:8443");

        for (String origin : refused) {
            HttpResponse<String> answer = post(CLICK, origin);

            assertEquals(403, answer.statusCode(), origin + ": " + answer.body());
            assertTrue(answer.headers().firstValue("Access-Control-Allow-Origin").isEmpty(), origin);
        }
        assertTrue(publisher.published().isEmpty());
        assertEquals(refused.size(), metric("web_requests_rejected_total{reason=\"origin_not_allowed\"}"));
    }

    @Test
    void a_subdomain_pattern_with_a_port_allows_that_port_only_beside_listed_origins() throws Exception {
        start("https://www.example.org, http://*.example.test:8080");

        for (String origin : List.of("https://www.example.org", "http://shop.example.test:8080",
                "http://EU.Shop.example.test:8080")) {
            HttpResponse<String> answer = post(CLICK, origin);
            assertEquals(202, answer.statusCode(), origin + ": " + answer.body());
            assertEquals(origin, header(answer, "Access-Control-Allow-Origin"), "the page's own origin, as sent");
        }
        for (String origin : List.of("http://shop.example.test", "http://shop.example.test:8081",
                "https://shop.example.test:8080")) {
            assertEquals(403, post(CLICK, origin).statusCode(), origin);
        }
        assertEquals(3, publisher.published().size());
    }

    @Test
    void subdomain_patterns_are_checked_when_the_app_starts() {
        String[][] refused = {
                {"https://*example.com", "* may only be the whole leftmost label"},
                {"https://a.*.example.com", "* may only be the whole leftmost label"},
                {"https://*.*.example.com", "* may only be the whole leftmost label"},
                {"https://sh*p.example.com", "* may only be the whole leftmost label"},
                {"https://*.com", "at least two labels: *.com would allow every site under .com"},
                {"http://*.0.0.1", "not an IP address"},
                {"https://*.example.com/", "no path, not even a trailing /"},
                {"*.example.com", "write scheme://*.domain[:port]"},
        };
        for (String[] bad : refused) {
            Map<String, String> environment = Map.of(AllowedOrigins.VARIABLE, "https://www.example.com," + bad[0]);
            String message = assertThrows(IllegalArgumentException.class,
                    () -> WebProducerConfig.resolve(environment), bad[0]).getMessage();
            assertTrue(message.startsWith(AllowedOrigins.VARIABLE + " entry '" + bad[0] + "'"), message);
            assertTrue(message.contains(bad[1]), message);
            assertTrue(message.contains("for example https://*.example.com"), message);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AllowedOrigins.parse("*,https://*.example.com"))
                .getMessage().contains("* already allows every origin"));
        assertEquals("https://*.example.com,http://*.example.test:8080,https://example.com", AllowedOrigins.parse(
                "HTTPS://*.Example.COM:443, http://*.example.test:8080, https://example.com").toString());
    }

    @Test
    void a_413_for_a_declared_body_over_the_limit_carries_cors_headers_for_an_allowed_origin_only() throws Exception {
        start(SITE);
        String request = "POST /api/clicks HTTP/1.1\r\nHost: test\r\n%sContent-Type: text/plain\r\n"
                + "Content-Length: " + (HttpLimits.DEFAULT.maxBodyBytes() + 1) + "\r\n\r\n";

        assertReadableBy(SITE, 413, rawExchange(request.formatted(origin(SITE))));
        assertNotReadable(413, rawExchange(request.formatted(origin(REFUSED))));
        assertNotReadable(413, rawExchange(request.formatted("")));
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void a_400_for_a_malformed_request_carries_cors_headers_for_an_allowed_origin_only() throws Exception {
        start(SITE);
        String request = "POST /api/clicks HTTP/1.1\r\nHost: test\r\n%sContent-Type: text/plain\r\n"
                + "Content-Length: twelve\r\n\r\n";

        assertReadableBy(SITE, 400, rawExchange(request.formatted(origin(SITE))));
        assertNotReadable(400, rawExchange(request.formatted(origin(REFUSED))));
    }

    @Test
    void a_431_for_headers_over_the_limit_carries_cors_headers_for_an_allowed_origin_only() throws Exception {
        start(SITE);
        // As browsers send them: Origin among the first headers, the cookies (what grows too large) last.
        String request = "POST /api/clicks HTTP/1.1\r\nHost: test\r\n%sContent-Type: text/plain\r\n"
                + "Cookie: session=" + "c".repeat(20_000) + "\r\nContent-Length: 2\r\n\r\n{}";

        assertReadableBy(SITE, 431, rawExchange(request.formatted(origin(SITE))));
        assertNotReadable(431, rawExchange(request.formatted(origin(REFUSED))));
    }

    @Test
    void a_408_for_a_body_that_stops_arriving_carries_cors_headers_for_an_allowed_origin_only() throws Exception {
        start(SITE, HttpLimits.DEFAULT.withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300),
                Duration.ofSeconds(5), Duration.ofSeconds(2)));
        String request = "POST /api/clicks HTTP/1.1\r\nHost: test\r\n%sContent-Type: text/plain\r\n"
                + "Content-Length: 500\r\n\r\n{\"itemId\":";

        assertReadableBy(SITE, 408, rawExchange(request.formatted(origin(SITE))));
        assertNotReadable(408, rawExchange(request.formatted(origin(REFUSED))));
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void client_text_in_a_log_line_cannot_forge_lines() {
        assertEquals("400 x? forged line", RejectionLog.printable("400 x\n forged line"));
        assertFalse(RejectionLog.printable("a\r\nb\u0000c").chars().anyMatch(Character::isISOControl));
        assertEquals(303, RejectionLog.printable("y".repeat(1000)).length(), "cut at 300 characters plus ...");
    }

    /** An Origin header line for a hand-written request. */
    private static String origin(String origin) {
        return "Origin: " + origin + "\r\n";
    }

    /** What a page of {@code origin} needs to read an error: its origin echoed, with credentials, and the reason. */
    private static void assertReadableBy(String origin, int status, RawAnswer answer) throws IOException {
        assertEquals(status, answer.status(), answer::toString);
        assertEquals(origin, answer.header("Access-Control-Allow-Origin"), answer::toString);
        assertEquals("true", answer.header("Access-Control-Allow-Credentials"), answer::toString);
        assertEquals("Retry-After", answer.header("Access-Control-Expose-Headers"), answer::toString);
        assertEquals("Origin", answer.header("Vary"), answer::toString);
        assertFalse(ClickJson.mapper().readTree(answer.body()).path("error").asText().isEmpty(), answer::toString);
    }

    /** The same error, without any CORS header: the browser hides it from the page. */
    private static void assertNotReadable(int status, RawAnswer answer) throws IOException {
        assertEquals(status, answer.status(), answer::toString);
        assertTrue(answer.headers().keySet().stream().noneMatch(name -> name.startsWith("access-control-")),
                answer::toString);
        assertFalse(ClickJson.mapper().readTree(answer.body()).path("error").asText().isEmpty(), answer::toString);
    }

    /** Sends bytes the HTTP client would not send (a wrong Content-Length, huge headers) and reads one answer. */
    private RawAnswer rawExchange(String request) throws IOException {
        try (Socket socket = new Socket(app.baseUri().getHost(), app.port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return RawAnswer.read(socket.getInputStream());
        }
    }

    /** @param headers by name in lower case */
    private record RawAnswer(int status, Map<String, String> headers, String body) {

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** The status line, the headers and a body of the announced length. */
        static RawAnswer read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the connection closed before the end of an answer's head: " + head);
                }
                head.write(b);
            }
            List<String> lines = head.toString(StandardCharsets.ISO_8859_1).lines().toList();
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line : lines.subList(1, lines.size())) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            line.substring(colon + 1).trim());
                }
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            return new RawAnswer(Integer.parseInt(lines.get(0).split(" ")[1]), headers,
                    new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }
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
        String text = send(HttpRequest.newBuilder(app.managementUri().resolve("/metrics"))).body();
        return text.lines().filter(line -> line.startsWith(sample + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(sample.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError("no sample " + sample + " in /metrics:\n" + text));
    }
}
