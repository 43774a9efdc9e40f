package ${package}.dev;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker the smoke test, dev mode and the fault tests stand on: its two client listeners advertise what
 * they should, and a SIGKILL followed by a restart on the same data keeps acknowledged records.
 */
class LocalKafkaBrokerIT {

    @TempDir
    static Path dataDir;

    static LocalKafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = LocalKafkaBroker.start(BrokerSettings.forTests(dataDir));
        System.out.printf("LocalKafkaBrokerIT: broker ready in %d ms (pid %d)%n",
                broker.lastStartDuration().toMillis(), broker.pid());
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
            assertFalse(broker.isRunning(), "the broker process outlived close()");
        }
    }

    @Test
    void each_client_listener_advertises_its_own_address() throws Exception {
        BrokerListeners s = broker.settings().listeners();
        assertEquals("localhost:" + s.outsidePort(), advertisedVia(broker.bootstrapServers()));
        assertEquals("localhost:" + s.insidePort(), advertisedVia(broker.insideBootstrapServers()));
    }

    @Test
    void acknowledged_records_survive_a_sigkill_and_a_restart_on_the_same_data() throws Exception {
        String topic = "broker-restart-check";
        broker.createTopics(1, topic);
        List<String> sent = List.of("first", "second", "third");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            for (String value : sent) {
                producer.send(new ProducerRecord<>(topic, value)).get(10, TimeUnit.SECONDS);
            }
        }

        long pidBefore = broker.pid();
        broker.kill();
        assertFalse(broker.isRunning(), "kill() returned but the broker still runs");
        assertFalse(ProcessHandle.of(pidBefore).map(ProcessHandle::isAlive).orElse(false));

        broker.restart();
        System.out.printf("LocalKafkaBrokerIT: restart after SIGKILL ready in %d ms%n",
                broker.lastStartDuration().toMillis());
        assertTrue(broker.isRunning());
        assertEquals(sent, readAll(topic, sent.size()));
    }

    private static String advertisedVia(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<Node> nodes = new ArrayList<>(admin.describeCluster().nodes().get(10, TimeUnit.SECONDS));
            assertEquals(1, nodes.size(), "one broker expected, metadata says " + nodes);
            return nodes.get(0).host() + ":" + nodes.get(0).port();
        }
    }

    private static List<String> readAll(String topic, int expected) {
        TopicPartition partition = new TopicPartition(topic, 0);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
