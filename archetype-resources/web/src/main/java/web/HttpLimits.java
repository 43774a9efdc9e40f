package ${package}.web;

import java.time.Duration;

/**
 * What the clients of the web producer may cost it, in sum and each. Each bound keeps a slow, idle or hostile
 * client from holding memory or a connection for long; none of them costs a thread, since the event loops never
 * wait for a client. A client is a remote address (an IPv6 client: its /64), or the address a trusted proxy
 * reports ({@link TrustedProxies}).
 *
 * @param maxConnections       open connections at most; past it a new one gets a 503 and is closed
 * @param maxClientConnections one client's open connections at most; past it a new one gets a 429 and is closed
 *                             (a trusted proxy's connections count only towards {@code maxConnections})
 * @param maxBodyBytes         the largest request body; larger gets 413
 * @param requestMemoryBytes   the bytes all unfinished requests may hold at once (head and body read so far, and
 *                             the receive buffer each pins): past it the request that asks for more gets 503
 * @param headerTimeout        from the first byte of a request to the end of its headers; else 408 and close
 * @param bodyTimeout          from the end of the headers to the end of the body; else 408 and close
 * @param idleTimeout          a keep-alive connection with no request for this long is closed
 * @param answerTimeout        an answer the client does not take (it stopped reading) is given up after this, and
 *                             the connection closed
 */
public record HttpLimits(int maxConnections, int maxClientConnections, int maxBodyBytes, long requestMemoryBytes,
                         Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, Duration answerTimeout) {

    /** One client may hold this part of the memory for unfinished requests (the rest is everyone else's). */
    static final int CLIENT_REQUEST_MEMORY_SHARE = 8;

    /**
     * Clicks are small and pages send them in one go: 10 s for the headers and 5 s for a body are generous for
     * a phone on a bad network, and short enough that thousands of trickling clients cost little. Browsers
     * keep idle connections for 60 s at most (Chrome: 300 s unless the server closes first). 5,000 connections
     * cost 12 MiB of heap (2.5 KiB each, measured), which the heap's worst-case sum (README) can carry; one client
     * (a NAT of many users is one client) may hold a tenth of them. The memory for unfinished requests is sized to
     * the heap, see {@link #requestMemoryFor}.
     */
    public static final HttpLimits DEFAULT = new HttpLimits(5_000, 500, 64 * 1024,
            requestMemoryFor(Runtime.getRuntime().maxMemory()), Duration.ofSeconds(10), Duration.ofSeconds(5),
            Duration.ofSeconds(60), Duration.ofSeconds(10));

    public HttpLimits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, got " + maxConnections);
        }
        if (maxClientConnections < 1) {
            throw new IllegalArgumentException("maxClientConnections must be at least 1, got " + maxClientConnections);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1, got " + maxBodyBytes);
        }
        if (requestMemoryBytes < RequestMemory.UNFINISHED_REQUEST_BYTES + maxBodyBytes) {
            throw new IllegalArgumentException("the memory for unfinished requests must hold at least one whole"
                    + " request (" + (RequestMemory.UNFINISHED_REQUEST_BYTES + maxBodyBytes) + " bytes), got "
                    + requestMemoryBytes);
        }
        for (Duration timeout : new Duration[] {headerTimeout, bodyTimeout, idleTimeout, answerTimeout}) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("every timeout must be positive: " + timeout);
            }
        }
    }

    /** An eighth of the heap, from 4 to 64 MiB: 12 MiB with web/jvm.options' 96 MiB heap. */
    static long requestMemoryFor(long maxHeapBytes) {
        return Math.max(4L << 20, Math.min(64L << 20, maxHeapBytes / 8));
    }

    /** What one client's unfinished requests may hold: {@link #CLIENT_REQUEST_MEMORY_SHARE} of the whole. */
    long clientRequestMemoryBytes() {
        return Math.max(RequestMemory.UNFINISHED_REQUEST_BYTES + maxBodyBytes,
                requestMemoryBytes / CLIENT_REQUEST_MEMORY_SHARE);
    }

    public HttpLimits withMaxConnections(int connections, int clientConnections) {
        return new HttpLimits(connections, clientConnections, maxBodyBytes, requestMemoryBytes, headerTimeout,
                bodyTimeout, idleTimeout, answerTimeout);
    }

    public HttpLimits withRequestMemory(long bytes) {
        return new HttpLimits(maxConnections, maxClientConnections, maxBodyBytes, bytes, headerTimeout, bodyTimeout,
                idleTimeout, answerTimeout);
    }

    /** The same limits with other timeouts (tests use short ones). */
    public HttpLimits withTimeouts(Duration header, Duration body, Duration idle, Duration answer) {
        return new HttpLimits(maxConnections, maxClientConnections, maxBodyBytes, requestMemoryBytes, header, body,
                idle, answer);
    }
}
