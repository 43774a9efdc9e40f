package io.github.clicklog.archetype.listeners;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * A Kafka client run in a child JVM, on the host or inside a container's namespace, with short timeouts
 * (a failing listener shows up only as a timeout, and the defaults wait one to two minutes).
 *
 * <pre>
 *   roundtrip BOOTSTRAP TOPIC          produce one record to every partition and consume them back
 *   clicks URL PARTITIONS SECONDS      POST one click per partition to the web producer
 * </pre>
 *
 * The exit status tells the stages apart: 0 worked; 3 the bootstrap address gave no metadata;
 * 4 metadata came back (the advertised addresses are printed) but producing failed; 5 consuming failed.
 */
public final class ClientProbe {

    static final int WORKED = 0;
    static final int BOOTSTRAP_FAILED = 3;
    static final int PRODUCE_FAILED = 4;
    static final int CONSUME_FAILED = 5;

    private static final Duration TIMEOUT = Duration.ofSeconds(6);
    private static final Pattern EVENT_ID = Pattern.compile("\"eventId\"\\s*:\\s*\"([^\"]+)\"");
    private static final Comparator<TopicPartition> BY_PARTITION =
            Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

    private ClientProbe() {
    }

    public static void main(String[] args) throws Exception {
        int status = switch (args[0]) {
            case "roundtrip" -> roundTrip(args[1], args[2]);
            case "clicks" -> clicks(args[1], Integer.parseInt(args[2]), Duration.ofSeconds(Long.parseLong(args[3])));
            default -> throw new IllegalArgumentException("unknown probe " + args[0]);
        };
        System.out.flush();
        System.exit(status);
    }

    /**
     * Bootstrapping worked, so whatever hangs from here on failed after bootstrap. The client's own timeouts
     * normally say so within seconds, but a send to an advertised address that never answers was once seen to
     * wait past them (a CI run, ZooKeeper mode, the OUTSIDE listener reached from a container): the parent then
     * kills the probe, and a kill cannot tell "no metadata" from "metadata, then nowhere to go".
     */
    private static void watchAfterBootstrap() {
        Duration limit = TIMEOUT.multipliedBy(5);
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(limit.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("PRODUCE_FAILED nothing acknowledged, refused or read back within " + limit.toSeconds()
                    + " s after bootstrap: the advertised addresses do not answer from here");
            System.out.flush();
            Runtime.getRuntime().halt(PRODUCE_FAILED);
        }, "probe-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /**
     * One record to every partition of the topic, each sent to its leader, then each read back: with the
     * leaders spread over the nodes of a cluster, every node's advertised address is used.
     */
    private static int roundTrip(String bootstrap, String topic) {
        // What the broker advertises, asked like every client's first request: this tells "cannot bootstrap"
        // from "bootstrapped, then sent somewhere unreachable".
        try {
            System.out.println("ADVERTISED " + String.join(",", advertised(bootstrap.split(",")[0].trim())));
        } catch (IOException | RuntimeException e) {
            System.out.println("BOOTSTRAP_FAILED " + bootstrap + ": " + e);
            return BOOTSTRAP_FAILED;
        }
        watchAfterBootstrap();
        String run = "listener-check-" + UUID.randomUUID();
        Map<TopicPartition, RecordMetadata> written = new TreeMap<>(BY_PARTITION);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(bootstrap))) {
            List<PartitionInfo> partitions = producer.partitionsFor(topic);
            System.out.println("LEADERS " + partitions.stream().sorted(Comparator.comparingInt(PartitionInfo::partition))
                    .map(p -> p.partition() + "=" + (p.leader() == null ? "none" : p.leader().id()))
                    .collect(Collectors.joining(",")));
            Map<PartitionInfo, Future<RecordMetadata>> sends = new LinkedHashMap<>();
            for (PartitionInfo partition : partitions) {
                sends.put(partition, producer.send(new ProducerRecord<>(topic, partition.partition(), run, run)));
            }
            List<String> failed = new ArrayList<>();
            for (Map.Entry<PartitionInfo, Future<RecordMetadata>> send : sends.entrySet()) {
                PartitionInfo partition = send.getKey();
                try {
                    RecordMetadata metadata = send.getValue().get();
                    written.put(new TopicPartition(metadata.topic(), metadata.partition()), metadata);
                } catch (ExecutionException e) {
                    failed.add("partition " + partition.partition() + " (leader " + (partition.leader() == null ? "none"
                            : partition.leader().id() + " at " + partition.leader().host() + ":" + partition.leader().port())
                            + "): " + e.getCause());
                }
            }
            if (!failed.isEmpty()) {
                System.out.println("PRODUCE_FAILED " + failed.size() + " of " + partitions.size() + " partitions: "
                        + String.join("; ", failed));
                return PRODUCE_FAILED;
            }
        } catch (Exception e) {
            System.out.println("PRODUCE_FAILED " + e);
            return PRODUCE_FAILED;
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig(bootstrap))) {
            consumer.assign(written.keySet());
            written.forEach((partition, metadata) -> consumer.seek(partition, metadata.offset()));
            Map<TopicPartition, Boolean> back = new TreeMap<>(BY_PARTITION);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline && back.size() < written.size()) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (run.equals(record.value())) {
                        back.put(new TopicPartition(record.topic(), record.partition()), true);
                    }
                }
            }
            if (back.size() == written.size()) {
                System.out.println("OK produced and consumed one record on each of " + written.size() + " partitions of " + topic);
                return WORKED;
            }
            List<TopicPartition> missing = new ArrayList<>(written.keySet());
            missing.removeAll(back.keySet());
            System.out.println("CONSUME_FAILED the records of " + missing + " did not come back within " + TIMEOUT.toSeconds() + " s");
        } catch (Exception e) {
            System.out.println("CONSUME_FAILED " + e);
        }
        return CONSUME_FAILED;
    }

    private static Properties producerConfig(String bootstrap) {
        Properties config = common(bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TIMEOUT.toMillis());
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis() - 1000);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return config;
    }

    private static Properties consumerConfig(String bootstrap) {
        Properties config = common(bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis() - 1000);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return config;
    }

    private static Properties common(String bootstrap) {
        Properties config = new Properties();
        config.put("bootstrap.servers", bootstrap);
        config.put("socket.connection.setup.timeout.ms", 2000);
        config.put("socket.connection.setup.timeout.max.ms", 2000);
        config.put("reconnect.backoff.max.ms", 500);
        return config;
    }

    /**
     * A Metadata v4 request without topics, written out: the clients use the answer but never show it.
     * (The generated project's listener doctor does the same; this is an independent copy on purpose, so
     * the check does not rest on the code it checks.)
     */
    static List<String> advertised(String address) throws IOException {
        int colon = address.lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address.substring(0, colon),
                    Integer.parseInt(address.substring(colon + 1))), 2000);
            socket.setSoTimeout(3000);
            byte[] clientId = "listener-verification".getBytes(StandardCharsets.UTF_8);
            ByteBuffer request = ByteBuffer.allocate(4 + 10 + clientId.length + 5);
            request.putInt(10 + clientId.length + 5).putShort((short) 3).putShort((short) 4).putInt(42)
                    .putShort((short) clientId.length).put(clientId).putInt(0).put((byte) 0);
            socket.getOutputStream().write(request.array());
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            ByteBuffer response = ByteBuffer.wrap(body);
            response.getInt();
            response.getInt();
            List<String> brokers = new ArrayList<>();
            for (int i = response.getInt(); i > 0; i--) {
                response.getInt();
                byte[] host = new byte[response.getShort()];
                response.get(host);
                brokers.add(new String(host, StandardCharsets.UTF_8) + ":" + response.getInt());
                short rack = response.getShort();
                response.position(response.position() + Math.max(rack, 0));
            }
            return brokers;
        }
    }

    /**
     * One click per partition: for each partition a user whose clicks the default partitioner puts there
     * (the web producer keys clicks by user), each POSTed until the web producer answers 202 or the time is
     * up (it may still be starting). Prints {@code EVENT <partition> <eventId>} for each.
     */
    private static int clicks(String url, int partitions, Duration timeout) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        long deadline = System.nanoTime() + timeout.toNanos();
        int failed = 0;
        for (int partition = 0; partition < partitions; partition++) {
            String user = userFor(partition, partitions, "listener-check-" + run + "-");
            String body = "{\"itemId\":\"listener-check\",\"userId\":\"" + user + "\"}";
            String last = "";
            while (true) {
                try {
                    HttpResponse<String> response = send(url, body);
                    last = response.statusCode() + " " + response.body();
                    Matcher id = EVENT_ID.matcher(response.body());
                    if (response.statusCode() == 202 && id.find()) {
                        System.out.println("EVENT " + partition + " " + id.group(1));
                        break;
                    }
                } catch (IOException e) {
                    last = e.toString();
                }
                if (System.nanoTime() > deadline) {
                    System.out.println("NO_ANSWER partition " + partition + ": " + last);
                    failed++;
                    break;
                }
                Thread.sleep(1000);
            }
        }
        return failed == 0 ? WORKED : 1;
    }

    /** A user name the default partitioner maps to {@code partition}: murmur2 of the key's UTF-8 bytes. */
    static String userFor(int partition, int partitions, String prefix) {
        for (int i = 0; ; i++) {
            String user = prefix + i;
            if (Utils.toPositive(Utils.murmur2(user.getBytes(StandardCharsets.UTF_8))) % partitions == partition) {
                return user;
            }
        }
    }

    private static HttpResponse<String> send(String url, String json) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        return client.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
