package ${package}.web;

import java.time.Duration;

/**
 * What one client may cost the web producer. Each bound keeps a slow, idle or hostile client from holding
 * memory or a connection for long; none of them costs a thread, since the event loops never wait for a client.
 *
 * @param maxConnections open connections at most; past it a new one gets a 503 and is closed
 * @param maxBodyBytes   the largest request body; larger gets 413
 * @param headerTimeout  from the first byte of a request to the end of its headers; else 408 and close
 * @param bodyTimeout    from the end of the headers to the end of the body; else 408 and close
 * @param idleTimeout    a keep-alive connection with no request for this long is closed
 * @param answerTimeout  an answer the client does not take (it stopped reading) is given up after this, and
 *                       the connection closed
 */
public record HttpLimits(int maxConnections, int maxBodyBytes, Duration headerTimeout, Duration bodyTimeout,
                         Duration idleTimeout, Duration answerTimeout) {

    /**
     * Clicks are small and pages send them in one go: 10 s for the headers and 5 s for a body are generous for
     * a phone on a bad network, and short enough that thousands of trickling clients cost little. Browsers
     * keep idle connections for 60 s at most (Chrome: 300 s unless the server closes first).
     */
    public static final HttpLimits DEFAULT = new HttpLimits(10_000, 64 * 1024, Duration.ofSeconds(10),
            Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(10));

    public HttpLimits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, got " + maxConnections);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1, got " + maxBodyBytes);
        }
        for (Duration timeout : new Duration[] {headerTimeout, bodyTimeout, idleTimeout, answerTimeout}) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("every timeout must be positive: " + timeout);
            }
        }
    }

    public HttpLimits withMaxConnections(int connections) {
        return new HttpLimits(connections, maxBodyBytes, headerTimeout, bodyTimeout, idleTimeout, answerTimeout);
    }

    /** The same limits with other timeouts (tests use short ones). */
    public HttpLimits withTimeouts(Duration header, Duration body, Duration idle, Duration answer) {
        return new HttpLimits(maxConnections, maxBodyBytes, header, body, idle, answer);
    }
}
