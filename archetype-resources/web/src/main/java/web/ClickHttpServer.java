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
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP/1.1 server: Netty event loops, one per core, each serving many connections without a thread per
 * client, and one more thread that only accepts connections. Chosen by measurement over the JDK's server (which
 * holds a thread per slow client), Vert.x, Jetty and Helidon; see the README's benchmark section.
 *
 * <p>Each connection's pipeline: {@link ConnectionLimit} (a 503 past {@link HttpLimits#maxConnections()}), a
 * watch for arriving bytes (see {@link ClickConnection#byteWatch()}), the HTTP codec (request line and headers
 * bounded), and {@link ClickConnection}.
 */
final class ClickHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHttpServer.class);
    /** Connections waiting to be accepted: bursts of new clients queue instead of being refused. */
    private static final int ACCEPT_BACKLOG = 1024;
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
     * Listens on {@code port} (0: any free one) and serves each connection with a new {@link ClickConnection}.
     *
     * @throws java.net.BindException if the port is taken
     */
    static ClickHttpServer start(int port, HttpLimits limits, WebRoutes routes, WebMetrics metrics,
                                 AtomicInteger openConnections) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channel = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        // A thread of its own accepts connections: on the event loops that serve clients, a few busy clients could
        // keep it from accepting new ones for seconds while they pipeline batches (SlowClientsFaultIT's third phase
        // shows it). Not daemon threads: they keep the process alive after main() returns.
        EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("web-accept", false), io);
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                new DefaultThreadFactory("web-http", false), io);
        int maxConnections = withinDescriptorLimit(limits.maxConnections());
        AtomicInteger unanswered = new AtomicInteger();
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
                // Answers leave at once instead of waiting for the client's delayed ACK (Nagle).
                .childOption(ChannelOption.TCP_NODELAY, true)
                // A fixed 32 KiB send buffer (answers are a few KiB), instead of one Linux grows to megabytes: a
                // client that sends requests but never reads the answers is stopped after a few dozen of them,
                // instead of after thousands that keep the event loops busy while other clients wait (the third
                // phase of SlowClientsFaultIT).
                .childOption(ChannelOption.SO_SNDBUF, 32 * 1024)
                // One read (at most 64 KiB) per connection per turn of its event loop, instead of up to 16: a client
                // with a backlog of pipelined requests waits its turn like everyone else.
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(1))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel connection) {
                        ClickConnection clicks = new ClickConnection(limits, routes, metrics, unanswered);
                        connection.pipeline().addLast(
                                new ConnectionLimit(openConnections, maxConnections, metrics),
                                clicks.byteWatch(),
                                new HttpServerCodec(decoding),
                                clicks);
                    }
                });
        try {
            Channel listener = bootstrap.bind(new InetSocketAddress(port)).sync().channel();
            LOG.info("HTTP on port {} ({} transport, {} event loops, at most {} connections)",
                    ((InetSocketAddress) listener.localAddress()).getPort(), epoll ? "epoll" : "NIO",
                    Runtime.getRuntime().availableProcessors(), maxConnections);
            return new ClickHttpServer(acceptor, loops, listener, unanswered);
        } catch (RuntimeException | InterruptedException e) {
            acceptor.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
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
     * Counts open connections; past the limit, answers a new one with 503 at once and closes it. The answer is
     * written as raw bytes, since the HTTP codec sits behind this handler and no request was read.
     */
    private static final class ConnectionLimit extends ChannelInboundHandlerAdapter {
        private final AtomicInteger open;
        private final int max;
        private final WebMetrics metrics;
        private boolean counted;

        ConnectionLimit(AtomicInteger open, int max, WebMetrics metrics) {
            this.open = open;
            this.max = max;
            this.metrics = metrics;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (open.incrementAndGet() > max) {
                open.decrementAndGet();
                metrics.unavailable("connections");
                ctx.writeAndFlush(tooManyConnections(max)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            counted = true;
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (counted) {
                counted = false;
                open.decrementAndGet();
            }
            ctx.fireChannelInactive();
        }

        private static ByteBuf tooManyConnections(int max) {
            int retryAfter = RetryAfter.OVERLOADED.seconds();
            byte[] body = ("{\"error\":\"the web producer has " + max + " connections open, its limit: connect again"
                    + " in " + retryAfter + " s\",\"retryAfterSeconds\":" + retryAfter + "}")
                    .getBytes(StandardCharsets.UTF_8);
            String head = "HTTP/1.1 503 Service Unavailable\r\n"
                    + "Content-Type: " + HttpAnswer.JSON + "\r\n"
                    + "Content-Length: " + body.length + "\r\n"
                    + "Retry-After: " + retryAfter + "\r\n"
                    + "Cache-Control: no-store\r\n"
                    + "Connection: close\r\n\r\n";
            return Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
        }
    }
}
