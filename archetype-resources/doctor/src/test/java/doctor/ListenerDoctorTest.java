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
                        socket.getOutputStream().write(metadataResponse(advertised));
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

    private static byte[] metadataResponse(BrokerAddress advertised) {
        byte[] host = advertised.host().getBytes(StandardCharsets.UTF_8);
        byte[] cluster = "test-cluster".getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(256);
        body.putInt(1).putInt(0).putInt(1);                         // correlation id, throttle, one broker
        body.putInt(7).putShort((short) host.length).put(host).putInt(advertised.port()).putShort((short) -1);
        body.putShort((short) cluster.length).put(cluster).putInt(7).putInt(0); // cluster id, controller, no topics
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
                .replaceFirst("(?m)^KAFKA_OUTSIDE_PORT=.*$", "KAFKA_OUTSIDE_PORT=${kafkaOutsidePort}  # host port"));
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
}
