package ${package}.web;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What each client holds of the web producer, so that one client cannot take what the others need: its open
 * connections, its clicks waiting for Kafka and the memory of its unfinished requests, each with a share of the
 * whole. The global bounds stay where they are ({@link HttpLimits}, {@link InFlightClicks}, {@link RequestMemory});
 * a share is checked first, so a client past its share gets 429 while everyone else still fits.
 *
 * <p>A client is an IPv4 address, or an IPv6 /64 (one subscriber gets a whole /64 and can pick any address in
 * it). A client's entry exists only while it holds something (a connection, a click in flight), so the map is
 * bounded by the connections and the clicks in flight.
 */
final class ClientShares {

    /** One client may have this part of the clicks in flight. */
    static final int CLIENT_CLICKS_SHARE = 4;

    /** One client's holdings. The counters are read and changed from any thread. */
    static final class Client {
        private final String key;
        /** Connections, clicks in flight and requests that refer to this entry; changed only inside compute. */
        private int holders;
        private final AtomicInteger connections = new AtomicInteger();
        private final AtomicLong clicksInFlight = new AtomicLong();
        private final AtomicLong requestBytes = new AtomicLong();

        private Client(String key) {
            this.key = key;
        }

        String key() {
            return key;
        }

        int connections() {
            return connections.get();
        }

        long clicksInFlight() {
            return clicksInFlight.get();
        }

        long requestBytes() {
            return requestBytes.get();
        }

        /** The bytes its unfinished requests hold, changed by its connections (negative: released). */
        void addRequestBytes(long bytes) {
            requestBytes.addAndGet(bytes);
        }
    }

    private final ConcurrentHashMap<String, Client> clients = new ConcurrentHashMap<>();
    private final int maxConnections;
    private final long maxClicksInFlight;
    private final long maxRequestBytes;

    ClientShares(int maxConnections, long maxClicksInFlight, long maxRequestBytes) {
        this.maxConnections = maxConnections;
        this.maxClicksInFlight = maxClicksInFlight;
        this.maxRequestBytes = maxRequestBytes;
    }

    static ClientShares of(HttpLimits limits, InFlightClicks inFlight) {
        return new ClientShares(limits.maxClientConnections(),
                Math.max(1, inFlight.maxClicks() / CLIENT_CLICKS_SHARE), limits.clientRequestMemoryBytes());
    }

    /** The client an address belongs to: the address itself, or an IPv6 address's /64. */
    static String keyOf(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] bytes = address.getAddress();
        StringBuilder prefix = new StringBuilder(24);
        for (int i = 0; i < 8; i += 2) {
            prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
        }
        return prefix.append(":/64").toString();
    }

    /**
     * A new connection of {@code key}'s: counted, or null when the client has its share of connections open.
     *
     * @param exempt a trusted proxy, which carries many clients: counted, never refused here
     */
    Client connect(String key, boolean exempt) {
        Client client = hold(key);
        if (client.connections.incrementAndGet() > maxConnections && !exempt) {
            client.connections.decrementAndGet();
            letGo(client);
            return null;
        }
        return client;
    }

    void disconnect(Client client) {
        client.connections.decrementAndGet();
        letGo(client);
    }

    /** Room for {@code count} clicks of {@code key}'s in flight, or null when that would pass its share. */
    Client acquireClicks(String key, int count) {
        Client client = hold(key);
        if (client.clicksInFlight.addAndGet(count) > maxClicksInFlight) {
            client.clicksInFlight.addAndGet(-count);
            letGo(client);
            return null;
        }
        return client;
    }

    /** Whether {@code key}'s clicks in flight already fill its share: checked before a body is parsed. */
    boolean atShare(String key) {
        Client client = clients.get(key);
        return client != null && client.clicksInFlight.get() >= maxClicksInFlight;
    }

    void releaseClicks(Client client, int count) {
        client.clicksInFlight.addAndGet(-count);
        letGo(client);
    }

    /** Whether the client's unfinished requests hold more than its share of their memory. */
    boolean overRequestMemory(Client client) {
        return client.requestBytes.get() > maxRequestBytes;
    }

    int maxConnections() {
        return maxConnections;
    }

    long maxClicksInFlight() {
        return maxClicksInFlight;
    }

    long maxRequestBytes() {
        return maxRequestBytes;
    }

    /** Clients holding anything now. */
    int size() {
        return clients.size();
    }

    private Client hold(String key) {
        return clients.compute(key, (k, client) -> {
            Client held = client == null ? new Client(k) : client;
            held.holders++;
            return held;
        });
    }

    private void letGo(Client client) {
        clients.computeIfPresent(client.key, (k, held) -> --held.holders == 0 ? null : held);
    }
}
