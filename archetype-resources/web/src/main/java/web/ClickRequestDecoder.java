package ${package}.web;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's request decoder (it refuses a request framed by both Transfer-Encoding and Content-Length, the shape of
 * request smuggling; Netty's server codec, which this replaces, adds a bound on pipelined requests, which
 * {@link ClickConnection} keeps itself), able to say whether it holds bytes of a request not yet decoded: a
 * connection replaces its decoder, when it holds none, after a request with a long head. The decoder keeps one scratch buffer for the lines it parses, which grows to the longest line it has
 * seen (a 16 KiB Cookie header) and never shrinks: kept for the life of a keep-alive connection, that is up to
 * 16 KiB of heap per idle connection, 80 MiB for 5,000.
 */
final class ClickRequestDecoder extends HttpRequestDecoder {

    /**
     * A head longer than this may have grown the scratch buffer past what a waiting or idle connection should keep
     * (a browser's head with cookies is often longer; one with a User-Agent alone, not).
     */
    static final int LONG_HEAD_BYTES = 512;

    ClickRequestDecoder(HttpDecoderConfig config) {
        super(config);
    }

    /** Holds no byte of a request it has not decoded yet: replacing it loses nothing. */
    boolean holdsNothing() {
        return !internalBuffer().isReadable();
    }
}
