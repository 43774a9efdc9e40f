package ${package}.loadtest.fault;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Clients that cost a server without doing it any good, as a slowloris attack or a bad network does: each kind
 * runs until {@link #close()}, and reconnects whenever the server hangs up on it, so the pressure stays on.
 */
abstract class SlowClients implements AutoCloseable {

    final AtomicBoolean stop = new AtomicBoolean();
    /** How often the server closed one of these connections (each is then opened again). */
    final AtomicLong closedByServer = new AtomicLong();
    final AtomicLong opened = new AtomicLong();
    /** Request bodies a trickling client finished (then it begins another). */
    final AtomicLong requestsEnded = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();

    /** What to print for the test's report. */
    abstract String describe();

    void startThread(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        closeSockets();
        for (Thread thread : threads) {
            thread.join(10_000);
        }
    }

    abstract void closeSockets();

    /**
     * {@code count} connections that each send {@code head} (may be empty) at once and then {@code trickle}, one
     * byte every {@code interval} (or nothing, if it is empty): headers that never end, or a body that never
     * arrives. One thread, NIO. Connection n comes from {@code sources[n % size]}: many clients, or one.
     */
    static SlowClients trickling(URI server, int count, List<InetAddress> sources, byte[] head, byte[] trickle,
                                 Duration interval) {
        return new Trickling(server, count, sources, head, trickle, 1, interval);
    }

    /**
     * {@code count} connections that each send a chunked request body of {@code bodyBytes} (rounded down to whole
     * chunks), in chunks of {@code chunkBytes} every {@code interval}, then end it and start another: bodies that
     * really arrive, but slowly, so that each holds its bytes for as long as it takes.
     */
    static SlowClients chunkedTrickle(URI server, int count, List<InetAddress> sources, int bodyBytes, int chunkBytes,
                                      Duration interval) {
        byte[] head = ascii("POST /api/clicks HTTP/1.1\r\nHost: clicks.test\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n");
        byte[] chunk = new byte[chunkBytes];
        Arrays.fill(chunk, (byte) ' ');
        byte[] frame = concat(ascii(Integer.toHexString(chunkBytes) + "\r\n"), concat(chunk, ascii("\r\n")));
        int chunks = bodyBytes / chunkBytes;
        return new Trickling(server, count, sources, head, frame, frame.length, interval) {
            @Override
            byte[] afterRounds(int round) {
                // the last chunk: then the request is whole (and refused: spaces are no click), and the next begins
                return round == chunks ? concat(ascii("0\r\n\r\n"), head) : null;
            }
        };
    }

    /**
     * {@code count} connections that each post {@code request} again and again, pipelined, and never read an
     * answer: each blocks once its socket buffers are full, until the server gives up on it.
     */
    static SlowClients neverReading(URI server, int count, List<InetAddress> sources, byte[] request) {
        return new NeverReading(server, count, sources, request);
    }

    static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static class Trickling extends SlowClients {
        private final InetSocketAddress address;
        private final List<InetAddress> sources;
        private final SocketChannel[] channels;
        private final int[] sent;
        private final byte[] head;
        private final byte[] trickle;
        private final int bytesPerRound;
        private final int count;

        Trickling(URI server, int count, List<InetAddress> sources, byte[] head, byte[] trickle, int bytesPerRound,
                  Duration interval) {
            this.address = new InetSocketAddress(server.getHost(), server.getPort());
            this.sources = List.copyOf(sources);
            this.count = count;
            this.channels = new SocketChannel[count];
            this.sent = new int[count];
            this.head = head;
            this.trickle = trickle;
            this.bytesPerRound = bytesPerRound;
            startThread("trickling-clients", () -> run(interval));
        }

        /** What to send after {@code round} rounds of trickle, or null: the end of a request and the next's head. */
        byte[] afterRounds(int round) {
            return null;
        }

        private void run(Duration interval) {
            ByteBuffer drain = ByteBuffer.allocate(4096);
            while (!stop.get()) {
                long round = System.nanoTime();
                for (int i = 0; i < count && !stop.get(); i++) {
                    try {
                        if (channels[i] == null) {
                            channels[i] = open(sources.get(i % sources.size()));
                            sent[i] = 0;
                            if (head.length > 0) {
                                channels[i].write(ByteBuffer.wrap(head));
                            }
                            continue;
                        }
                        drain.clear();
                        if (channels[i].read(drain) < 0) {
                            throw new IOException("closed by the server");
                        }
                        if (trickle.length > 0) {
                            int offset = (int) ((long) sent[i] * bytesPerRound % trickle.length);
                            channels[i].write(ByteBuffer.wrap(trickle, offset, Math.min(bytesPerRound,
                                    trickle.length - offset)));
                            sent[i]++;
                            byte[] next = afterRounds(sent[i]);
                            if (next != null) {
                                channels[i].write(ByteBuffer.wrap(next));
                                sent[i] = 0;
                                requestsEnded.incrementAndGet();
                            }
                        }
                    } catch (IOException e) {
                        closedByServer.incrementAndGet();
                        closeQuietly(i);
                    }
                }
                long left = interval.toNanos() - (System.nanoTime() - round);
                if (left > 0) {
                    FaultPipeline.sleep(left / 1_000_000);
                }
            }
        }

        private SocketChannel open(InetAddress source) throws IOException {
            SocketChannel channel = SocketChannel.open();
            try {
                channel.bind(new InetSocketAddress(source, 0));
                channel.socket().connect(address, 5_000);
                channel.configureBlocking(false);
            } catch (IOException e) {
                channel.close();
                throw e;
            }
            opened.incrementAndGet();
            return channel;
        }

        private void closeQuietly(int i) {
            try {
                if (channels[i] != null) {
                    channels[i].close();
                }
            } catch (IOException ignored) {
                // already gone
            }
            channels[i] = null;
        }

        @Override
        void closeSockets() {
            // the thread closes nothing while it runs; after stop it is joined, then everything is closed
        }

        @Override
        public void close() throws InterruptedException {
            super.close();
            for (int i = 0; i < count; i++) {
                closeQuietly(i);
            }
        }

        @Override
        String describe() {
            return count + " connections from " + sources.size() + " client address(es), " + opened.get()
                    + " opened in all, " + closedByServer.get() + " closed by the server"
                    + (requestsEnded.get() == 0 ? "" : ", " + requestsEnded.get() + " bodies sent whole");
        }
    }

    private static final class NeverReading extends SlowClients {
        private final List<Socket> sockets = new ArrayList<>();
        private final AtomicLong requestsWritten = new AtomicLong();

        NeverReading(URI server, int count, List<InetAddress> sources, byte[] request) {
            for (int i = 0; i < count; i++) {
                InetAddress source = sources.get(i % sources.size());
                startThread("never-reading-client-" + i, () -> {
                    while (!stop.get()) {
                        try (Socket socket = new Socket()) {
                            register(socket);
                            socket.bind(new InetSocketAddress(source, 0));
                            socket.connect(new InetSocketAddress(server.getHost(), server.getPort()), 5_000);
                            opened.incrementAndGet();
                            OutputStream out = socket.getOutputStream();
                            while (!stop.get()) {
                                out.write(request);
                                requestsWritten.incrementAndGet();
                            }
                        } catch (IOException e) {
                            if (!stop.get()) {
                                closedByServer.incrementAndGet();
                                FaultPipeline.sleep(100);
                            }
                        }
                    }
                });
            }
        }

        private synchronized void register(Socket socket) {
            sockets.add(socket);
        }

        @Override
        synchronized void closeSockets() {
            for (Socket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }

        @Override
        String describe() {
            return (opened.get() - closedByServer.get()) + " connections open at the end, " + opened.get()
                    + " opened in all, " + closedByServer.get() + " cut off by the server, " + requestsWritten.get()
                    + " requests written";
        }
    }
}
