package ${package}.web;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection: reads one request at a time, whole and within {@link HttpLimits}, hands it to
 * {@link WebRoutes}, writes the answer, and only then reads the next request. Runs on the connection's event
 * loop; nothing here blocks.
 *
 * <p>Longer than the other classes on purpose: the connection's states and their deadlines (the table below) are
 * one state machine, and split across classes its transitions could no longer be read, or checked, in one place.
 *
 * <p>Answering one request at a time is what keeps a client from piling up work: a pipelined request that arrives
 * while one is being answered turns auto-read off until its turn, so further requests wait in the client's
 * socket, and a client that never reads its answers stops being read from. Clients that do not pipeline (all
 * browsers) never see auto-read turned off, which would cost two system calls per request.
 *
 * <p>Every state has a deadline, so no client holds a connection for long without progress:
 * <pre>
 * IDLE      waiting for a request        idleTimeout: close (normal end of keep-alive)
 * HEAD      headers arriving             headerTimeout: 408, close
 * BODY      body arriving                bodyTimeout: 408, close
 * ANSWERING Kafka deciding, answer out   answerTimeout once writing: close (the client does not read)
 * DRAINING  answered, output shut down   2 s: close (reads and drops what the client still sends)
 * </pre>
 * DRAINING is a lingering close: a client still sending a body it was told not to send (413) reads its answer
 * instead of a connection reset.
 */
final class ClickConnection extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ClickConnection.class);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);
    private static final long DRAIN_MAX_BYTES = 1 << 20;

    private enum State { IDLE, HEAD, BODY, ANSWERING, DRAINING }

    private final HttpLimits limits;
    private final WebRoutes routes;
    private final WebMetrics metrics;
    /** Requests of all connections read and not yet answered: shutdown waits for them. */
    private final AtomicInteger unanswered;

    private State state = State.IDLE;
    private boolean countedUnanswered;
    private boolean bytesSinceIdle;
    /**
     * Parts of pipelined requests decoded while one is being answered: at most what one socket read held, since
     * auto-read is off until they are handled (and the codec closes a connection with more than 128 in a row).
     */
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private ScheduledFuture<?> deadline;
    /** The request being read or answered, as far as it was decoded; its Origin decides the CORS headers. */
    private HttpRequest head;
    private ByteBuf body;
    private long drained;

    ClickConnection(HttpLimits limits, WebRoutes routes, WebMetrics metrics, AtomicInteger unanswered) {
        this.limits = limits;
        this.routes = routes;
        this.metrics = metrics;
        this.unanswered = unanswered;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        awaitRequest(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadline();
        releaseBody();
        answered();
        waiting.forEach(ReferenceCountUtil::release);
        waiting.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (state == State.ANSWERING) {
            // A pipelined request: it waits for the answer before it, and nothing more is read meanwhile.
            waiting.add(message);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        handle(ctx, message);
    }

    private void handle(ChannelHandlerContext ctx, Object message) {
        try {
            if (state == State.DRAINING) {
                drain(ctx, message);
            } else if (message instanceof HttpRequest request) {
                startRequest(ctx, request);
            } else if (message instanceof HttpContent content && state == State.BODY) {
                bodyPart(ctx, content);
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    /**
     * Sits before the HTTP codec and notes that bytes came in: after a socket read that completed no part of a
     * request, only this tells that a new request has begun (and its headers' deadline starts).
     */
    ChannelInboundHandlerAdapter byteWatch() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object message) {
                bytesSinceIdle = true;
                ctx.fireChannelRead(message);
            }
        };
    }

    /** After every socket read, even one that completed no part of a request. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.IDLE && bytesSinceIdle) {
            // Bytes of a request arrived, but not its whole head yet: from now on the head has headerTimeout.
            state = State.HEAD;
            schedule(ctx, limits.headerTimeout());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are clients going away: nothing to answer, nobody to tell.
        LOG.debug("Connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /** Ready for the next request: first the pipelined ones already read, then the socket again. */
    private void awaitRequest(ChannelHandlerContext ctx) {
        head = null;
        state = State.IDLE;
        bytesSinceIdle = false;
        schedule(ctx, limits.idleTimeout());
        while (!waiting.isEmpty() && state != State.ANSWERING && ctx.channel().isActive()) {
            handle(ctx, waiting.poll());
        }
        if (waiting.isEmpty() && state != State.ANSWERING) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void startRequest(ChannelHandlerContext ctx, HttpRequest request) {
        cancelDeadline();
        head = request;
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            // The request holds the headers read before the failure, so a 400 or 431 answers an allowed Origin with
            // CORS headers (for a 431: unless the Origin came right before the line that overflowed, which Netty
            // holds back in case that line continues it). A request line too long to read leaves no headers: its
            // 414 cannot carry CORS headers, since the Origin was never read.
            rejectMidRequest(ctx, "bad_request", badRequest(decoded.cause()));
            return;
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
            rejectMidRequest(ctx, "expectation_failed", HttpAnswer.error(417, "Expect: " + expect
                    + " is not supported: send the request without it (or with Expect: 100-continue)"));
            return;
        }
        long declared = HttpUtil.getContentLength(request, -1L);
        if (declared > limits.maxBodyBytes()) {
            // Refused before a byte of the body is read; with Expect: 100-continue the client never sends it.
            tooLarge(ctx, declared + " bytes");
            return;
        }
        if (expect != null) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        // With a Content-Length the body goes straight into an array of that size, which the JSON parser then reads
        // without another copy; a chunked body grows a buffer.
        body = declared >= 0 ? Unpooled.wrappedBuffer(new byte[(int) declared]).clear()
                : ctx.alloc().heapBuffer(1024, limits.maxBodyBytes());
        state = State.BODY;
        schedule(ctx, limits.bodyTimeout());
        if (request instanceof HttpContent content) {
            bodyPart(ctx, content);
        }
    }

    private void bodyPart(ChannelHandlerContext ctx, HttpContent content) {
        ByteBuf part = content.content();
        if ((long) body.readableBytes() + part.readableBytes() > limits.maxBodyBytes()) {
            tooLarge(ctx, "more than " + limits.maxBodyBytes() + " bytes");
            return;
        }
        body.writeBytes(part);
        if (content instanceof LastHttpContent) {
            dispatch(ctx);
        }
    }

    private void dispatch(ChannelHandlerContext ctx) {
        cancelDeadline();
        state = State.ANSWERING;
        countedUnanswered = true;
        unanswered.incrementAndGet();
        byte[] bytes = body.hasArray() && body.arrayOffset() == 0 && body.readerIndex() == 0
                && body.writerIndex() == body.array().length ? body.array() : ByteBufUtil.getBytes(body);
        releaseBody();
        WebRequest request = new WebRequest(head.method().name(), rawPath(head.uri()), head.headers(), bytes,
                fromLoopback(ctx));
        boolean keepAlive = HttpUtil.isKeepAlive(head);
        boolean headOnly = HttpMethod.HEAD.equals(head.method());
        CompletableFuture<HttpAnswer> answer;
        try {
            answer = routes.answer(request, ctx.executor());
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        if (answer.isDone()) {
            answer(ctx, answer.getNow(null), null, keepAlive, headOnly);
        } else {
            answer.whenCompleteAsync((done, error) -> answer(ctx, done, error, keepAlive, headOnly), ctx.executor());
        }
    }

    /** Runs on the event loop. */
    private void answer(ChannelHandlerContext ctx, HttpAnswer answer, Throwable error, boolean keepAlive,
                        boolean headOnly) {
        if (error != null) {
            LOG.error("Unexpected failure answering {} {}", head.method(), head.uri(), error);
            answer = HttpAnswer.error(500, "the server failed unexpectedly (" + error
                    + "): the click may not be stored; the server log has the details").withHeaders(corsHeaders());
        }
        write(ctx, answer, headOnly, answer.closesConnection() || !keepAlive, false);
    }

    /**
     * A 4xx before the request was read to its end: the rest of it is dropped and the connection closed. With the
     * CORS headers of its origin, a page can read why, instead of a network error that its tracker sends again.
     */
    private void rejectMidRequest(ChannelHandlerContext ctx, String reason, HttpAnswer answer) {
        metrics.rejected(reason);
        cancelDeadline();
        releaseBody();
        state = State.ANSWERING;
        write(ctx, answer.withHeaders(corsHeaders()).closingConnection(), false, true, true);
    }

    /**
     * The CORS headers for an answer the connection writes itself, as the routes would give them to the Origin of
     * {@link #head}; none without a head (headers that did not arrive in time never showed their Origin).
     */
    private Map<String, String> corsHeaders() {
        return head == null ? Map.of() : routes.corsHeaders(head.headers());
    }

    private void tooLarge(ChannelHandlerContext ctx, String size) {
        HttpAnswer answer = HttpAnswer.json(413, HttpAnswer.errorBody("the body has " + size + "; the limit is "
                + limits.maxBodyBytes() + " bytes (" + limits.maxBodyBytes() / 1024 + " KiB): send fewer clicks per"
                + " request").put("limitBytes", limits.maxBodyBytes()));
        rejectMidRequest(ctx, "body_too_large", answer);
    }

    /**
     * @param close     close the connection after this answer
     * @param lingering the request was not read to its end: keep reading (and dropping) what the client still
     *                  sends for a while, so that it gets to read the answer; otherwise a plain close
     */
    private void write(ChannelHandlerContext ctx, HttpAnswer answer, boolean headOnly, boolean close,
                       boolean lingering) {
        if (!ctx.channel().isActive()) {
            answered();
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(answer.status()),
                headOnly ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(answer.body()));
        if (answer.status() != 204) { // a 204 (a CORS preflight's answer) has neither (RFC 9110, 8.6)
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
        }
        response.headers()
                // Clicks, readiness and metrics change on every call: no cache may answer for the server.
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                // Browsers take every answer as the type it says (a JSON error is never run as a script).
                .set("X-Content-Type-Options", "nosniff");
        answer.headers().forEach(response.headers()::set);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        schedule(ctx, limits.answerTimeout());
        ctx.writeAndFlush(response).addListener((ChannelFuture written) -> {
            answered();
            cancelDeadline();
            if (!written.isSuccess()) {
                ctx.close();
            } else if (close && lingering) {
                lingeringClose(ctx);
            } else if (close) {
                ctx.close();
            } else {
                awaitRequest(ctx);
            }
        });
    }

    /**
     * Ends our side of the connection (the client reads the answer, then end of stream) and drops what the
     * client still sends until it closes, for at most {@link #DRAIN_TIMEOUT}.
     */
    private void lingeringClose(ChannelHandlerContext ctx) {
        state = State.DRAINING;
        drained = 0;
        if (!(ctx.channel() instanceof DuplexChannel duplex)) {
            ctx.close();
            return;
        }
        duplex.shutdownOutput().addListener(shut -> {
            if (!shut.isSuccess()) {
                ctx.close();
                return;
            }
            schedule(ctx, DRAIN_TIMEOUT);
            waiting.forEach(ReferenceCountUtil::release);
            waiting.clear();
            ctx.channel().config().setAutoRead(true);
        });
    }

    private void drain(ChannelHandlerContext ctx, Object message) {
        if (message instanceof HttpContent content) {
            drained += content.content().readableBytes();
        }
        if (drained > DRAIN_MAX_BYTES) {
            ctx.close();
        }
    }

    private void onDeadline(ChannelHandlerContext ctx) {
        deadline = null;
        switch (state) {
            case HEAD -> rejectMidRequest(ctx, "header_timeout", HttpAnswer.error(408, "the request headers did not"
                    + " arrive within " + limits.headerTimeout().toSeconds() + " s: send the whole request at once"));
            case BODY -> rejectMidRequest(ctx, "body_timeout", HttpAnswer.error(408, "the request body did not arrive"
                    + " in time (fewer bytes than its Content-Length?): send the whole body at once, with a"
                    + " Content-Length that matches it"));
            // IDLE: the normal end of a keep-alive connection; ANSWERING: the client does not take its answer;
            // DRAINING: the client keeps sending after its answer.
            default -> ctx.close();
        }
    }

    private void answered() {
        if (countedUnanswered) {
            countedUnanswered = false;
            unanswered.decrementAndGet();
        }
    }

    private void schedule(ChannelHandlerContext ctx, Duration timeout) {
        cancelDeadline();
        deadline = ctx.executor().schedule(() -> onDeadline(ctx), timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private static HttpAnswer badRequest(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpAnswer.error(414, "the request line is too long: send clicks in the body of POST "
                    + ClicksEndpoint.PATH + ", not in the URL");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpAnswer.error(431, "the request headers are too large: send fewer or shorter headers");
        }
        return HttpAnswer.error(400, "not a valid HTTP/1.1 request (" + cause.getMessage() + "): send POST "
                + ClicksEndpoint.PATH + " with a JSON body");
    }

    private static String rawPath(String uri) {
        if (uri.startsWith("http://") || uri.startsWith("https://")) {
            String path = URI.create(uri).getRawPath();
            return path == null || path.isEmpty() ? "/" : path;
        }
        return new QueryStringDecoder(uri).rawPath();
    }

    private static boolean fromLoopback(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress remote
                && remote.getAddress() != null && remote.getAddress().isLoopbackAddress();
    }
}
