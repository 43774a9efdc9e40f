package ${package}.doctor;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks one bootstrap address what the broker advertises: the very first request every Kafka client sends.
 *
 * <p>The request is written by hand (Metadata v4, no topics) because the Kafka clients hide its answer:
 * they only use it, and when an advertised address is unreachable all they report is a timeout. Version 4
 * is the oldest that Kafka 4 still accepts (it dropped 0 to 3), so the ZooKeeper-mode brokers of Kafka 3.x
 * answer it too.
 */
public final class AdvertisedListeners {

    /** The brokers of the cluster as the listener this request came in on advertises them. */
    public record Metadata(String clusterId, List<Node> brokers) {
    }

    public record Node(int id, BrokerAddress address) {
    }

    private static final short METADATA_API_KEY = 3;
    private static final short METADATA_VERSION = 4;
    private static final int CORRELATION_ID = 1;
    private static final String CLIENT_ID = "listener-doctor";
    /** A metadata answer without topics is a few hundred bytes; anything huge is not Kafka speaking. */
    private static final int MAX_RESPONSE_BYTES = 1 << 20;

    private AdvertisedListeners() {
    }

    public static Metadata fetch(BrokerAddress bootstrap, Duration timeout) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(bootstrap.host(), bootstrap.port()), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.write(request());
            out.flush();
            return parseResponse(socket.getInputStream());
        }
    }

    /** Size-prefixed Metadata v4 request with request header v1 and no topics. */
    static byte[] request() {
        byte[] clientId = CLIENT_ID.getBytes(StandardCharsets.UTF_8);
        int size = 2 + 2 + 4 + 2 + clientId.length + 4 + 1;
        ByteBuffer buffer = ByteBuffer.allocate(4 + size);
        buffer.putInt(size);
        buffer.putShort(METADATA_API_KEY).putShort(METADATA_VERSION).putInt(CORRELATION_ID);
        buffer.putShort((short) clientId.length).put(clientId);
        buffer.putInt(0);          // topics: an empty array asks for brokers only
        buffer.put((byte) 0);      // allow_auto_topic_creation: false
        return buffer.array();
    }

    static Metadata parseResponse(InputStream stream) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        int size = in.readInt();
        if (size < 12 || size > MAX_RESPONSE_BYTES) {
            throw new IOException("the answer is not a Kafka metadata response (size " + size + ")");
        }
        byte[] body = new byte[size];
        in.readFully(body);
        ByteBuffer buffer = ByteBuffer.wrap(body);
        int correlationId = buffer.getInt();
        if (correlationId != CORRELATION_ID) {
            throw new IOException("the answer is not a Kafka metadata response (correlation id " + correlationId + ")");
        }
        buffer.getInt(); // throttle_time_ms
        int brokerCount = buffer.getInt();
        List<Node> brokers = new ArrayList<>();
        for (int i = 0; i < brokerCount; i++) {
            int nodeId = buffer.getInt();
            String host = readString(buffer);
            int port = buffer.getInt();
            readString(buffer); // rack
            brokers.add(new Node(nodeId, new BrokerAddress(host, port)));
        }
        String clusterId = readString(buffer);
        return new Metadata(clusterId, List.copyOf(brokers));
    }

    private static String readString(ByteBuffer buffer) {
        short length = buffer.getShort();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
