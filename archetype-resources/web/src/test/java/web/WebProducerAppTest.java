package ${package}.web;

import ${package}.shared.BootstrapServers;
import ${package}.shared.ClickEvent;
import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP layer over real HTTP on a free port, with an in-memory publisher in place of Kafka (the smoke test
 * in the dev module runs the same server against a real broker).
 */
class WebProducerAppTest {

    private static final String CLICK = "{\"itemId\":\"movie-603\",\"sessionId\":\"s-1\",\"page\":\"/movies\"}";
    private static final Duration BODY_READ_TIMEOUT = Duration.ofMillis(500);

    private final InMemoryClickPublisher publisher = new InMemoryClickPublisher();
    private final AtomicInteger probes = new AtomicInteger();
    private volatile boolean brokerUp = true;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private WebProducerApp app;

    @BeforeEach
    void start() {
        BrokerHealth health = new BrokerHealth(timeout -> {
            probes.incrementAndGet();
            if (!brokerUp) {
                throw new TimeoutException("Timed out waiting for a node assignment");
            }
            return "cluster test-cluster, brokers localhost:1";
        });
        WebProducerConfig config = new WebProducerConfig(
                new BootstrapServers("localhost:1", "the test"), "clicks-test", 0, Map.of());
        app = WebProducerApp.start(config, publisher, health, BODY_READ_TIMEOUT);
    }

    @AfterEach
    void stop() {
        app.close();
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
    void post_of_an_array_with_one_invalid_click_gives_400_naming_its_index_and_publishes_nothing() throws Exception {
        HttpResponse<String> response = post("[" + CLICK + "," + CLICK + ",{\"itemId\":\"movie-13\"}]",
                "application/json");

        assertError(response, 400, "click [2]");
        assertEquals(2, json(response).get("index").asInt());
        assertTrue(publisher.published().isEmpty(), "no click of a rejected array is sent");
    }

    @Test
    void post_of_an_empty_array_gives_400() throws Exception {
        assertError(post("[]", "application/json"), 400, "array is empty");
    }

    @Test
    void post_with_Content_Length_over_64_KiB_gives_413_without_waiting_for_the_body() throws Exception {
        String answer = rawExchange("POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + (ClicksEndpoint.MAX_BODY_BYTES + 1) + "\r\n\r\n");

        assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
        assertTrue(answer.contains("\"limitBytes\":" + ClicksEndpoint.MAX_BODY_BYTES), answer);
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void chunked_post_over_64_KiB_gives_413() throws Exception {
        StringBuilder request = new StringBuilder("POST /api/clicks HTTP/1.1\r\nHost: test\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        String chunk = "x".repeat(4096);
        for (int sent = 0; sent <= ClicksEndpoint.MAX_BODY_BYTES; sent += chunk.length()) {
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
    void post_without_a_content_type_gives_415() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(app.baseUri().resolve("/api/clicks"))
                .POST(HttpRequest.BodyPublishers.ofString(CLICK)).build(), HttpResponse.BodyHandlers.ofString());

        assertError(response, 415, "Content-Type is missing");
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
        assertEquals("POST", response.headers().firstValue("Allow").orElseThrow());
    }

    @Test
    void delete_on_health_gives_405_with_Allow_GET() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(app.baseUri().resolve("/health"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());

        assertError(response, 405, "use GET");
        assertEquals("GET, HEAD", response.headers().firstValue("Allow").orElseThrow());
    }

    @Test
    void unknown_path_gives_404_listing_the_paths() throws Exception {
        HttpResponse<String> response = get("/api/click");

        assertError(response, 404, "no such path: /api/click");
        assertEquals(3, json(response).get("paths").size());
    }

    @Test
    void kafka_not_acknowledging_gives_503_with_Retry_After_and_the_reason() throws Exception {
        publisher.failWhen(click -> new TimeoutException("Expiring 1 record(s): 5000 ms has passed"));

        HttpResponse<String> response = post(CLICK, "application/json");

        assertError(response, 503, "Kafka did not acknowledge the click (TimeoutException: Expiring");
        assertEquals(String.valueOf(ClicksEndpoint.RETRY_AFTER_SECONDS),
                response.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(publisher.published().isEmpty());
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
        assertTrue(results.get(1).get("error").asText().contains("expired"));
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
        assertTrue(took.compareTo(BODY_READ_TIMEOUT.plusSeconds(2)) < 0, "answered after " + took);
        assertEquals(202, post(CLICK, "application/json").statusCode());
        assertEquals(1, publisher.published().size(), "only the complete click");
    }

    @Test
    void many_clicks_wait_for_kafka_together_without_holding_a_worker_each() throws Exception {
        publisher.holdUntilFlush();
        int clicks = WebProducerApp.WORKER_THREADS * 3;
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
        assertTrue(response.body().contains("fetch(\"/api/clicks\""), "the page posts clicks");
        assertTrue(response.body().contains("localStorage"), "the page keeps a session id per browser");
    }

    @Test
    void health_says_UP_and_whether_the_broker_is_reachable() throws Exception {
        JsonNode up = json(get("/health"));
        assertEquals("UP", up.get("status").asText());
        assertEquals("reachable", up.get("broker").asText());
        assertEquals("localhost:1", up.get("bootstrap").asText());
        assertEquals("clicks-test", up.get("topic").asText());

        brokerUp = false;
        Thread.sleep(BrokerHealth.CACHE_FOR.toMillis() + 100);
        HttpResponse<String> response = get("/health");

        assertEquals(200, response.statusCode(), "the web app itself is up");
        JsonNode down = json(response);
        assertEquals("unreachable", down.get("broker").asText());
        assertTrue(down.get("hint").asText().contains(BootstrapServers.LISTENER_DOCTOR_COMMAND), down.toString());
    }

    @Test
    void health_asks_the_broker_at_most_once_per_cache_period() throws Exception {
        for (int i = 0; i < 10; i++) {
            assertEquals(200, get("/health").statusCode());
        }
        assertEquals(1, probes.get());
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
        assertEquals(404, get("/healthz").statusCode());
        assertEquals(404, get("/api/clicks/extra").statusCode());
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
        try (Socket socket = new Socket(app.baseUri().getHost(), app.port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.write(b);
            }
            String headers = head.toString(StandardCharsets.ISO_8859_1);
            int length = headers.lines()
                    .filter(line -> line.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                    .map(line -> Integer.parseInt(line.substring("content-length:".length()).trim()))
                    .findFirst().orElse(0);
            return headers + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }
}
