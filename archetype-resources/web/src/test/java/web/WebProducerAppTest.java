package ${package}.web;

import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP layer over real HTTP on a free port, with an in-memory publisher in place of Kafka (the smoke test
 * in the dev module runs the same server against a real broker). Timeouts are shortened; the code paths are
 * the shipped ones.
 */
class WebProducerAppTest {

    private static final String CLICK = "{\"itemId\":\"movie-603\",\"sessionId\":\"s-1\",\"page\":\"/movies\"}";
    private static final HttpLimits LIMITS = HttpLimits.DEFAULT.withTimeouts(Duration.ofSeconds(1),
            Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(1));
    private static final int MAX_BODY = LIMITS.maxBodyBytes();

    private final InMemoryClickPublisher publisher = new InMemoryClickPublisher();
    private volatile boolean brokerUp = true;
    private final BrokerReadiness readiness = new BrokerReadiness(timeout -> {
        if (!brokerUp) {
            throw new TimeoutException("Timed out waiting for a node assignment");
        }
        return new BrokerReadiness.Answer(3, 3, "bootstrap localhost:1, cluster test-cluster, brokers localhost:1");
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private WebProducerApp app;

    @BeforeEach
    void start() {
        readiness.probeOnce();
        app = WebProducerApp.start(config(LIMITS), publisher, readiness);
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private static WebProducerConfig config(HttpLimits limits) {
        return new WebProducerConfig(new BootstrapServers("localhost:1", "the test"), "clicks-test", 0, limits, null,
                Map.of());
    }

    @Test
    void post_of_one_click_gives_202_with_its_eventId_and_publishes_it() throws Exception {
        HttpResponse<String> response = post(CLICK, "application/json");

        assertEquals(202, response.statusCode(), response.body());
        assertEquals("application/json; charset=utf-8", response.headers().firstValue("Content-Type").orElseThrow());
        UUID eventId = UUID.fromString(json(response).get("eventId").asText());
        ClickEvent published = publisher.published().get(0);
        assertEquals(eventId, published.eventId());
        assertEquals("movie-603", published.itemId());
        assertEquals("s-1", published.partitionKey());
        assertEquals("/movies", published.page());
    }

    @Test
    void post_of_an_array_gives_202_with_one_result_per_click_in_order() throws Exception {
        HttpResponse<String> response = post("[" + CLICK + ",{\"itemId\":\"movie-13\",\"userId\":\"u-7\"}]",
                "application/json");

        assertEquals(202, response.statusCode(), response.body());
        JsonNode results = json(response).get("results");
        assertEquals(2, results.size());
        List<ClickEvent> published = publisher.published();
        for (int i = 0; i < 2; i++) {
            assertEquals("accepted", results.get(i).get("status").asText());
            assertEquals(published.get(i).eventId().toString(), results.get(i).get("eventId").asText());
        }
        assertEquals("movie-13", published.get(1).itemId());
        assertEquals("u-7", published.get(1).partitionKey());
    }

    @Test
    void post_as_text_plain_is_accepted_because_sendBeacon_sends_strings_that_way() throws Exception {
        HttpResponse<String> response = post(CLICK, "text/plain;charset=UTF-8");

        assertEquals(202, response.statusCode(), response.body());
        assertEquals(1, publisher.published().size());
    }

    @Test
    void post_without_itemId_gives_400_and_publishes_nothing() throws Exception {
        HttpResponse<String> response = post("{\"sessionId\":\"s-1\"}", "application/json");

        assertError(response, 400, "itemId is missing");
        assertNotNull(json(response).get("example"), "the error shows a valid click");
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void post_without_userId_or_sessionId_gives_400() throws Exception {
        assertError(post("{\"itemId\":\"movie-603\"}", "application/json"), 400, "userId or sessionId");
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void post_with_a_number_as_itemId_gives_400_naming_the_type() throws Exception {
        assertError(post("{\"itemId\":603,\"sessionId\":\"s-1\"}", "application/json"), 400,
                "itemId must be a string, got a number");
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void post_of_malformed_json_gives_400_naming_the_spot() throws Exception {
        assertError(post("{\"itemId\":\"movie-603\",", "application/json"), 400, "malformed JSON");
        assertError(post("{\"itemId\":\"a\",\"sessionId\":\"s\"} {}", "application/json"), 400, "malformed JSON");
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void post_of_invalid_utf8_gives_400() throws Exception {
        byte[] body = {'{', '"', 'i', 't', 'e', 'm', 'I', 'd', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(app.baseUri().resolve("/api/clicks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertError(response, 400, "not valid UTF-8");
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void post_of_an_empty_body_or_a_json_string_gives_400() throws Exception {
        assertError(post("", "application/json"), 400, "empty");
        assertError(post("\"movie-603\"", "application/json"), 400, "got string");
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void post_with_eventId_gives_400_because_the_server_sets_it() throws Exception {
        assertError(post("{\"itemId\":\"movie-603\",\"sessionId\":\"s-1\",\"eventId\":\"x\"}", "application/json"),
                400, "set by the server");
    }

    @Test
    void post_of_an_array_with_one_invalid_click_stores_the_others_and_reports_it_by_index() throws Exception {
        HttpResponse<String> response = post("[" + CLICK + "," + CLICK + ",{\"itemId\":\"movie-13\"}]",
                "application/json");

        assertEquals(202, response.statusCode(), response.body());
        JsonNode answer = json(response);
        assertEquals(2, answer.get("accepted").asInt());
        assertEquals(1, answer.get("rejected").asInt());
        assertEquals("accepted", answer.get("results").get(0).get("status").asText());
        assertEquals("rejected", answer.get("results").get(2).get("status").asText());
        assertTrue(answer.get("results").get(2).get("error").asText().contains("userId or sessionId"));
        assertEquals(2, publisher.published().size(), "the valid clicks are sent");
        assertEquals(1.0, metric("web_clicks_rejected_total"));
    }

    @Test
    void post_of_an_array_without_a_valid_click_gives_400_with_one_result_per_click() throws Exception {
        HttpResponse<String> response = post("[{\"itemId\":\"movie-13\"},{\"itemId\":\"a b\",\"userId\":\"u\"}]",
                "application/json");

        assertError(response, 400, "none of the 2 clicks is valid");
        JsonNode results = json(response).get("results");
        assertEquals("rejected", results.get(0).get("status").asText());
        assertTrue(results.get(1).get("error").asText().contains("U+0020"), results.toString());
        assertTrue(publisher.published().isEmpty());
        assertEquals(2.0, metric("web_clicks_rejected_total"));
    }

    @Test
    void post_of_an_empty_array_gives_400() throws Exception {
        assertError(post("[]", "application/json"), 400, "array is empty");
    }

    @Test
    void post_with_Content_Length_over_64_KiB_gives_413_without_waiting_for_the_body() throws Exception {
        String answer = rawExchange("POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + (MAX_BODY + 1) + "\r\n\r\n");

        assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
        assertTrue(answer.contains("\"limitBytes\":" + MAX_BODY), answer);
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void chunked_post_over_64_KiB_gives_413() throws Exception {
        StringBuilder request = new StringBuilder("POST /api/clicks HTTP/1.1\r\nHost: test\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        String chunk = "x".repeat(4096);
        for (int sent = 0; sent <= MAX_BODY; sent += chunk.length()) {
            request.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        request.append("0\r\n\r\n");

        String answer = rawExchange(request.toString());

        assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
        assertTrue(publisher.published().isEmpty());
        assertEquals(202, post(CLICK, "application/json").statusCode(), "the server stays healthy");
    }

    @Test
    void post_with_a_form_content_type_gives_415_listing_the_accepted_types() throws Exception {
        HttpResponse<String> response = post(CLICK, "application/x-www-form-urlencoded");

        assertError(response, 415, "Content-Type: application/json");
        assertEquals("application/json", json(response).get("accepted").get(0).asText());
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void post_without_a_content_type_is_read_as_json_as_an_untyped_beacon_sends_it() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(app.baseUri().resolve("/api/clicks"))
                .POST(HttpRequest.BodyPublishers.ofString(CLICK)).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(202, response.statusCode(), response.body());
        assertEquals(1, publisher.published().size());
    }

    @Test
    void post_in_latin1_gives_415_asking_for_utf8() throws Exception {
        assertError(post(CLICK, "application/json; charset=ISO-8859-1"), 415, "UTF-8");
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void get_on_api_clicks_gives_405_with_Allow_POST() throws Exception {
        HttpResponse<String> response = get("/api/clicks");

        assertError(response, 405, "POST");
        assertEquals("POST, OPTIONS", response.headers().firstValue("Allow").orElseThrow());
    }

    @Test
    void delete_on_readyz_gives_405_with_Allow_GET() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(app.baseUri().resolve("/readyz"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());

        assertError(response, 405, "use GET");
        assertEquals("GET, HEAD", response.headers().firstValue("Allow").orElseThrow());
    }

    @Test
    void unknown_path_gives_404_listing_the_paths() throws Exception {
        HttpResponse<String> response = get("/api/click");

        assertError(response, 404, "no such path: /api/click");
        assertEquals(WebRoutes.PATHS.size(), json(response).get("paths").size());
    }

    @Test
    void kafka_not_acknowledging_gives_503_with_Retry_After_and_an_incident_id_but_not_kafkas_words() throws Exception {
        publisher.failWhen(click -> new TimeoutException("Expiring 1 record(s) for broker-7.internal:4711"));

        HttpResponse<String> response = post(CLICK, "application/json");

        assertError(response, 503, "Kafka did not acknowledge the click in time; it is probably not stored: send it");
        assertRetryAfterWithin(response, 4, 8);
        assertTrue(json(response).get("incident").asText().matches("[0-9a-f]{10}"), response.body());
        assertFalse(response.body().contains("Expiring") || response.body().contains("broker-7")
                || response.body().contains("TimeoutException"), "the exception stays in the log: " + response.body());
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void an_unexpected_failure_gives_500_with_an_incident_id_and_no_exception_text() throws Exception {
        publisher.throwWhenAsked(new IllegalStateException("bug at /srv/secret/path"));

        HttpResponse<String> response = get("/readyz");

        assertError(response, 500, "the server failed unexpectedly");
        assertTrue(json(response).get("incident").asText().matches("[0-9a-f]{10}"), response.body());
        assertFalse(response.body().contains("secret") || response.body().contains("IllegalStateException"),
                response.body());
        assertEquals(202, post(CLICK, "application/json").statusCode(), "the server goes on");
    }

    @Test
    void array_with_one_click_not_acknowledged_gives_503_marking_which_to_send_again() throws Exception {
        publisher.failWhen(click -> click.itemId().equals("movie-13") ? new TimeoutException("expired") : null);

        HttpResponse<String> response = post("[" + CLICK + ",{\"itemId\":\"movie-13\",\"userId\":\"u-7\"}]",
                "application/json");

        assertError(response, 503, "1 of 2 clicks");
        JsonNode results = json(response).get("results");
        assertEquals("accepted", results.get(0).get("status").asText());
        assertEquals(publisher.published().get(0).eventId().toString(), results.get(0).get("eventId").asText());
        assertEquals("failed", results.get(1).get("status").asText());
        assertEquals("not acknowledged by Kafka in time", results.get(1).get("error").asText());
        assertFalse(response.body().contains("expired"), response.body());
        assertTrue(response.headers().firstValue("Retry-After").isPresent());
    }

    @Test
    void body_shorter_than_its_Content_Length_gives_408_and_the_server_stays_responsive() throws Exception {
        long started = System.nanoTime();
        String answer = rawExchange("POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: 500\r\n\r\n{\"itemId\":");
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
        assertTrue(answer.contains("\"error\":\"the request body did not arrive in time"), answer);
        assertTrue(took.compareTo(LIMITS.bodyTimeout().plusSeconds(2)) < 0, "answered after " + took);
        assertEquals(202, post(CLICK, "application/json").statusCode());
        assertEquals(1, publisher.published().size(), "only the complete click");
    }

    @Test
    void many_clicks_wait_for_kafka_together_without_holding_a_thread_each() throws Exception {
        publisher.holdUntilFlush();
        int clicks = 300;
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < clicks; i++) {
            answers.add(client.sendAsync(clickRequest("{\"itemId\":\"movie-" + i + "\",\"sessionId\":\"s-" + i + "\"}"),
                    HttpResponse.BodyHandlers.ofString()));
        }

        awaitTrue(() -> publisher.pending() == clicks, "all " + clicks + " clicks are sent before any is acknowledged");
        assertTrue(answers.stream().noneMatch(CompletableFuture::isDone), "no answer before Kafka acknowledges");
        publisher.flush();

        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            assertEquals(202, answer.get().statusCode());
        }
    }

    @Test
    void close_answers_the_clicks_in_flight_then_stops() throws Exception {
        publisher.holdUntilFlush();
        CompletableFuture<HttpResponse<String>> inFlight =
                client.sendAsync(clickRequest(CLICK), HttpResponse.BodyHandlers.ofString());
        awaitTrue(() -> publisher.pending() == 1, "the click reaches the publisher");
        URI base = app.baseUri();

        app.close();

        assertEquals(202, inFlight.get().statusCode(), "a click sent before close is answered");
        assertTrue(publisher.closed());
        assertThrows(ConnectException.class, () -> new Socket(base.getHost(), base.getPort()).close());
    }

    @Test
    void get_root_serves_the_demo_page_that_posts_to_api_clicks() throws Exception {
        HttpResponse<String> response = get("/");

        assertEquals(200, response.statusCode());
        assertEquals("text/html; charset=utf-8", response.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(response.body().contains("<script src=\"/clicklog.js\""), "the page uses the tracker script");
        assertTrue(response.body().contains("<script src=\"/demo.js\""), response.body());
        assertFalse(response.body().contains("<script>"), "no inline script: the policy forbids it");
        String policy = response.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), policy);
        assertFalse(policy.contains("unsafe-inline"), policy);
        assertTrue(get("/demo.js").body().contains("clicklog.track("), "the demo's clicks go through the tracker");
    }

    @Test
    void a_burst_of_bad_requests_leaves_the_server_healthy_and_sends_nothing() throws Exception {
        for (int i = 0; i < 50; i++) {
            assertEquals(400, post("{\"itemId\":" + "[".repeat(i), "application/json").statusCode());
            assertEquals(415, post(CLICK, "text/html").statusCode());
        }
        assertTrue(publisher.published().isEmpty());
        assertEquals(202, post(CLICK, "application/json").statusCode());
    }

    @Test
    void paths_match_exactly_not_by_prefix() throws Exception {
        assertEquals(404, get("/health").statusCode());
        assertEquals(404, get("/readyz/extra").statusCode());
        assertEquals(404, get("/api/clicks/extra").statusCode());
    }

    @Test
    void post_with_Expect_100_continue_gets_100_then_202() throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                    + "Expect: 100-continue\r\nContent-Length: " + CLICK.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 100"), "100 Continue first");
            out.write(CLICK.getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 202"));
        }
        assertEquals(1, publisher.published().size());
    }

    @Test
    void post_over_the_limit_with_Expect_100_continue_gets_413_and_no_100() throws Exception {
        String answer = rawExchange("POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Expect: 100-continue\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n");

        assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
        assertTrue(answer.contains("\"limitBytes\":" + MAX_BODY), answer);
    }

    @Test
    void a_413_reaches_a_client_that_is_still_sending_its_body() throws Exception {
        // curl without Expect sends the whole body before it reads: the server must not reset the connection
        // under it, or curl sees "connection reset" instead of the 413.
        int size = 4 * MAX_BODY;
        AtomicLong sent = new AtomicLong();
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            Thread sender = new Thread(() -> {
                try {
                    out.write(("POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[1024];
                    java.util.Arrays.fill(chunk, (byte) 'x');
                    for (int i = 0; i < size / chunk.length; i++) {
                        out.write(chunk);
                        sent.addAndGet(chunk.length);
                    }
                    out.flush();
                } catch (IOException e) {
                    // the server closed after its answer: expected once the body is (partly) drained
                }
            });
            sender.start();
            String answer = readAnswer(socket.getInputStream());
            sender.join(10_000);

            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            assertTrue(answer.contains("\"limitBytes\":" + MAX_BODY), answer);
            assertTrue(answer.toLowerCase(Locale.ROOT).contains("connection: close"), answer);
        }
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void headers_that_trickle_past_the_header_timeout_get_408_and_the_connection_closes() throws Exception {
        try (Socket socket = connect()) {
            long started = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            out.write("POST /api/clicks HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = readAnswer(socket.getInputStream());
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(answer.contains("headers did not arrive within"), answer);
            assertTrue(took.compareTo(LIMITS.headerTimeout()) >= 0
                    && took.compareTo(LIMITS.headerTimeout().plusSeconds(2)) < 0, "408 after " + took);
            assertEquals(-1, socket.getInputStream().read(), "the server closes the connection after the 408");
        }
        assertEquals(202, post(CLICK, "application/json").statusCode());
    }

    @Test
    void an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_without_an_answer() throws Exception {
        try (Socket socket = connect()) {
            long started = System.nanoTime();
            assertEquals(-1, socket.getInputStream().read(), "closed, nothing written");
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertTrue(took.compareTo(LIMITS.idleTimeout().minusMillis(100)) >= 0
                    && took.compareTo(LIMITS.idleTimeout().plusSeconds(2)) < 0, "closed after " + took);
        }
    }

    @Test
    void a_keep_alive_connection_idle_after_an_answer_gets_no_408_and_closes_at_the_idle_timeout() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(
                    "GET /livez HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 200"));
            long answered = System.nanoTime();

            assertEquals(-1, socket.getInputStream().read(), "closed without another answer (no 408)");
            Duration idle = Duration.ofNanos(System.nanoTime() - answered);
            assertTrue(idle.compareTo(LIMITS.idleTimeout().minusMillis(100)) >= 0, "closed after " + idle
                    + ", before the idle timeout: the header timeout must not start without new bytes");
        }
    }

    @Test
    void pipelined_requests_are_answered_one_by_one_in_order() throws Exception {
        String valid = "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + CLICK.length() + "\r\n\r\n" + CLICK;
        String invalid = "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: 2\r\n\r\n{}";
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write((valid + invalid + valid).getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            assertTrue(readAnswer(in).startsWith("HTTP/1.1 202"));
            assertTrue(readAnswer(in).startsWith("HTTP/1.1 400"));
            assertTrue(readAnswer(in).startsWith("HTTP/1.1 202"));
        }
        assertEquals(2, publisher.published().size());
    }

    @Test
    void a_client_that_never_reads_its_answers_is_cut_off_and_others_are_served_meanwhile() throws Exception {
        String request = "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + CLICK.length() + "\r\n\r\n" + CLICK;
        byte[] many = request.repeat(100).getBytes(StandardCharsets.UTF_8);
        AtomicBoolean cutOff = new AtomicBoolean();
        long started = System.nanoTime();
        try (Socket socket = connect()) {
            socket.setReceiveBufferSize(4096);
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    while (System.nanoTime() - started < Duration.ofSeconds(60).toNanos()) {
                        out.write(many);
                    }
                } catch (IOException e) {
                    cutOff.set(true);
                }
            });
            writer.setDaemon(true);
            writer.start();
            for (int i = 0; i < 20; i++) {
                assertEquals(202, post(CLICK, "application/json").statusCode(), "others are served meanwhile");
            }
            writer.join(30_000);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(cutOff.get(), "the server should have closed the connection of a client that never reads");
        // Cut off either by the codec's bound on pipelined requests (128) or by the answer timeout, whichever first.
        System.out.printf("a client that pipelined clicks and never read was cut off after %d ms; %d of its clicks"
                + " were taken%n", took.toMillis(), publisher.published().size() - 20);
    }

    @Test
    void past_the_connection_limit_a_new_connection_gets_503_with_Retry_After() throws Exception {
        app.close();
        app = WebProducerApp.start(config(LIMITS.withMaxConnections(3, 3)), new InMemoryClickPublisher(), readiness);
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket socket = connect();
                held.add(socket);
                // an answer on it proves the server counts it
                socket.getOutputStream().write("GET /livez HTTP/1.1\r\nHost: test\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 200"));
            }
            String answer = rawExchange("GET /livez HTTP/1.1\r\nHost: test\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
            assertTrue(answer.contains("connections open, its limit"), answer);
            assertTrue(answer.contains("Retry-After: "), answer);
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        awaitTrue(() -> {
            try {
                return post(CLICK, "application/json").statusCode() == 202;
            } catch (IOException | InterruptedException e) {
                return false;
            }
        }, "a connection is served again once the others closed");
    }

    @Test
    void past_the_in_flight_bound_a_request_gets_503_at_once_and_nothing_is_sent() throws Exception {
        app.close();
        InMemoryClickPublisher publisher = new InMemoryClickPublisher();
        // 4 clicks in flight at most, one per client (a quarter): four clients fill it.
        app = WebProducerApp.start(config(LIMITS), publisher, readiness, new InFlightClicks(4, 1 << 20));
        publisher.holdUntilFlush();
        List<Socket> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Socket socket = connectFrom("127.0.0." + (2 + i));
            waiting.add(socket);
            socket.getOutputStream().write(rawClick(CLICK).getBytes(StandardCharsets.UTF_8));
        }
        awaitTrue(() -> publisher.pending() == 4, "4 clicks wait for Kafka");

        long started = System.nanoTime();
        HttpResponse<String> refused = post("[" + CLICK + "," + CLICK + "]", "application/json");
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertError(refused, 503, "as many clicks waiting for Kafka as it takes: nothing was sent");
        assertRetryAfterWithin(refused, 1, 3);
        assertTrue(json(refused).get("incident").asText().matches("[0-9a-f]{10}"), refused.body());
        assertTrue(took.compareTo(Duration.ofMillis(500)) < 0, "503 after " + took);
        assertEquals(4, publisher.published().size(), "the refused clicks were not sent");
        publisher.flush();
        for (Socket socket : waiting) {
            assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 202"));
            socket.close();
        }
        CompletableFuture<HttpResponse<String>> again = client.sendAsync(clickRequest(CLICK),
                HttpResponse.BodyHandlers.ofString());
        awaitTrue(() -> publisher.pending() == 1, "room again once Kafka acknowledged: the click is sent");
        publisher.flush();
        assertEquals(202, again.get().statusCode());
        assertEquals(1.0, metric("web_unavailable_total{cause=\"overloaded\"}"));
    }

    @Test
    void livez_says_UP_with_no_detail() throws Exception {
        HttpResponse<String> response = get("/livez");

        assertEquals(200, response.statusCode());
        assertEquals("{\"status\":\"UP\"}", response.body());
    }

    @Test
    void readyz_is_200_while_the_broker_answers_and_503_when_not_with_the_reason_on_the_management_port()
            throws Exception {
        HttpResponse<String> ready = get("/readyz");
        HttpResponse<String> readyDetail = manage("/readyz");
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("{\"status\":\"READY\"}", ready.body(), "the public port says only that");
        assertEquals(200, readyDetail.statusCode(), readyDetail.body());
        assertTrue(json(readyDetail).get("detail").asText().contains("cluster test-cluster"), readyDetail.body());

        brokerUp = false;
        readiness.probeOnce();
        HttpResponse<String> notReady = get("/readyz");
        HttpResponse<String> notReadyDetail = manage("/readyz");

        assertEquals(503, notReady.statusCode());
        assertEquals("{\"status\":\"NOT_READY\"}", notReady.body(), "no reason on the public port");
        assertEquals(503, notReadyDetail.statusCode());
        assertEquals("the broker does not answer", json(notReadyDetail).get("reason").asText());
        assertEquals(200, get("/livez").statusCode(), "the process itself is alive");
        assertEquals(200, manage("/livez").statusCode());
    }

    @Test
    void the_public_port_shows_no_addresses_or_cluster_id_even_to_a_caller_on_this_machine() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(
                    "GET /readyz HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = readAnswer(socket.getInputStream());

            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertTrue(answer.endsWith("{\"status\":\"READY\"}"), answer);
            assertFalse(answer.contains("localhost:1") || answer.contains("test-cluster"), answer);
        }
        assertEquals(404, get("/metrics").statusCode(), "metrics are on the management port only");
    }

    @Test
    void the_management_port_serves_metrics_and_readiness_and_nothing_of_the_public_port() throws Exception {
        assertTrue(app.managementPort() != app.port());
        assertEquals(404, manage("/api/clicks").statusCode(), "no clicks on the management port");
        assertEquals(404, manage("/").statusCode());
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(app.managementUri().resolve("/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode(), post.body());
    }

    @Test
    void metrics_count_accepted_and_rejected_clicks_and_show_kafka_latency_and_the_jvm() throws Exception {
        assertEquals(202, post(CLICK, "application/json").statusCode());
        assertEquals(202, post("[" + CLICK + "," + CLICK + "]", "application/json").statusCode());
        assertEquals(400, post("{}", "application/json").statusCode());
        assertEquals(415, post(CLICK, "text/html").statusCode());

        HttpResponse<String> response = manage("/metrics");

        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
        assertEquals(3.0, metric("web_clicks_accepted_total"));
        assertEquals(1.0, metric("web_requests_rejected_total{reason=\"invalid_click\"}"));
        assertEquals(1.0, metric("web_requests_rejected_total{reason=\"unsupported_media_type\"}"));
        assertEquals(3.0, metric("web_kafka_ack_seconds_count{outcome=\"acknowledged\"}"));
        assertEquals(0.0, metric("web_clicks_in_flight"));
        assertEquals(0.0, metric("web_request_memory_bytes"), "nothing unfinished");
        assertEquals((double) LIMITS.requestMemoryBytes(), metric("web_request_memory_limit_bytes"));
        assertTrue(response.body().contains("jvm_memory_used_bytes{area=\"heap\"}"), "JVM memory");
        assertTrue(response.body().contains("jvm_gc_collection_seconds"), "GC");
        assertTrue(response.body().contains("web_netty_direct_memory_bytes "), "Netty's direct memory");
    }

    @Test
    void head_on_the_demo_page_gives_its_length_and_no_body() throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write("HEAD / HTTP/1.1\r\nHost: test\r\n\r\nGET /livez HTTP/1.1\r\nHost: test\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = readAnswer(socket.getInputStream(), true);
            String next = readAnswer(socket.getInputStream());

            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertTrue(head.toLowerCase(Locale.ROOT).contains("content-length: "), head);
            assertTrue(next.startsWith("HTTP/1.1 200") && next.endsWith("{\"status\":\"UP\"}"),
                    "the next answer follows the headers at once, so the HEAD answer had no body: " + next);
        }
    }

    @Test
    void a_request_that_is_not_http_gets_400_json_and_the_connection_closes() throws Exception {
        String answer = rawExchange("HELLO\u0001 there\r\n\r\n");

        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        assertTrue(answer.contains("not a valid HTTP/1.1 request"), answer);
    }

    private HttpRequest clickRequest(String body) {
        return HttpRequest.newBuilder(app.baseUri().resolve("/api/clicks"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpResponse<String> post(String body, String contentType) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(app.baseUri().resolve("/api/clicks"))
                .header("Content-Type", contentType)
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(app.baseUri().resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return ClickJson.mapper().readTree(response.body());
    }

    private static void assertError(HttpResponse<String> response, int status, String mentions) throws IOException {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        String error = json(response).get("error").asText();
        assertTrue(error.contains(mentions), "expected the error to mention '" + mentions + "': " + error);
    }

    /**
     * Sends bytes the HTTP client would not send (a wrong Content-Length, a hand-made chunked body) and reads one
     * answer: the status line, the headers and a body of the announced length.
     */
    private String rawExchange(String request) throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return readAnswer(socket.getInputStream());
        }
    }

    /** A connection from another loopback address: another client (Linux routes 127.0.0.0/8 to this machine). */
    private Socket connectFrom(String source) throws IOException {
        Socket socket = new Socket();
        socket.bind(new java.net.InetSocketAddress(source, 0));
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", app.port()), 5_000);
        socket.setSoTimeout(15_000);
        return socket;
    }

    private static String rawClick(String body) {
        return "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(app.baseUri().getHost(), app.port());
        socket.setSoTimeout(15_000);
        return socket;
    }

    private static String readAnswer(InputStream in) throws IOException {
        return RawAnswers.read(in);
    }

    private static String readAnswer(InputStream in, boolean headOnly) throws IOException {
        return RawAnswers.read(in, headOnly);
    }

    /** GET on the management port. */
    private HttpResponse<String> manage(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(app.managementUri().resolve(path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one sample line of /metrics on the management port, e.g. {@code web_clicks_accepted_total}. */
    private double metric(String sample) {
        try {
            String body = manage("/metrics").body();
            return body.lines().filter(line -> line.startsWith(sample + " ")).findFirst()
                    .map(line -> Double.parseDouble(line.substring(sample.length() + 1).trim()))
                    .orElseThrow(() -> new AssertionError("no sample " + sample + " in /metrics:\n" + body));
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("GET /metrics failed", e);
        }
    }

    private static void assertRetryAfterWithin(HttpResponse<String> response, int min, int max) throws IOException {
        int seconds = Integer.parseInt(response.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(seconds >= min && seconds <= max, "Retry-After " + seconds + " not within " + min + "-" + max);
        assertEquals(seconds, json(response).get("retryAfterSeconds").asInt(), "the body says the same");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }
}
