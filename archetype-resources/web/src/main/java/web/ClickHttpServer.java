package ${package}.web;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP/1.1 server: Netty event loops, one per core, each serving many connections without a thread per
 * client, and one more thread that only accepts connections. Chosen by measurement over the JDK's server (which
 * holds a thread per slow client), Vert.x, Jetty and Helidon; see the README's benchmark section. The management
 * port runs the same server on one thread of its own, with {@link ManagementRoutes}.
 *
 * <p>Each connection's pipeline: {@link Admission} (a 503 past {@link HttpLimits#maxConnections()}, a 429 past the
 * client's share), a watch for arriving bytes (see {@link ClickConnection#byteWatch()}), the response encoder, the
 * request decoder (request line and headers bounded; see {@link ClickRequestDecoder}), and {@link ClickConnection}.
 */
final class ClickHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHttpServer.class);
    /**
     * Connections waiting to be accepted: bursts of new clients queue instead of being dropped. Linux caps it at
     * net.core.somaxconn (4096 by default since 5.4). A client refused past its share that connects again thousands
     * of times at once overflowed 1024 (ClientSharesFaultIT): the kernel then drops everyone's new connections, and
     * each waits out a 1 s SYN retransmission.
     */
    private static final int ACCEPT_BACKLOG = 4096;
    /** File descriptors kept for everything else (Kafka connections, jars, logs) when the limit is tight. */
    private static final int SPARE_DESCRIPTORS = 256;

    private final EventLoopGroup acceptor;
    private final EventLoopGroup loops;
    private final Channel listener;
    private final AtomicInteger unanswered;

    private ClickHttpServer(EventLoopGroup acceptor, EventLoopGroup loops, Channel listener, AtomicInteger unanswered) {
        this.acceptor = acceptor;
        this.loops = loops;
        this.listener = listener;
        this.unanswered = unanswered;
    }

    /**
     * Listens on {@code port} (0: any free one) of {@code address} and serves each connection with a new
     * {@link ClickConnection}.
     *
     * @param name            names the threads and the log line ("web-http", "web-management")
     * @param threads         event loops serving connections; with more than one, a thread of its own accepts
     * @param openConnections counts this server's open connections (for /metrics)
     * @throws java.net.BindException if the port is taken
     */
    static ClickHttpServer start(String name, InetSocketAddress address, int threads, ClickConnection.Edge edge,
                                 AtomicInteger openConnections) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channel = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        // A thread of its own accepts connections: on the event loops that serve clients, a few busy clients could
        // keep it from accepting new ones for seconds while they pipeline batches (SlowClientsFaultIT's third phase
        // shows it). Not daemon threads: they keep the process alive after main() returns.
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, false), io);
        EventLoopGroup acceptor = threads == 1 ? loops
                : new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name + "-accept", false), io);
        HttpLimits limits = edge.limits();
        int maxConnections = withinDescriptorLimit(limits.maxConnections());
        HttpDecoderConfig decoding = new HttpDecoderConfig()
                .setMaxInitialLineLength(4096)
                // Cookies of the site's domain travel with credentialed requests: leave room for them.
                .setMaxHeaderSize(16 * 1024)
                .setMaxChunkSize(16 * 1024);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, loops)
                .channel(channel)
                .option(ChannelOption.SO_BACKLOG, ACCEPT_BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                // A fixed 64 KiB receive buffer for every accepted connection (set on the listener, so that the window
                // is offered from the handshake on), instead of one Linux grows to 6 MB: a client that keeps sending
                // while the server does not read it (a pipelining client waits its turn) fills its buffer, and 200
                // such clients grew the kernel's TCP memory past its pressure mark, where it drops packets and every
                // client waits out 200 ms retransmissions (SlowClientsFaultIT's third phase measured p50 201 ms).
                .option(ChannelOption.SO_RCVBUF, 64 * 1024)
                // Answers leave at once instead of waiting for the client's delayed ACK (Nagle).
                .childOption(ChannelOption.TCP_NODELAY, true)
                // A fixed 32 KiB send buffer (answers are a few KiB), instead of one Linux grows to megabytes: a
                // client that sends requests but never reads the answers is stopped after a few dozen of them,
                // instead of after thousands that keep the event loops busy while other clients wait (the third
                // phase of SlowClientsFaultIT).
                .childOption(ChannelOption.SO_SNDBUF, 32 * 1024)
                // One read per connection per turn of its event loop, instead of up to 16: a client with a backlog of
                // pipelined requests waits its turn like everyone else. A read is at most 64 KiB, and a connection's
                // first is 2 KiB (RequestMemory counts that buffer for a request that is not whole after it).
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(
                        AdaptiveRecvByteBufAllocator.DEFAULT_MINIMUM, RequestMemory.UNFINISHED_REQUEST_BYTES,
                        AdaptiveRecvByteBufAllocator.DEFAULT_MAXIMUM).maxMessagesPerRead(1))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel connection) {
                        ClickConnection clicks = new ClickConnection(edge, () -> new ClickRequestDecoder(decoding));
                        connection.pipeline()
                                .addLast(new Admission(openConnections, maxConnections, edge, clicks))
                                .addLast(clicks.byteWatch())
                                .addLast(new HttpResponseEncoder())
                                .addLast(ClickConnection.DECODER, clicks.newDecoder())
                                .addLast(clicks);
                    }
                });
        try {
            Channel listener = bootstrap.bind(address).sync().channel();
            LOG.info("{}: HTTP on {} ({} transport, {} event loop(s), at most {} connections, {} per client)", name,
                    listener.localAddress(), epoll ? "epoll" : "NIO", threads, maxConnections,
                    limits.maxClientConnections());
            return new ClickHttpServer(acceptor, loops, listener, edge.unanswered());
        } catch (RuntimeException | InterruptedException e) {
            acceptor.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    int port() {
        return address().getPort();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Requests read and not yet answered, on every connection. */
    int unanswered() {
        return unanswered.get();
    }

    /** Stops accepting connections; open ones go on until {@link #close()}. */
    void stopListening() {
        listener.close().syncUninterruptibly();
    }

    /** Closes every connection and stops the event loops. */
    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Every connection is a file descriptor: with fewer descriptors than the limit wants, the limit is lowered, so
     * that a flood of connections meets a 503 instead of "too many open files" in the Kafka client.
     */
    private static int withinDescriptorLimit(int wanted) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            long available = os.getMaxFileDescriptorCount() - SPARE_DESCRIPTORS;
            if (available < wanted) {
                int lowered = (int) Math.max(16, available);
                LOG.warn("The process may open {} files, too few for {} connections: at most {} connections."
                        + " Raise the limit (ulimit -n, or ulimits.nofile in compose) for more.",
                        os.getMaxFileDescriptorCount(), wanted, lowered);
                return lowered;
            }
        }
        return wanted;
    }

    /**
     * Counts open connections, in sum and per client; past a limit, answers a new connection at once (503 past the
     * sum, 429 past the client's share) and closes it. The answer is written as raw bytes, since the HTTP codec sits
     * behind this handler and no request was read.
     */
    private static final class Admission extends ChannelInboundHandlerAdapter {
        private final AtomicInteger open;
        private final int max;
        private final ClickConnection.Edge edge;
        private final ClickConnection clicks;
        private ClientShares.Client client;

        Admission(AtomicInteger open, int max, ClickConnection.Edge edge, ClickConnection clicks) {
            this.open = open;
            this.max = max;
            this.edge = edge;
            this.clicks = clicks;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
            InetAddress address = remote.getAddress();
            if (open.incrementAndGet() > max) {
                open.decrementAndGet();
                edge.metrics().unavailable("connections");
                int retryAfter = RetryAfter.OVERLOADED.seconds();
                String incident = edge.incidents().record("connections", "the limit of " + max + " open connections"
                        + " is reached (WEB_MAX_CONNECTIONS): new ones get 503 (the last from " + address + ")", null);
                ctx.writeAndFlush(refusal(503, "Service Unavailable", "the web producer has " + max + " connections"
                        + " open, its limit: connect again in " + retryAfter + " s", retryAfter, incident))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            boolean proxy = edge.proxies().trusts(address);
            client = edge.clients().connect(ClientShares.keyOf(address), proxy);
            if (client == null) {
                open.decrementAndGet();
                edge.metrics().rejected("client_connections");
                int retryAfter = RetryAfter.OVERLOADED.seconds();
                ctx.writeAndFlush(refusal(429, "Too Many Requests", "this client has "
                        + edge.clients().maxConnections() + " connections open, its share (WEB_MAX_CLIENT_CONNECTIONS):"
                        + " send over the ones it has, or connect again in " + retryAfter + " s", retryAfter, null))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            clicks.admitted(client, address, proxy, ((InetSocketAddress) ctx.channel().localAddress()).getPort());
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (client != null) {
                open.decrementAndGet();
                edge.clients().disconnect(client);
                client = null;
            }
            ctx.fireChannelInactive();
        }

        private static ByteBuf refusal(int status, String phrase, String error, int retryAfter, String incident) {
            ObjectNode json = HttpAnswer.errorBody(error).put("retryAfterSeconds", retryAfter);
            if (incident != null) {
                json.put("incident", incident);
            }
            byte[] body = HttpAnswer.json(status, json).body();
            String head = "HTTP/1.1 " + status + " " + phrase + "\r\n"
                    + "Content-Type: " + HttpAnswer.JSON + "\r\n"
                    + "Content-Length: " + body.length + "\r\n"
                    + "Retry-After: " + retryAfter + "\r\n"
                    + "Cache-Control: no-store\r\n"
                    + "Connection: close\r\n\r\n";
            return Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
        }
    }
}
