package ${package}.loadtest.fault;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
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
     * {@code count} connections that each send {@code head} (may be empty) at once and then {@code trickle} one
     * byte every {@code interval}: headers that never end, or a body that never arrives. One thread, NIO.
     */
    static SlowClients trickling(URI server, int count, byte[] head, byte[] trickle, Duration interval) {
        return new Trickling(server, count, head, trickle, interval);
    }

    /**
     * {@code count} connections that each post {@code request} again and again, pipelined, and never read an
     * answer: each blocks once its socket buffers are full, until the server gives up on it.
     */
    static SlowClients neverReading(URI server, int count, byte[] request) {
        return new NeverReading(server, count, request);
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static final class Trickling extends SlowClients {
        private final InetSocketAddress address;
        private final SocketChannel[] channels;
        private final int[] sent;
        private final byte[] head;
        private final byte[] trickle;
        private final int count;

        Trickling(URI server, int count, byte[] head, byte[] trickle, Duration interval) {
            this.address = new InetSocketAddress(server.getHost(), server.getPort());
            this.count = count;
            this.channels = new SocketChannel[count];
            this.sent = new int[count];
            this.head = head;
            this.trickle = trickle;
            startThread("trickling-clients", () -> run(interval));
        }

        private void run(Duration interval) {
            ByteBuffer drain = ByteBuffer.allocate(4096);
            while (!stop.get()) {
                long round = System.nanoTime();
                for (int i = 0; i < count && !stop.get(); i++) {
                    try {
                        if (channels[i] == null) {
                            channels[i] = open();
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
                        channels[i].write(ByteBuffer.wrap(trickle, sent[i] % trickle.length, 1));
                        sent[i]++;
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

        private SocketChannel open() throws IOException {
            SocketChannel channel = SocketChannel.open();
            try {
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
            return count + " connections, " + opened.get() + " opened in all, " + closedByServer.get()
                    + " closed by the server";
        }
    }

    private static final class NeverReading extends SlowClients {
        private final List<Socket> sockets = new ArrayList<>();
        private final AtomicLong requestsWritten = new AtomicLong();

        NeverReading(URI server, int count, byte[] request) {
            for (int i = 0; i < count; i++) {
                startThread("never-reading-client-" + i, () -> {
                    while (!stop.get()) {
                        try (Socket socket = new Socket()) {
                            register(socket);
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
