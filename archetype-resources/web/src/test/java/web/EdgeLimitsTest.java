package ${package}.web;

import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
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
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the clients of the web producer may cost it, in sum and each: the memory of unfinished requests, and each
 * client's share of connections, clicks in flight and that memory, with clients told apart by their addresses
 * (Linux routes all of 127.0.0.0/8 to this machine, so a test can be several clients) or, behind a trusted proxy,
 * by what the proxy reports. Real HTTP on free ports, an in-memory publisher in place of Kafka; the fault tests in
 * loadtest/ run the same attacks at scale on the real process.
 */
class EdgeLimitsTest {

    private static final String CLICK = "{\"itemId\":\"movie-603\",\"sessionId\":\"s-1\"}";
    /** The least the memory for unfinished requests may be: one whole request of the largest body. */
    private static final long ONE_REQUEST = RequestMemory.UNFINISHED_REQUEST_BYTES + HttpLimits.DEFAULT.maxBodyBytes();

    private final InMemoryClickPublisher publisher = new InMemoryClickPublisher();
    private final BrokerReadiness readiness = new BrokerReadiness(timeout ->
            new BrokerReadiness.Answer(3, 3, "bootstrap localhost:1, cluster test-cluster, brokers localhost:1"));
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<Socket> sockets = new ArrayList<>();
    private WebProducerApp app;

    private void start(HttpLimits limits, InFlightClicks inFlight, TrustedProxies proxies) {
        readiness.probeOnce();
        WebProducerConfig config = new WebProducerConfig(new BootstrapServers("localhost:1", "the test"),
                "clicks-test", 0, limits, null, Map.of()).withTrustedProxies(proxies);
        app = WebProducerApp.start(config, publisher, readiness, inFlight);
    }

    private void start(HttpLimits limits) {
        start(limits, new InFlightClicks(10_000, 1 << 24), TrustedProxies.none());
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void a_body_declared_at_64_KiB_of_which_one_byte_came_holds_what_came_not_what_was_declared() throws Exception {
        start(HttpLimits.DEFAULT);

        Socket socket = from("127.0.0.1");
        write(socket, head(65_536) + "{");
        awaitTrue(() -> metric("web_request_memory_bytes") > 0, "the unfinished request is counted");

        double held = metric("web_request_memory_bytes");
        assertTrue(held < 8 * 1024, "one byte of body and a head should hold a few KiB, not 64: " + held);
        socket.close();
        awaitTrue(() -> metric("web_request_memory_bytes") == 0, "a closed connection releases what it held");
    }

    @Test
    void after_a_request_with_a_long_head_the_connection_goes_on_with_a_fresh_decoder() throws Exception {
        start(HttpLimits.DEFAULT);
        String longHead = "POST /api/clicks HTTP/1.1\r\nHost: test\r\nCookie: s=" + "c".repeat(12_000) + "\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + CLICK.length() + "\r\n\r\n" + CLICK;
        String shortHead = "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + CLICK.length() + "\r\n\r\n" + CLICK;

        Socket socket = from("127.0.0.2");
        for (String request : List.of(longHead, shortHead, longHead + shortHead, shortHead)) {
            write(socket, request);
            assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 202"));
        }
        assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 202"), "the pipelined one too");
        assertEquals(5, publisher.published().size());
    }

    @Test
    void a_request_framed_both_chunked_and_by_length_is_refused_and_its_connection_closed() throws Exception {
        start(HttpLimits.DEFAULT);
        Socket socket = from("127.0.0.2");
        write(socket, "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(CLICK.length())
                + "\r\n" + CLICK + "\r\n0\r\n\r\n");

        String answer = readAnswer(socket.getInputStream());
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        assertTrue(answer.toLowerCase(Locale.ROOT).contains("connection: close"), "what follows such a request on"
                + " the connection cannot be trusted (a proxy may have framed it the other way): " + answer);
        assertEquals(-1, socket.getInputStream().read());
        assertTrue(publisher.published().isEmpty());
    }

    @Test
    void a_head_of_more_than_100_header_fields_gets_431_whole_or_still_arriving() throws Exception {
        start(HttpLimits.DEFAULT);
        StringBuilder fields = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            fields.append("x").append(i).append(": 1\r\n");
        }

        Socket whole = from("127.0.0.2");
        write(whole, "GET /livez HTTP/1.1\r\nHost: test\r\n" + fields + "\r\n");
        Socket arriving = from("127.0.0.3");
        write(arriving, "GET /livez HTTP/1.1\r\nHost: test\r\n" + fields);

        for (Socket socket : List.of(whole, arriving)) {
            String answer = readAnswer(socket.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
            assertTrue(answer.contains("the limit is 100: send fewer headers"), answer);
        }
        assertEquals(202, post(CLICK).statusCode());
    }

    @Test
    void past_the_memory_for_unfinished_requests_the_one_asking_for_more_gets_503_and_whole_requests_pass()
            throws Exception {
        start(HttpLimits.DEFAULT.withRequestMemory(ONE_REQUEST));

        Socket first = from("127.0.0.2");
        write(first, head(60_000) + "x".repeat(20_000));
        awaitTrue(() -> metric("web_request_memory_bytes") > 20_000, "the first request's 20,000 bytes are held");
        Socket second = from("127.0.0.3");
        write(second, head(60_000) + "x".repeat(20_000));
        String refused = readAnswer(second.getInputStream());

        assertTrue(refused.startsWith("HTTP/1.1 503"), refused);
        assertTrue(refused.contains("Retry-After: "), refused);
        JsonNode body = ClickJson.mapper().readTree(refused.substring(refused.indexOf("\r\n\r\n") + 4));
        assertTrue(body.get("error").asText().contains("as many unfinished requests as it has memory for"), refused);
        assertTrue(body.get("incident").asText().matches("[0-9a-f]{10}"), refused);
        assertEquals(1.0, metric("web_unavailable_total{cause=\"request_memory\"}"));
        assertEquals(202, post(CLICK).statusCode(), "a request that arrives whole needs no room to wait in");
        assertTrue(metric("web_request_memory_bytes") <= ONE_REQUEST, "within the bound between reads");
        write(first, "y");
        assertTrue(first.isConnected() && !first.isClosed(), "the first request goes on");
    }

    @Test
    void pipelined_requests_that_find_no_room_are_dropped_and_the_connection_closes_after_its_answer()
            throws Exception {
        start(HttpLimits.DEFAULT.withRequestMemory(ONE_REQUEST));
        publisher.holdUntilFlush();
        String batch = "[" + (CLICK + ",").repeat(1_000) + CLICK + "]";
        String request = "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + batch.length() + "\r\n\r\n" + batch;

        // A batch that waits for Kafka (its reads make Netty read this connection in large pieces) ...
        Socket pipelining = from("127.0.0.3");
        write(pipelining, request);
        awaitTrue(() -> publisher.pending() == 1_001, "its clicks wait for Kafka");
        // ... while another client's unfinished request takes nearly all the room ...
        Socket holding = from("127.0.0.2");
        write(holding, head(60_000) + "x".repeat(50_000));
        awaitTrue(() -> metric("web_request_memory_bytes") > 50_000, "the other request's bytes are held");
        // ... then another batch pipelined behind the first, read while the first is answered: no room for it.
        write(pipelining, request);
        awaitTrue(() -> metric("web_unavailable_total{cause=\"request_memory\"}") == 1, "the pipelined request is"
                + " dropped for lack of room");
        publisher.flush();

        String answer = readAnswer(pipelining.getInputStream());
        assertTrue(answer.startsWith("HTTP/1.1 202"), answer);
        assertTrue(answer.toLowerCase(Locale.ROOT).contains("connection: close"), answer);
        assertEquals(-1, pipelining.getInputStream().read(), "closed after the answer: the dropped request is not"
                + " answered, and the client sends it again");
        assertEquals(1_001, publisher.published().size());
    }

    @Test
    void a_client_that_pipelines_is_served_at_8_KiB_of_body_a_second() throws Exception {
        start(HttpLimits.DEFAULT);
        String body = "[" + (CLICK + ",").repeat(99) + CLICK + "]";
        String request = "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body;

        Socket pipelining = from("127.0.0.2");
        long started = System.nanoTime();
        write(pipelining, request.repeat(3));
        for (int i = 0; i < 3; i++) {
            assertTrue(readAnswer(pipelining.getInputStream()).startsWith("HTTP/1.1 202"));
        }
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        long paced = 2 * (body.length() + 1024) * 1000L / ClickConnection.PIPELINED_BYTES_PER_SECOND;
        assertTrue(tookMillis >= paced - 50, "three pipelined batches of " + body.length() + " bytes answered in "
                + tookMillis + " ms: the second and third should wait their turn, " + paced + " ms in all");
        assertEquals(202, post(CLICK).statusCode(), "another client is served at once meanwhile");
    }

    @Test
    void past_a_clients_share_of_that_memory_it_gets_429_and_another_client_still_fits() throws Exception {
        start(HttpLimits.DEFAULT.withRequestMemory(HttpLimits.CLIENT_REQUEST_MEMORY_SHARE * ONE_REQUEST));

        Socket first = from("127.0.0.2");
        write(first, head(60_000) + "x".repeat(20_000));
        awaitTrue(() -> metric("web_request_memory_bytes") > 20_000, "the first request's bytes are held");
        Socket second = from("127.0.0.2");
        write(second, head(60_000) + "x".repeat(20_000));
        String refused = readAnswer(second.getInputStream());
        Socket other = from("127.0.0.3");
        write(other, head(60_000) + "x".repeat(20_000));

        assertTrue(refused.startsWith("HTTP/1.1 429"), refused);
        assertTrue(refused.contains("this client's unfinished requests hold"), refused);
        assertEquals(1.0, metric("web_requests_rejected_total{reason=\"client_request_memory\"}"));
        awaitTrue(() -> metric("web_request_memory_bytes") > 40_000, "the other client's request is held too");
    }

    @Test
    void past_a_clients_share_of_connections_a_new_one_gets_429_and_other_clients_still_connect() throws Exception {
        start(HttpLimits.DEFAULT.withMaxConnections(100, 3));

        for (int i = 0; i < 3; i++) {
            Socket socket = from("127.0.0.2");
            write(socket, "GET /livez HTTP/1.1\r\nHost: test\r\n\r\n");
            assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 200"));
        }
        String refused = readAnswer(from("127.0.0.2").getInputStream());
        Socket other = from("127.0.0.3");
        write(other, "GET /livez HTTP/1.1\r\nHost: test\r\n\r\n");

        assertTrue(refused.startsWith("HTTP/1.1 429"), refused);
        assertTrue(refused.contains("Retry-After: "), refused);
        assertTrue(refused.contains("this client has 3 connections open, its share"), refused);
        assertTrue(readAnswer(other.getInputStream()).startsWith("HTTP/1.1 200"));
        assertEquals(1.0, metric("web_requests_rejected_total{reason=\"client_connections\"}"));
    }

    @Test
    void past_a_clients_share_of_clicks_in_flight_it_gets_429_and_others_still_get_202() throws Exception {
        start(HttpLimits.DEFAULT, new InFlightClicks(8, 1 << 20), TrustedProxies.none());
        publisher.holdUntilFlush();

        List<Socket> waiting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            waiting.add(postFrom("127.0.0.2", ""));
        }
        awaitTrue(() -> publisher.pending() == 2, "two clicks of one client wait for Kafka");
        Socket flooding = postFrom("127.0.0.2", "");
        String refused = readAnswer(flooding.getInputStream());
        waiting.add(postFrom("127.0.0.3", ""));
        awaitTrue(() -> publisher.pending() == 3, "another client's click is sent");

        assertTrue(refused.startsWith("HTTP/1.1 429"), refused);
        assertTrue(refused.contains("this client has 2 clicks waiting for Kafka, its share"), refused);
        // Sent again at once, not after Retry-After: that connection is not read until then.
        long retryAfter = Long.parseLong(refused.replaceAll("(?s).*Retry-After: (\\d+).*", "$1"));
        long started = System.nanoTime();
        write(flooding, "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + CLICK.length() + "\r\n\r\n" + CLICK);
        String again = readAnswer(flooding.getInputStream());
        long waitedMillis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(again.startsWith("HTTP/1.1 429"), again);
        assertTrue(waitedMillis >= retryAfter * 1000 - 100, "answered after " + waitedMillis + " ms, before the"
                + " Retry-After of " + retryAfter + " s");
        publisher.flush();
        for (Socket socket : waiting) {
            assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 202"));
        }
        assertEquals(2.0, metric("web_requests_rejected_total{reason=\"client_clicks_in_flight\"}"));
    }

    @Test
    void behind_a_trusted_proxy_each_forwarded_client_has_its_share_and_an_untrusted_senders_header_is_ignored()
            throws Exception {
        start(HttpLimits.DEFAULT.withMaxConnections(100, 3), new InFlightClicks(8, 1 << 20),
                TrustedProxies.parse("127.0.0.1", ""));
        publisher.holdUntilFlush();

        List<Socket> waiting = new ArrayList<>();
        // Through the proxy (127.0.0.1): many connections, each client counted by its forwarded address.
        for (int i = 0; i < 2; i++) {
            waiting.add(postFrom("127.0.0.1", "X-Forwarded-For: 198.51.100.7, 203.0.113.9\r\n"));
        }
        // (each wait: requests on different connections are taken in no particular order)
        awaitTrue(() -> publisher.pending() == 2, "203.0.113.9's two clicks are sent");
        String forwardedRefused = readAnswer(postFrom("127.0.0.1", "X-Forwarded-For: 203.0.113.9\r\n")
                .getInputStream());
        waiting.add(postFrom("127.0.0.1", "X-Forwarded-For: 203.0.113.10\r\n"));
        // From 127.0.0.4, not a proxy: its header is its own invention, and it is one client whatever it says.
        for (int i = 0; i < 2; i++) {
            waiting.add(postFrom("127.0.0.4", "X-Forwarded-For: 192.0.2." + i + "\r\n"));
        }
        awaitTrue(() -> publisher.pending() == 5, "203.0.113.10's click and 127.0.0.4's two are sent");
        String untrustedRefused = readAnswer(postFrom("127.0.0.4", "X-Forwarded-For: 192.0.2.99\r\n")
                .getInputStream());

        assertTrue(forwardedRefused.startsWith("HTTP/1.1 429"), forwardedRefused);
        assertTrue(untrustedRefused.startsWith("HTTP/1.1 429"), untrustedRefused);
        publisher.flush();
        for (Socket socket : waiting) {
            assertTrue(readAnswer(socket.getInputStream()).startsWith("HTTP/1.1 202"));
        }
        // The proxy's four connections (more than the 3 a client may have) were never refused.
        assertEquals(0.0, metric("web_requests_rejected_total{reason=\"client_connections\"}"), 0.0, "none");
    }

    private static String head(int contentLength) {
        return "POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: "
                + contentLength + "\r\n\r\n";
    }

    /** A connection from {@code source}, a loopback address: each address is another client. */
    private Socket from(String source) throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.bind(new InetSocketAddress(source, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", app.port()), 5_000);
        socket.setSoTimeout(15_000);
        return socket;
    }

    /** POSTs one click from {@code source} with extra header lines; the answer is read later, from the socket. */
    private Socket postFrom(String source, String headers) throws IOException {
        Socket socket = from(source);
        write(socket, "POST /api/clicks HTTP/1.1\r\nHost: test\r\n" + headers + "Content-Type: application/json\r\n"
                + "Content-Length: " + CLICK.length() + "\r\n\r\n" + CLICK);
        return socket;
    }

    private static void write(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    private HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(app.baseUri().resolve("/api/clicks"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String readAnswer(InputStream in) throws IOException {
        return RawAnswers.read(in);
    }

    private double metric(String sample) {
        try {
            URI metrics = app.managementUri().resolve("/metrics");
            String body = client.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
            return body.lines().filter(line -> line.startsWith(sample + " ")).findFirst()
                    .map(line -> Double.parseDouble(line.substring(sample.length() + 1).trim()))
                    .orElse(0.0);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("GET /metrics failed", e);
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
