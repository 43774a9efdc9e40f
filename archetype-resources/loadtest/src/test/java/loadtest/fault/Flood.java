package ${package}.loadtest.fault;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * One client that floods the web producer: {@code connections} keep-alive connections from one address, each
 * posting as fast as the answers come (it reads them: a client that wants its clicks in), and, when the server
 * refuses a connection or closes it, connecting again a second later. One thread, NIO, so that thousands of
 * connections cost the test little. Counts the answers by status.
 */
final class Flood implements AutoCloseable {

    private static final long RECONNECT_NANOS = 1_000_000_000L;

    /** One connection's state: what is left to write, and the answer read so far. */
    private static final class Connection {
        final int index;
        SocketChannel channel;
        ByteBuffer toWrite;
        final ByteArrayOutputStream answer = new ByteArrayOutputStream(1024);
        long reconnectAt;

        Connection(int index) {
            this.index = index;
        }
    }

    private final InetSocketAddress server;
    private final InetAddress source;
    private final IntFunction<byte[]> requests;
    private final Connection[] connections;
    private final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    private final AtomicLong connectFailures = new AtomicLong();
    private final Selector selector;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param requests the whole request (head and body) that connection n sends next
     */
    Flood(URI base, InetAddress source, int connections, IntFunction<byte[]> requests) throws IOException {
        this.server = new InetSocketAddress(base.getHost(), base.getPort());
        this.source = source;
        this.requests = requests;
        this.connections = new Connection[connections];
        this.selector = Selector.open();
        for (int i = 0; i < connections; i++) {
            this.connections[i] = new Connection(i);
        }
        this.thread = new Thread(this::run, "flood-" + source.getHostAddress());
        thread.setDaemon(true);
        thread.start();
    }

    /** A POST of {@code body} to /api/clicks with more header lines (each ending in CRLF), as raw bytes. */
    static byte[] post(byte[] body, String headerLines) {
        byte[] head = ("POST /api/clicks HTTP/1.1\r\nHost: clicks.test\r\n" + headerLines
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        return SlowClients.concat(head, body);
    }

    long answered(int status) {
        AtomicLong count = statuses.get(status);
        return count == null ? 0 : count.get();
    }

    String describe() {
        Map<Integer, Long> sorted = new TreeMap<>();
        statuses.forEach((status, count) -> sorted.put(status, count.get()));
        return String.format(Locale.ROOT, "%d connections from %s: answers %s, %d connections failed",
                connections.length, source.getHostAddress(), sorted, connectFailures.get());
    }

    @Override
    public void close() throws InterruptedException, IOException {
        running = false;
        selector.wakeup();
        thread.join(10_000);
        for (Connection connection : connections) {
            closeQuietly(connection);
        }
        selector.close();
    }

    private void run() {
        ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
        while (running) {
            long now = System.nanoTime();
            for (Connection connection : connections) {
                if (connection.channel == null && now >= connection.reconnectAt) {
                    open(connection);
                }
            }
            try {
                selector.select(100);
            } catch (IOException e) {
                return;
            }
            for (SelectionKey key : selector.selectedKeys()) {
                Connection connection = (Connection) key.attachment();
                try {
                    if (key.isConnectable() && connection.channel.finishConnect()) {
                        key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
                    }
                    if (key.isValid() && key.isWritable()) {
                        connection.channel.write(connection.toWrite);
                        if (!connection.toWrite.hasRemaining()) {
                            key.interestOps(SelectionKey.OP_READ);
                        }
                    }
                    if (key.isValid() && key.isReadable()) {
                        readBuffer.clear();
                        int read = connection.channel.read(readBuffer);
                        if (read < 0) {
                            throw new IOException("closed by the server");
                        }
                        connection.answer.write(readBuffer.array(), 0, read);
                        answered(connection, key);
                    }
                } catch (IOException e) {
                    if (connection.answer.size() == 0 && connection.toWrite != null
                            && connection.toWrite.position() == 0) {
                        connectFailures.incrementAndGet();
                    }
                    retryLater(connection);
                }
            }
            selector.selectedKeys().clear();
        }
    }

    /** Counts every whole answer read; sends the next request, or reconnects if the server closed. */
    private void answered(Connection connection, SelectionKey key) throws IOException {
        while (true) {
            byte[] bytes = connection.answer.toByteArray();
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            int headEnd = text.indexOf("\r\n\r\n");
            if (headEnd < 0) {
                return;
            }
            String head = text.substring(0, headEnd).toLowerCase(Locale.ROOT);
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).trim());
                }
            }
            int end = headEnd + 4 + length;
            if (bytes.length < end) {
                return;
            }
            int status = Integer.parseInt(head.substring(9, 12));
            statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
            connection.answer.reset();
            connection.answer.write(bytes, end, bytes.length - end);
            if (head.contains("\r\nconnection: close")) {
                retryLater(connection);
                return;
            }
            connection.toWrite = ByteBuffer.wrap(requests.apply(connection.index));
            key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
        }
    }

    private void open(Connection connection) {
        try {
            SocketChannel channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.bind(new InetSocketAddress(source, 0));
            connection.channel = channel;
            connection.answer.reset();
            connection.toWrite = ByteBuffer.wrap(requests.apply(connection.index));
            if (channel.connect(server)) {
                channel.register(selector, SelectionKey.OP_WRITE | SelectionKey.OP_READ, connection);
            } else {
                channel.register(selector, SelectionKey.OP_CONNECT, connection);
            }
        } catch (IOException e) {
            connectFailures.incrementAndGet();
            retryLater(connection);
        }
    }

    private void retryLater(Connection connection) {
        closeQuietly(connection);
        connection.reconnectAt = System.nanoTime() + RECONNECT_NANOS;
    }

    private static void closeQuietly(Connection connection) {
        if (connection.channel != null) {
            try {
                connection.channel.close();
            } catch (IOException e) {
                // already closed
            }
            connection.channel = null;
        }
    }
}
