package ${package}.dev;

import ${package}.consumer.ClickConsumerApp;
import ${package}.consumer.ClickConsumerConfig;
import ${package}.doctor.BootstrapServers;
import ${package}.shared.ClickTopic;
import ${package}.web.WebProducerApp;
import ${package}.web.WebProducerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Topics are created on purpose, never on first use (the broker's automatic creation is off, as in the compose
 * files): until the click topic exists, both apps answer {@code /readyz} with 503 and a reason that says so and
 * what creates it, a click gets 503 and creates nothing; once it is created, both become ready and clicks get 202.
 */
class ClickTopicReadinessIT {

    private static final String TOPIC = "readiness-clicks";
    /** Generous: the machine may be busy, and the check is what the apps say, not how fast. */
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workDir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void both_apps_are_not_ready_until_the_click_topic_exists_and_ready_once_it_is_created() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(BrokerSettings.forTests(workDir.resolve("kafka")));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            BootstrapServers bootstrap = new BootstrapServers(broker.bootstrapServers(), "the readiness test's broker");
            try (ClickConsumerApp consumer = ClickConsumerApp.start(new ClickConsumerConfig(bootstrap, TOPIC,
                         "readiness-consumer", workDir.resolve("sink"), Map.of()));
                 WebProducerApp web = WebProducerApp.start(new WebProducerConfig(bootstrap, TOPIC, 0, Map.of()))) {

                JsonNode webNotReady = awaitReadyz(web.managementUri(), 503, "does not exist");
                assertTrue(webNotReady.get("reason").asText().contains("click-topics"),
                        "the web producer's reason must say what creates the topic: " + webNotReady);
                ClickConsumerApp.Health consumerNotReady = await(consumer::health,
                        health -> health.problem().contains("does not exist"), "the consumer's /readyz reason");
                assertFalse(consumerNotReady.ready());
                assertTrue(consumerNotReady.problem().contains("click-topics"), consumerNotReady.problem());

                HttpResponse<String> early = postClick(web.baseUri());
                assertEquals(503, early.statusCode(), "a click before the topic exists: " + early.body());
                assertFalse(admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(TOPIC),
                        "a click created the topic: automatic creation must be off");
                System.out.printf("ClickTopicReadinessIT: without the topic, web /readyz 503 \"%s\", consumer \"%s\","
                        + " a click 503 \"%s\"%n", webNotReady.get("reason").asText(), consumerNotReady.problem(),
                        early.body());

                long created = System.nanoTime();
                broker.createClickTopics(TOPIC);
                awaitReadyz(web.managementUri(), 200, "");
                long webReady = System.nanoTime();
                await(consumer::health, ClickConsumerApp.Health::ready, "the consumer's /readyz");
                long consumerReady = System.nanoTime();
                HttpResponse<String> accepted = postClick(web.baseUri());
                assertEquals(202, accepted.statusCode(), "a click once the topic exists: " + accepted.body());
                System.out.printf("ClickTopicReadinessIT: topic created with %d partitions x %d replicas; web ready"
                                + " %d ms later, consumer %d ms later%n", LocalKafkaBroker.CLICK_TOPIC_PARTITIONS,
                        broker.settings().replicationFactor(), (webReady - created) / 1_000_000,
                        (consumerReady - created) / 1_000_000);
            }
            assertTrue(admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(ClickTopic.deadLetter(TOPIC)),
                    "createClickTopics must create the dead-letter topic too");
        }
    }

    /**
     * Polls GET /readyz on the management port (the public one gives no reason) until it answers {@code status}
     * with a reason containing {@code reasonPart}.
     */
    private JsonNode awaitReadyz(URI base, int status, String reasonPart) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/readyz")).timeout(Duration.ofSeconds(15)).build();
        long deadline = System.nanoTime() + WAIT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                JsonNode body = JSON.readTree(response.body());
                if (response.statusCode() == status && body.path("reason").asText("").contains(reasonPart)) {
                    return body;
                }
                last = response.statusCode() + " " + response.body();
            } catch (HttpTimeoutException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("GET /readyz did not answer " + status + " (reason with \"" + reasonPart + "\")"
                + " within " + WAIT.toSeconds() + " s; last: " + last);
    }

    private static <T> T await(Supplier<T> read, java.util.function.Predicate<T> wanted, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        T value = read.get();
        while (!wanted.test(value)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " is not as expected after " + WAIT.toSeconds() + " s: " + value);
            }
            Thread.sleep(200);
            value = read.get();
        }
        return value;
    }

    private HttpResponse<String> postClick(URI base) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/clicks")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"itemId\":\"movie-1\",\"userId\":\"alice\"}")).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
