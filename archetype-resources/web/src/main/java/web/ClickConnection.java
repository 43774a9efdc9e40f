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
import io.netty.handler.codec.http.HttpMessageDecoderResult;
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
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

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
 * socket, and a client that never reads its answers stops being read from. Its turn comes on a timer
 * ({@link #PIPELINED_BYTES_PER_SECOND}): the kernel takes a few dozen answers before a client that never reads them
 * is stopped, and served at once, 200 such clients posting batches kept the event loops and Kafka from everyone
 * else for seconds. Clients that do not pipeline (all browsers) never see auto-read turned off, which would cost
 * two system calls per request, nor the timer.
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
 *
 * <p>What an unfinished request holds is charged to {@link RequestMemory} and to the client's share as it arrives
 * (see there for what counts); after every socket read, a request still unfinished is refused when either is over
 * its bound. The body buffer grows as bytes arrive, never to a declared length that has not been sent.
 */
final class ClickConnection extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ClickConnection.class);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);
    private static final long DRAIN_MAX_BYTES = 1 << 20;
    private static final byte[] EMPTY = new byte[0];

    private enum State { IDLE, HEAD, BODY, ANSWERING, DRAINING }

    /** A body's first buffer when its first part does not hold all of it; it then grows by doubling. */
    private static final int INITIAL_BODY_CAPACITY = 1024;
    /** Pipelined requests of one connection are taken in at most this many body bytes a second. */
    static final long PIPELINED_BYTES_PER_SECOND = 8 * 1024;
    /** What a pipelined request counts besides its body: its head. */
    private static final long PIPELINED_REQUEST_BYTES = 1024;
    /** Requests read ahead while one is answered, at most (as Netty's server codec bounds them). */
    static final int MAX_PIPELINED = 128;

    /**
     * What every connection of one server shares.
     *
     * @param unanswered requests of all connections read and not yet answered: shutdown waits for them
     */
    record Edge(HttpLimits limits, HttpRoutes routes, WebMetrics metrics, AtomicInteger unanswered,
                RequestMemory memory, ClientShares clients, TrustedProxies proxies, Incidents incidents) {
    }

    /** The name of the request decoder in the pipeline. */
    static final String DECODER = "decoder";

    private final Edge edge;
    private final Supplier<ClickRequestDecoder> decoders;
    private ClickRequestDecoder decoder;
    /** The last request's head was long: the decoder is replaced once it holds nothing (see ClickRequestDecoder). */
    private boolean longHead;
    private final HttpLimits limits;
    private final HttpRoutes routes;
    private final WebMetrics metrics;

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
    private long declaredLength;
    /** Created when the first part of the body arrives. */
    private ByteBuf body;
    /** The body size of the last request read whole: a pipelined request after it waits in proportion. */
    private long lastBodyBytes;
    /** Pipelined requests were dropped: the connection closes after the answer it waits for. */
    private boolean closeAfterAnswer;
    /** Requests read while one was answered, since the last answer; past {@link #MAX_PIPELINED} they are dropped. */
    private int pipelined;
    private long drained;

    /** Set by the connection's admission before any byte is read. */
    private ClientShares.Client client;
    private InetAddress peer;
    private boolean peerIsProxy;
    private int localPort;
    /** What this connection's unfinished request holds. */
    private final RequestCharge charge;

    ClickConnection(Edge edge, Supplier<ClickRequestDecoder> decoders) {
        this.edge = edge;
        this.limits = edge.limits();
        this.routes = edge.routes();
        this.metrics = edge.metrics();
        this.decoders = decoders;
        this.charge = new RequestCharge(edge.memory());
    }

    /** The request decoder for this connection's pipeline, under {@link #DECODER}. */
    ClickRequestDecoder newDecoder() {
        decoder = decoders.get();
        return decoder;
    }

    /** Who is on the other end: called once, when the connection is admitted, before anything is read. */
    void admitted(ClientShares.Client admittedClient, InetAddress remote, boolean remoteIsProxy, int port) {
        this.client = admittedClient;
        this.charge.client(admittedClient);
        this.peer = remote;
        this.peerIsProxy = remoteIsProxy;
        this.localPort = port;
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
        charge.release();
        answered();
        waiting.forEach(ReferenceCountUtil::release);
        waiting.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (state == State.ANSWERING) {
            // A pipelined request: it waits for the answer before it, and nothing more is read meanwhile (its bytes
            // were charged as they were read). Copied to the heap, so that while it waits (paced, perhaps for
            // seconds) it does not pin Netty's receive buffer, a larger block of direct memory than its bytes.
            if (message instanceof HttpRequest && ++pipelined > MAX_PIPELINED) {
                // as Netty's server codec: past this depth the rest is dropped, and the connection closes after the
                // answer it waits for
                ReferenceCountUtil.release(message);
                dropPipelined("pipeline_depth");
                return;
            }
            waiting.add(onHeap(message));
            ctx.channel().config().setAutoRead(false);
            return;
        }
        handle(ctx, message);
    }

    private static Object onHeap(Object message) {
        if (message instanceof HttpContent content && content.content().isDirect()) {
            HttpContent copy = content.replace(Unpooled.copiedBuffer(content.content()));
            content.release();
            return copy;
        }
        return message;
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
     * request, only this tells that a new request has begun (and its headers' deadline starts). It charges the
     * bytes of heads, which the codec keeps until they are whole and then holds as parsed headers, and of
     * pipelined requests, which wait whole; a body's bytes are charged as its buffer grows.
     */
    ChannelInboundHandlerAdapter byteWatch() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object message) {
                bytesSinceIdle = true;
                if (message instanceof ByteBuf bytes) {
                    if (state == State.IDLE || state == State.HEAD) {
                        charge.head(bytes);
                    } else if (state == State.ANSWERING) {
                        charge.add(bytes.readableBytes());
                    }
                }
                ctx.fireChannelRead(message);
            }
        };
    }

    /**
     * After every socket read, even one that completed no part of a request: a request that is still unfinished
     * now holds memory until its next bytes come, and is refused if there is no room for that.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.IDLE && bytesSinceIdle) {
            // Bytes of a request arrived, but not its whole head yet: from now on the head has headerTimeout.
            state = State.HEAD;
            schedule(ctx, limits.headerTimeout());
        }
        if (state == State.HEAD) {
            // Only empty lines so far (a client may send some before its request line): the head is still to come.
            charge.headGoesOn();
            if (charge.headLines() > RequestMemory.MAX_HEADER_FIELDS + 1) {
                tooManyHeaderFields(ctx, charge.headLines() - 1);
                return;
            }
        }
        if (state == State.HEAD || state == State.BODY) {
            charge.receiveBuffer();
            if (edge.memory().overBudget()) {
                refuseForMemory(ctx);
            } else if (charge.overShare(edge.clients(), peerIsProxy)) {
                int retryAfter = RetryAfter.OVERLOADED.seconds();
                rejectMidRequest(ctx, "client_request_memory", HttpAnswer.retryLater(429,
                        HttpAnswer.errorBody("this client's unfinished requests hold " + charge.clientBytes()
                                + " bytes, its share is " + edge.clients().maxRequestBytes() + ": send each request"
                                + " whole and at once, and this one again in " + retryAfter + " s"), retryAfter));
            }
        } else if (state == State.ANSWERING && !waiting.isEmpty() && charge.overBound(edge.clients(), peerIsProxy)) {
            // Pipelined requests read while one is answered hold their bytes until their turn: within the same
            // bounds. Past them they are dropped unread, and the connection closes after the answer it waits for
            // (a client that pipelines sends again what was not answered, RFC 9112 9.3.2).
            metrics.unavailable("request_memory");
            dropPipelined(null);
        }
    }

    /** Drops the pipelined requests read so far; the connection closes after the answer it waits for. */
    private void dropPipelined(String rejectedReason) {
        if (rejectedReason != null) {
            metrics.rejected(rejectedReason);
        }
        waiting.forEach(ReferenceCountUtil::release);
        waiting.clear();
        charge.release();
        closeAfterAnswer = true;
    }

    /**
     * 503: every unfinished request together holds the memory the server has for them. This request asked for more,
     * so it is the one refused; requests that arrive whole still pass.
     */
    private void refuseForMemory(ChannelHandlerContext ctx) {
        metrics.unavailable("request_memory");
        int retryAfter = RetryAfter.OVERLOADED.seconds();
        String incident = edge.incidents().record("request_memory", "unfinished requests hold "
                + edge.memory().held() + " bytes, the limit is " + edge.memory().budget() + " (WEB_REQUEST_MEMORY):"
                + " refusing the ones that ask for more (the last from " + peer + ")", null);
        ObjectNode body = HttpAnswer.errorBody("the web producer is holding as many unfinished requests as it has"
                + " memory for: send this request again in " + retryAfter + " s, whole and at once");
        body.put("incident", incident);
        cancelDeadline();
        releaseBody();
        charge.release();
        state = State.ANSWERING;
        write(ctx, HttpAnswer.retryLater(503, body, retryAfter).withHeaders(corsHeaders()).closingConnection(),
                false, true, true);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are clients going away: nothing to answer, nobody to tell.
        LOG.debug("Connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private void awaitRequest(ChannelHandlerContext ctx) {
        awaitRequest(ctx, 0);
    }

    /**
     * Ready for the next request: first the pipelined ones already read (paced), then the socket again.
     *
     * @param pauseNanos how long nothing more is taken from this connection (the last answer's Retry-After)
     */
    private void awaitRequest(ChannelHandlerContext ctx, long pauseNanos) {
        head = null;
        pipelined = (int) waiting.stream().filter(HttpRequest.class::isInstance).count();
        state = State.IDLE;
        bytesSinceIdle = false;
        charge.nextRequest();
        renewDecoderIfIdle(ctx);
        long pause = pauseNanos;
        if (!waiting.isEmpty()) {
            // The client sent this before it had the last answer: it pipelines, as no browser does. Its requests
            // wait their turn on a timer, as many body bytes a second as PIPELINED_BYTES_PER_SECOND allows: a client
            // that posts batches and never reads the answers (the kernel takes a few dozen of them before its
            // window closes) is served at that pace, not all at once at everyone else's expense.
            pause = Math.max(pause, (lastBodyBytes + PIPELINED_REQUEST_BYTES) * 1_000_000_000L
                    / PIPELINED_BYTES_PER_SECOND);
        }
        // The keep-alive deadline counts from when the connection is read again.
        schedule(ctx, limits.idleTimeout().plusNanos(pause));
        if (pause == 0) {
            ctx.channel().config().setAutoRead(true);
        } else {
            ctx.channel().config().setAutoRead(false);
            ctx.executor().schedule(() -> takeWaiting(ctx), pause, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * After a request with a long head, a fresh decoder, as soon as the old one holds no byte of a request to come
     * (nothing pipelined): see {@link ClickRequestDecoder} for what the old one would keep.
     */
    private void renewDecoderIfIdle(ChannelHandlerContext ctx) {
        if (longHead && waiting.isEmpty() && decoder.holdsNothing() && ctx.channel().isActive()) {
            longHead = false;
            ctx.pipeline().replace(decoder, DECODER, newDecoder());
        }
    }

    /** The pipelined requests already read, one by one, then the socket again. */
    private void takeWaiting(ChannelHandlerContext ctx) {
        if (state != State.IDLE || !ctx.channel().isActive()) {
            return;
        }
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
        if (request.headers().size() > RequestMemory.MAX_HEADER_FIELDS) {
            tooManyHeaderFields(ctx, request.headers().size());
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
        declaredLength = declared;
        state = State.BODY;
        schedule(ctx, limits.bodyTimeout());
        if (request instanceof HttpContent content) {
            bodyPart(ctx, content);
        }
    }

    private void bodyPart(ChannelHandlerContext ctx, HttpContent content) {
        ByteBuf part = content.content();
        int received = body == null ? 0 : body.readableBytes();
        if ((long) received + part.readableBytes() > limits.maxBodyBytes()) {
            tooLarge(ctx, "more than " + limits.maxBodyBytes() + " bytes");
            return;
        }
        if (body == null && (part.isReadable() || !(content instanceof LastHttpContent))) {
            // Sized by what arrived, never by what was declared: a client that declares 64 KiB and sends one byte
            // costs one small buffer. A body that came whole gets an array of its exact size, which the JSON
            // parser reads without another copy; one still arriving grows (by doubling, up to its declared length).
            int max = declaredLength >= 0 ? (int) declaredLength : limits.maxBodyBytes();
            int first = Math.min(max, Math.max(part.readableBytes(), INITIAL_BODY_CAPACITY));
            body = Unpooled.buffer(first, max);
            charge.add(body.capacity());
        }
        if (part.isReadable()) {
            int capacity = body.capacity();
            body.writeBytes(part);
            charge.add(body.capacity() - capacity);
        }
        if (content instanceof LastHttpContent) {
            dispatch(ctx);
        }
    }

    private void dispatch(ChannelHandlerContext ctx) {
        cancelDeadline();
        state = State.ANSWERING;
        countedUnanswered = true;
        edge.unanswered().incrementAndGet();
        lastBodyBytes = body == null ? 0 : body.readableBytes();
        byte[] bytes = body == null ? EMPTY
                : body.hasArray() && body.arrayOffset() == 0 && body.readerIndex() == 0
                && body.writerIndex() == body.array().length ? body.array() : ByteBufUtil.getBytes(body);
        releaseBody();
        // Read whole: what it held becomes clicks in flight, bounded there. Pipelined requests already read stay
        // charged.
        charge.release();
        charge.add(waitingBytes());
        String sender = peerIsProxy ? ClientShares.keyOf(edge.proxies().client(peer, head.headers())) : client.key();
        WebRequest request = new WebRequest(head.method().name(), rawPath(head.uri()), head.headers(), bytes,
                sender, localPort);
        longHead = head.decoderResult() instanceof HttpMessageDecoderResult sizes
                && sizes.totalSize() > ClickRequestDecoder.LONG_HEAD_BYTES;
        if (longHead) {
            // once this read is decoded: while Kafka decides, the connection need not keep the long line's buffer
            ctx.executor().execute(() -> renewDecoderIfIdle(ctx));
        }
        Answering answering = new Answering(HttpUtil.isKeepAlive(head), HttpMethod.HEAD.equals(head.method()),
                head.method() + " " + RejectionLog.printable(head.uri()), head.headers().get(HttpHeaderNames.ORIGIN));
        // While Kafka decides, the connection keeps only what its answer needs, not the parsed head: a head of up to
        // 16 KiB, times every connection waiting through a broker outage, would be more than the heap.
        head = null;
        CompletableFuture<HttpAnswer> answer;
        try {
            answer = routes.answer(request, ctx.executor());
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        if (answer.isDone() && !answer.isCompletedExceptionally()) {
            answer(ctx, answer.join(), null, answering);
        } else {
            answer.whenCompleteAsync((done, error) -> answer(ctx, done, error, answering), ctx.executor());
        }
    }

    /** What answering a request read whole needs of its head. */
    private record Answering(boolean keepAlive, boolean headOnly, String requestLine, String origin) {
    }

    /** Runs on the event loop. */
    private void answer(ChannelHandlerContext ctx, HttpAnswer answer, Throwable error, Answering answering) {
        if (error != null) {
            String incident = edge.incidents().record("unexpected", "unexpected failure answering "
                    + answering.requestLine(), error);
            ObjectNode body = HttpAnswer.errorBody("the server failed unexpectedly: the click may not be stored;"
                    + " send it again, and if this repeats, give the operator the incident id");
            body.put("incident", incident);
            answer = HttpAnswer.json(500, body).withHeaders(routes.corsHeaders(answering.origin(), localPort));
        }
        write(ctx, answer, answering.headOnly(), answer.closesConnection() || !answering.keepAlive(), false);
    }

    /**
     * A 4xx before the request was read to its end: the rest of it is dropped and the connection closed. With the
     * CORS headers of its origin, a page can read why, instead of a network error that its tracker sends again.
     */
    private void rejectMidRequest(ChannelHandlerContext ctx, String reason, HttpAnswer answer) {
        metrics.rejected(reason);
        cancelDeadline();
        releaseBody();
        charge.release();
        state = State.ANSWERING;
        write(ctx, answer.withHeaders(corsHeaders()).closingConnection(), false, true, true);
    }

    /**
     * The CORS headers for an answer the connection writes itself, as the routes would give them to the Origin of
     * {@link #head}; none without a head (headers that did not arrive in time never showed their Origin).
     */
    private Map<String, String> corsHeaders() {
        return head == null ? Map.of() : routes.corsHeaders(head.headers().get(HttpHeaderNames.ORIGIN), localPort);
    }

    /** 431: each header field costs the server more than its bytes, so their number is bounded too. */
    private void tooManyHeaderFields(ChannelHandlerContext ctx, long fields) {
        rejectMidRequest(ctx, "too_many_header_fields", HttpAnswer.error(431, "the request has " + fields
                + " header fields or more; the limit is " + RequestMemory.MAX_HEADER_FIELDS + ": send fewer headers"));
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
        if (close || closeAfterAnswer) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        schedule(ctx, limits.answerTimeout());
        ctx.writeAndFlush(response).addListener((ChannelFuture written) -> {
            answered();
            cancelDeadline();
            if (!written.isSuccess()) {
                ctx.close();
            } else if (close && lingering || closeAfterAnswer) {
                // the client may still be sending (the dropped pipelined requests): it reads its answer, then the end
                lingeringClose(ctx);
            } else if (close) {
                ctx.close();
            } else {
                awaitRequest(ctx, retryAfterNanos(answer));
            }
        });
    }

    /**
     * How long a 429 told its client to wait before it sends again ({@code Retry-After}): that long the connection
     * is not read. A client that waits as told notices nothing; one that does not (a flood that sends again at once,
     * as fast as its refusals come) is held to one request per wait on each of its connections, instead of keeping
     * the event loops busy refusing it. Only a 429, which says the client itself takes too much: a 503 says the
     * server is short, and the next request may find room at once.
     */
    private static long retryAfterNanos(HttpAnswer answer) {
        String retryAfter = answer.status() == 429 ? answer.headers().get("Retry-After") : null;
        return retryAfter == null ? 0 : TimeUnit.SECONDS.toNanos(Long.parseLong(retryAfter));
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
            edge.unanswered().decrementAndGet();
        }
    }

    /** What the pipelined requests that wait their turn hold: their bodies' bytes and their heads' sizes. */
    private long waitingBytes() {
        long bytes = 0;
        for (Object message : waiting) {
            if (message instanceof HttpContent content) {
                bytes += content.content().readableBytes();
            }
            if (message instanceof HttpRequest request
                    && request.decoderResult() instanceof HttpMessageDecoderResult decoded) {
                bytes += decoded.totalSize();
            }
        }
        return bytes;
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

}
