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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker the smoke test, dev mode and the fault tests stand on (every node of it, for a cluster): its two
 * client listeners advertise what they should, and a SIGKILL followed by a restart on the same data keeps
 * acknowledged records.
 */
class LocalKafkaBrokerIT {

    @TempDir
    static Path dataDir;

    static LocalKafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = LocalKafkaBroker.start(BrokerSettings.forTests(dataDir));
        System.out.printf("LocalKafkaBrokerIT: broker ready in %d ms (%d node(s), pids %s)%n",
                broker.lastStartDuration().toMillis(), broker.nodeIds().size(), broker.pids());
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
            assertFalse(broker.isRunning(), "the broker process outlived close()");
        }
    }

    @Test
    void each_client_listener_advertises_every_node_at_its_own_address() throws Exception {
        List<String> outside = new ArrayList<>();
        List<String> inside = new ArrayList<>();
        for (int node : broker.nodeIds()) {
            outside.add("localhost:" + broker.settings().listeners(node).outsidePort());
            inside.add("localhost:" + broker.settings().listeners(node).insidePort());
        }
        assertEquals(LocalKafkaBroker.NODES, outside.size(), "nodes started");
        assertEquals(outside, advertisedVia(broker.bootstrapServers()));
        assertEquals(inside, advertisedVia(broker.insideBootstrapServers()));
        System.out.printf("LocalKafkaBrokerIT: %d nodes advertise OUTSIDE %s and INSIDE %s%n", outside.size(), outside,
                inside);
    }

    @Test
    void acknowledged_records_survive_a_sigkill_and_a_restart_on_the_same_data() throws Exception {
        String topic = "broker-restart-check";
        broker.createTopics(1, broker.settings().replicationFactor(), topic);
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

        List<Long> pidsBefore = broker.pids();
        broker.kill();
        assertFalse(broker.isRunning(), "kill() returned but a node still runs");
        for (long pid : pidsBefore) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " lives");
        }

        broker.restart();
        System.out.printf("LocalKafkaBrokerIT: restart after SIGKILL ready in %d ms%n",
                broker.lastStartDuration().toMillis());
        assertTrue(broker.isRunning());
        assertEquals(sent, readAll(topic, sent.size()));
    }

    /** The addresses the metadata gives for the nodes, by node id. */
    private static List<String> advertisedVia(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                    .sorted(Comparator.comparingInt(Node::id)).map(node -> node.host() + ":" + node.port()).toList();
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
