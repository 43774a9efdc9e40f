package ${package}.doctor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The doctor's network side on real sockets: a fake broker that answers the metadata request like Kafka,
 * a port that accepts and closes at once (a published port with nothing behind it), a closed port.
 */
class ListenerDoctorTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** A name that never resolves (RFC 2606), standing for a compose service name seen from the host. */
    private static final String UNRESOLVABLE = "kafka-broker.invalid";
    /** Node names that never resolve, so the doctor knows it runs on the host: node n is this + n. */
    private static final String UNRESOLVABLE_NODE = "kafka.invalid-";

    private ServerSocket server;

    @TempDir
    Path emptyDir;

    @AfterEach
    void closeServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** Answers one connection's metadata request with one broker advertising {@code advertised}. */
    private BrokerAddress fakeBroker(BrokerAddress advertised, byte[][] requestSeen) throws IOException {
        return fakeBroker(requestSeen, Map.of(7, advertised));
    }

    /** Answers every metadata request with these brokers (node id to advertised address). */
    private BrokerAddress fakeBroker(byte[][] requestSeen, Map<Integer, BrokerAddress> brokers) throws IOException {
        server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        Thread answer = new Thread(() -> {
            try {
                while (!server.isClosed()) {
                    try (Socket socket = server.accept()) {
                        DataInputStream in = new DataInputStream(socket.getInputStream());
                        int size = in.readInt();
                        byte[] request = new byte[size];
                        in.readFully(request);
                        requestSeen[0] = request;
                        socket.getOutputStream().write(metadataResponse(brokers));
                        socket.getOutputStream().flush();
                        in.read();
                    } catch (IOException probeClosedEarly) {
                        // the reachability probe connects and leaves without a request
                    }
                }
            } catch (RuntimeException ignored) {
                // server closed
            }
        });
        answer.setDaemon(true);
        answer.start();
        return new BrokerAddress("127.0.0.1", server.getLocalPort());
    }

    private static byte[] metadataResponse(Map<Integer, BrokerAddress> brokers) {
        byte[] cluster = "test-cluster".getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(1024);
        body.putInt(1).putInt(0).putInt(brokers.size());            // correlation id, throttle, the brokers
        brokers.forEach((id, advertised) -> {
            byte[] host = advertised.host().getBytes(StandardCharsets.UTF_8);
            body.putInt(id).putShort((short) host.length).put(host).putInt(advertised.port()).putShort((short) -1);
        });
        int controller = brokers.keySet().iterator().next();
        body.putShort((short) cluster.length).put(cluster).putInt(controller).putInt(0); // cluster id, controller, no topics
        byte[] bytes = Arrays.copyOf(body.array(), body.position());
        return ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).array();
    }

    @Test
    void the_metadata_request_is_kafka_metadata_v4_and_the_answer_gives_the_advertised_address() throws IOException {
        BrokerAddress advertised = new BrokerAddress("kafka", ${kafkaInsidePort});
        byte[][] seen = new byte[1][];
        BrokerAddress bootstrap = fakeBroker(advertised, seen);

        AdvertisedListeners.Metadata metadata = AdvertisedListeners.fetch(bootstrap, TIMEOUT);

        assertEquals("test-cluster", metadata.clusterId());
        assertEquals(advertised, metadata.brokers().get(0).address());
        ByteBuffer request = ByteBuffer.wrap(seen[0]);
        assertEquals(3, request.getShort(), "api key: Metadata");
        assertEquals(4, request.getShort(), "api version");
        assertArrayEquals(Arrays.copyOfRange(AdvertisedListeners.request(), 4, AdvertisedListeners.request().length), seen[0]);
    }

    @Test
    void a_closed_port_refuses_and_a_port_that_hangs_up_at_once_is_told_apart() throws IOException {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        assertEquals(Reachability.Outcome.REFUSED,
                Reachability.check(new BrokerAddress("127.0.0.1", closedPort), TIMEOUT).outcome());

        server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        Thread hangUp = new Thread(() -> {
            try {
                while (true) {
                    server.accept().close();
                }
            } catch (IOException closed) {
                // test over
            }
        });
        hangUp.setDaemon(true);
        hangUp.start();
        assertEquals(Reachability.Outcome.CLOSED_AT_ONCE,
                Reachability.check(new BrokerAddress("127.0.0.1", server.getLocalPort()), TIMEOUT).outcome());
    }

    @Test
    void the_doctor_reports_an_advertised_name_that_does_not_resolve_and_exits_non_zero() throws IOException {
        BrokerAddress bootstrap = fakeBroker(new BrokerAddress(UNRESOLVABLE, ${kafkaOutsidePort}), new byte[1][]);
        ByteArrayOutputStream report = new ByteArrayOutputStream();

        int status = ListenerDoctor.run(Map.of(BootstrapServers.ENV_VARIABLE, bootstrap.toString()), emptyDir,
                new PrintStream(report, true, StandardCharsets.UTF_8));

        String text = report.toString(StandardCharsets.UTF_8);
        assertEquals(1, status, text);
        assertTrue(text.contains("from environment variable KAFKA_BOOTSTRAP_SERVERS"), text);
        assertTrue(text.contains(UNRESOLVABLE + ":${kafkaOutsidePort}: does not resolve here"), text);
        assertTrue(text.contains("Fix: "), text);
    }

    @Test
    void nothing_listening_gives_a_diagnosis_within_seconds() throws IOException {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        OutputStream sink = new ByteArrayOutputStream();
        long start = System.nanoTime();

        int status = ListenerDoctor.run(Map.of(BootstrapServers.ENV_VARIABLE, "localhost:" + closedPort), emptyDir,
                new PrintStream(sink, true, StandardCharsets.UTF_8));

        assertEquals(1, status, sink.toString());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 10, "the doctor answers within ten seconds");
    }

    @Test
    void a_comment_after_the_outside_port_in_env_is_no_listener_problem() throws IOException {
        Path project = Path.of("..");
        Files.copy(project.resolve(BrokerComposeFile.FILE_NAME), emptyDir.resolve(BrokerComposeFile.FILE_NAME));
        Files.writeString(emptyDir.resolve(".env"), Files.readString(project.resolve(".env"))
                .replaceFirst("(?m)^" + ListenerDiagnosis.Layout.GENERATED.outsidePortVariable() + "=.*$",
                        ListenerDiagnosis.Layout.GENERATED.outsidePortVariable() + "=${kafkaOutsidePort}  # host port"));
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        ByteArrayOutputStream report = new ByteArrayOutputStream();

        ListenerDoctor.run(Map.of(BootstrapServers.ENV_VARIABLE, "localhost:" + closedPort), emptyDir,
                new PrintStream(report, true, StandardCharsets.UTF_8));

        String text = report.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("(with .env): listener settings are consistent"), text);
        assertFalse(text.contains("KAFKA_LISTENERS") || text.contains("KAFKA_ADVERTISED_LISTENERS"), text);
    }

    /** Three nodes on this machine's loopback; node n's OUTSIDE port is the given one. */
    private static Map<Integer, ListenerDiagnosis.Layout> cluster(int port1, int port2, int port3) {
        Map<Integer, ListenerDiagnosis.Layout> nodes = new TreeMap<>();
        nodes.put(1, new ListenerDiagnosis.Layout(UNRESOLVABLE_NODE + "1", "127.0.0.1", port1, ${kafkaInsidePort}));
        nodes.put(2, new ListenerDiagnosis.Layout(UNRESOLVABLE_NODE + "2", "127.0.0.1", port2, ${kafkaInsidePort}));
        nodes.put(3, new ListenerDiagnosis.Layout(UNRESOLVABLE_NODE + "3", "127.0.0.1", port3, ${kafkaInsidePort}));
        return nodes;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    @Test
    void in_a_cluster_every_advertised_node_is_checked_and_the_one_that_is_down_is_named() throws IOException {
        // node 1: the fake, answering metadata at its own address; node 2 accepts and waits like a broker; node 3 is down
        try (ServerSocket node2 = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            int node3 = closedPort();
            Map<Integer, BrokerAddress> brokers = new TreeMap<>();
            BrokerAddress node1 = fakeBroker(new byte[1][], brokers);
            brokers.put(1, node1);
            brokers.put(2, new BrokerAddress("127.0.0.1", node2.getLocalPort()));
            brokers.put(3, new BrokerAddress("127.0.0.1", node3));
            ByteArrayOutputStream report = new ByteArrayOutputStream();

            int status = new ListenerDoctor(BootstrapServers.resolve(Map.of(BootstrapServers.ENV_VARIABLE, node1.toString())),
                    Optional.empty(), cluster(node1.port(), node2.getLocalPort(), node3),
                    new PrintStream(report, true, StandardCharsets.UTF_8)).examine();

            String text = report.toString(StandardCharsets.UTF_8);
            assertEquals(1, status, text);
            assertTrue(text.contains("broker 2 (" + UNRESOLVABLE_NODE + "2):        127.0.0.1:" + node2.getLocalPort()
                    + " -> 127.0.0.1: accepts connections"), text);
            assertTrue(text.contains("node 3 (" + UNRESOLVABLE_NODE + "3) is advertised as 127.0.0.1:" + node3), text);
            assertTrue(text.contains("Fix: start it: docker compose -f docker-compose.broker.yml up -d " + UNRESOLVABLE_NODE + "3"), text);
        }
    }

    @Test
    void in_a_cluster_a_node_missing_from_the_metadata_is_named() throws IOException {
        try (ServerSocket node2 = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            int node3 = closedPort();
            Map<Integer, BrokerAddress> brokers = new TreeMap<>();
            BrokerAddress node1 = fakeBroker(new byte[1][], brokers);
            brokers.put(1, node1);
            brokers.put(2, new BrokerAddress("127.0.0.1", node2.getLocalPort()));
            ByteArrayOutputStream report = new ByteArrayOutputStream();

            int status = new ListenerDoctor(BootstrapServers.resolve(Map.of(BootstrapServers.ENV_VARIABLE,
                    node1 + ",127.0.0.1:" + node2.getLocalPort() + ",127.0.0.1:" + node3)),
                    Optional.empty(), cluster(node1.port(), node2.getLocalPort(), node3),
                    new PrintStream(report, true, StandardCharsets.UTF_8)).examine();

            String text = report.toString(StandardCharsets.UTF_8);
            assertEquals(1, status, text);
            assertTrue(text.contains("node 3 (" + UNRESOLVABLE_NODE + "3): bootstrap 127.0.0.1:" + node3), text);
            assertTrue(text.contains("node 3 (" + UNRESOLVABLE_NODE + "3) is not in the cluster's metadata"), text);
        }
    }
}
