package ${package}.loadtest.fault;

import ${package}.loadtest.HttpExchange;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A corpus of malformed requests ({@link BadRequestCorpus}) and slow clients, over raw sockets, against the web
 * producer on a real broker: each gets its 4xx (a JSON error where the app answers), the server answers
 * {@code /livez} after each one and while slow clients hold connections, and nothing reaches the topic.
 */
@EnabledIfSystemProperty(named = "fault", matches = "true",
        disabledReason = "a fault test takes a minute: run the fault tests with -Dfault=true")
class BadRequestFaultIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Slow clients at once: none of them may hold up the others (SlowClientsFaultIT holds thousands). */
    private static final int SLOW_CLIENTS = Integer.getInteger("fault.slowClients", 40);
    /** The web producer answers 408 when a body has not arrived within 5 s; a little slack for a busy machine. */
    private static final long BODY_TIMEOUT_MILLIS = 5_000 + 3_000;
    /** A malformed request is refused at once; and a health check must come back within this, whatever else runs. */
    private static final long QUICK_MILLIS = 2_000;

    @TempDir
    Path dir;

    @Test
    void every_malformed_request_gets_its_4xx_the_server_stays_responsive_and_nothing_reaches_the_topic()
            throws Exception {
        List<BadRequestCorpus.BadRequest> corpus = BadRequestCorpus.all();
        assertTrue(corpus.size() >= 50, "the corpus has only " + corpus.size() + " requests");
        try (FaultPipeline pipeline = FaultPipeline.start(dir)) {
            pipeline.startWeb();
            long recordsBefore = recordsOnTopic(pipeline);

            List<String> wrong = new ArrayList<>();
            Map<String, Integer> outcomes = new HashMap<>();
            long slowest = 0;
            for (BadRequestCorpus.BadRequest request : corpus) {
                long started = System.nanoTime();
                String outcome = send(pipeline, request, wrong);
                long millis = (System.nanoTime() - started) / 1_000_000;
                slowest = Math.max(slowest, millis);
                outcomes.merge(outcome, 1, Integer::sum);
                if (millis > QUICK_MILLIS) {
                    wrong.add(request.name() + ": answered after " + millis + " ms");
                }
                checkHealth(pipeline, "after '" + request.name() + "'", wrong);
            }

            slowClients(pipeline, wrong, outcomes);

            long recordsAfter = recordsOnTopic(pipeline);
            System.out.printf("BadRequestFaultIT: sent %d malformed requests + %d slow clients; outcomes %s;"
                            + " slowest answer %d ms; records on the topic before %d, after %d; problems %d%n",
                    corpus.size(), SLOW_CLIENTS + 3, outcomes, slowest, recordsBefore, recordsAfter, wrong.size());
            assertTrue(wrong.isEmpty(), wrong.size() + " requests were mishandled:\n" + String.join("\n", wrong)
                    + "\nweb producer log ends with:\n" + pipeline.web.logTail(20));
            assertEquals(recordsBefore, recordsAfter, "malformed requests put records on the topic");
            assertTrue(pipeline.web.isAlive(), "the web producer died");
        }
    }

    /** Sends one request on a fresh connection; returns how it ended, and notes what was wrong. */
    private static String send(FaultPipeline pipeline, BadRequestCorpus.BadRequest request, List<String> wrong) {
        try (HttpExchange exchange = new HttpExchange(pipeline.base(), (int) BODY_TIMEOUT_MILLIS)) {
            HttpExchange.Response response;
            try {
                response = exchange.send(request.raw(), new byte[0]);
            } catch (IOException e) {
                if (request.layer() == BadRequestCorpus.Layer.HTTP) {
                    return "connection closed by the HTTP layer";
                }
                wrong.add(request.name() + ": no answer (" + e + ")");
                return "no answer";
            }
            boolean expected = request.layer() == BadRequestCorpus.Layer.HTTP
                    ? response.status() >= 400 && response.status() < 500
                    : request.expected().contains(response.status());
            if (!expected) {
                wrong.add(request.name() + ": expected " + request.expected() + ", got " + response.status() + " "
                        + abbreviate(response.bodyText()));
            }
            if (request.layer() == BadRequestCorpus.Layer.APP) {
                checkJsonError(request.name(), response, wrong);
                return response.status() + " JSON";
            }
            return response.status() + " from the HTTP layer";
        }
    }

    /**
     * Slow clients: a body shorter than its Content-Length, a body that trickles, headers that trickle; then
     * {@link #SLOW_CLIENTS} short bodies at once while the server must go on answering others.
     */
    private static void slowClients(FaultPipeline pipeline, List<String> wrong, Map<String, Integer> outcomes)
            throws Exception {
        byte[] head = ("POST /api/clicks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        try (HttpExchange shortBody = new HttpExchange(pipeline.base(), (int) BODY_TIMEOUT_MILLIS + 5_000)) {
            OutputStream out = shortBody.output();
            out.write(head);
            out.write("{\"itemId\":".getBytes(StandardCharsets.UTF_8));
            out.flush();
            expect408("a body shorter than its Content-Length", shortBody, System.nanoTime(), wrong, outcomes);
        }
        try (HttpExchange trickle = new HttpExchange(pipeline.base(), (int) BODY_TIMEOUT_MILLIS + 5_000)) {
            OutputStream out = trickle.output();
            out.write(head);
            out.flush();
            long started = System.nanoTime();
            Thread trickler = new Thread(() -> {
                try {
                    for (int i = 0; i < 100; i++) {
                        out.write('{');
                        out.flush();
                        TimeUnit.MILLISECONDS.sleep(500);
                    }
                } catch (IOException | InterruptedException e) {
                    // the server hung up: what it should do
                }
            }, "body-trickler");
            trickler.setDaemon(true);
            trickler.start();
            expect408("a body trickling a byte every 500 ms", trickle, started, wrong, outcomes);
        }
        try (HttpExchange headers = new HttpExchange(pipeline.base(), 20_000)) {
            OutputStream out = headers.output();
            out.write("POST /api/clicks HTTP/1.1\r\nHost: test\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            long started = System.nanoTime();
            String ended;
            try {
                for (int i = 0; i < 40; i++) {
                    out.write('z');
                    out.flush();
                    TimeUnit.MILLISECONDS.sleep(500);
                }
                ended = "still open after 20 s";
                wrong.add("headers trickling for 20 s: the server kept the connection open");
            } catch (IOException e) {
                ended = "closed by the server after " + (System.nanoTime() - started) / 1_000_000_000 + " s";
            }
            outcomes.merge("trickled headers: " + ended, 1, Integer::sum);
        }

        List<HttpExchange> slow = new ArrayList<>();
        try {
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                HttpExchange client = new HttpExchange(pipeline.base(), 30_000);
                slow.add(client);
                OutputStream out = client.output();
                out.write(head);
                out.write('{');
                out.flush();
            }
            TimeUnit.MILLISECONDS.sleep(300);
            checkHealth(pipeline, "while " + SLOW_CLIENTS + " slow clients hold connections", wrong);
            long started = System.nanoTime();
            try (HttpExchange other = new HttpExchange(pipeline.base(), 30_000)) {
                HttpExchange.Response response = other.postJson("/api/clicks",
                        "{\"userId\":\"u-1\"}".getBytes(StandardCharsets.UTF_8));
                long millis = (System.nanoTime() - started) / 1_000_000;
                if (response.status() != 400 || millis > QUICK_MILLIS) {
                    wrong.add("an invalid click sent while " + SLOW_CLIENTS + " slow clients hold connections got "
                            + response.status() + " after " + millis + " ms (expected 400 within " + QUICK_MILLIS + " ms)");
                }
            } catch (IOException e) {
                wrong.add("a request sent while " + SLOW_CLIENTS + " slow clients hold connections failed: " + e);
            }
            int answered408 = 0;
            for (HttpExchange client : slow) {
                try {
                    if (client.readResponse().status() == 408) {
                        answered408++;
                    }
                } catch (IOException e) {
                    // counted below: a slow client should get its 408, not a dropped connection
                }
            }
            outcomes.merge(SLOW_CLIENTS + " concurrent slow clients answered 408: " + answered408, 1, Integer::sum);
            if (answered408 < SLOW_CLIENTS) {
                wrong.add("only " + answered408 + " of " + SLOW_CLIENTS + " concurrent slow clients got their 408");
            }
        } finally {
            slow.forEach(HttpExchange::close);
        }
    }

    private static void expect408(String name, HttpExchange exchange, long started, List<String> wrong,
                                  Map<String, Integer> outcomes) {
        try {
            HttpExchange.Response response = exchange.readResponse();
            long millis = (System.nanoTime() - started) / 1_000_000;
            if (response.status() != 408 || millis > BODY_TIMEOUT_MILLIS) {
                wrong.add(name + ": expected 408 within " + BODY_TIMEOUT_MILLIS + " ms, got " + response.status()
                        + " after " + millis + " ms");
            }
            checkJsonError(name, response, wrong);
            outcomes.merge(name + ": " + response.status() + " after " + millis / 1000 + " s", 1, Integer::sum);
        } catch (IOException e) {
            wrong.add(name + ": no answer (" + e + ")");
        }
    }

    private static void checkJsonError(String name, HttpExchange.Response response, List<String> wrong) {
        try {
            JsonNode body = JSON.readTree(response.body());
            if (body == null || !body.path("error").isTextual() || body.path("error").textValue().isBlank()) {
                wrong.add(name + ": the answer has no JSON error: " + abbreviate(response.bodyText()));
            }
        } catch (IOException e) {
            wrong.add(name + ": the answer is not JSON: " + abbreviate(response.bodyText()));
        }
    }

    private static void checkHealth(FaultPipeline pipeline, String when, List<String> wrong) {
        long started = System.nanoTime();
        try (HttpExchange exchange = new HttpExchange(pipeline.base(), 30_000)) {
            HttpExchange.Response response = exchange.get("/livez");
            long millis = (System.nanoTime() - started) / 1_000_000;
            if (response.status() != 200 || millis > QUICK_MILLIS) {
                wrong.add("GET /livez " + when + ": " + response.status() + " after " + millis + " ms");
            }
        } catch (IOException e) {
            wrong.add("GET /livez " + when + " failed after " + (System.nanoTime() - started) / 1_000_000 + " ms: " + e);
        }
    }

    private static long recordsOnTopic(FaultPipeline pipeline) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                pipeline.broker.bootstrapServers()))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 3; p++) {
                latest.put(new TopicPartition(FaultPipeline.TOPIC, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(info -> info.offset()).sum();
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
