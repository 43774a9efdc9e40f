package ${package}.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * What happened when this machine tried a TCP connection to a broker address: the facts a listener
 * diagnosis is made of. Kafka clients only say "timed out" when any of these goes wrong; here each case
 * has its own name.
 */
public record Reachability(BrokerAddress address, Outcome outcome, String resolvedTo, String detail) {

    public enum Outcome {
        /** The host name has no address here (e.g. a compose service name, seen from the host). */
        UNRESOLVED,
        /** Nothing listens there. */
        REFUSED,
        /** No answer at all: a firewall, a wrong address, a host that is down. */
        NO_ANSWER,
        /**
         * Something accepted the connection and closed it at once, without a byte. That is Docker's published
         * port when nothing listens behind it on the container's address.
         */
        CLOSED_AT_ONCE,
        /** Connected, and the other side waits for a request as a Kafka broker does. */
        OPEN
    }

    /** How long a closed connection may take to show: the proxy needs one round trip to its target. */
    private static final Duration CLOSE_GRACE = Duration.ofMillis(500);

    public boolean ok() {
        return outcome == Outcome.OPEN;
    }

    public static Reachability check(BrokerAddress address, Duration timeout) {
        InetAddress[] resolved;
        try {
            resolved = resolve(address.host(), timeout);
        } catch (UnknownHostException e) {
            return new Reachability(address, Outcome.UNRESOLVED, null, "does not resolve here");
        }
        String resolvedTo = Arrays.stream(resolved).map(InetAddress::getHostAddress).distinct()
                .collect(Collectors.joining(", "));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(resolved[0], address.port()), (int) timeout.toMillis());
            socket.setSoTimeout((int) CLOSE_GRACE.toMillis());
            InputStream in = socket.getInputStream();
            try {
                int first = in.read();
                return first < 0
                        ? new Reachability(address, Outcome.CLOSED_AT_ONCE, resolvedTo, "accepts connections but closes them at once")
                        : new Reachability(address, Outcome.OPEN, resolvedTo, "accepts connections");
            } catch (SocketTimeoutException quiet) {
                // A broker says nothing until it gets a request: silence is the good answer.
                return new Reachability(address, Outcome.OPEN, resolvedTo, "accepts connections");
            } catch (IOException reset) {
                return new Reachability(address, Outcome.CLOSED_AT_ONCE, resolvedTo,
                        "accepts connections but resets them at once");
            }
        } catch (ConnectException e) {
            return new Reachability(address, Outcome.REFUSED, resolvedTo, "refuses connections (nothing listens there)");
        } catch (SocketTimeoutException | NoRouteToHostException e) {
            return new Reachability(address, Outcome.NO_ANSWER, resolvedTo,
                    "does not answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return new Reachability(address, Outcome.NO_ANSWER, resolvedTo, "cannot be reached: " + e.getMessage());
        }
    }

    /** Name resolution with a deadline: a DNS server that does not answer must not stall the doctor. */
    static InetAddress[] resolve(String host, Duration timeout) throws UnknownHostException {
        CompletableFuture<InetAddress[]> lookup = CompletableFuture.supplyAsync(() -> {
            try {
                return InetAddress.getAllByName(host);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            return lookup.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new UnknownHostException(host);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnknownHostException(host);
        }
    }

    /** One line for the report, e.g. {@code kafka:${kafkaInsidePort} -> 172.18.0.2: refuses connections}. */
    public String describe() {
        return address + (resolvedTo == null ? "" : " -> " + resolvedTo) + ": " + detail;
    }
}
