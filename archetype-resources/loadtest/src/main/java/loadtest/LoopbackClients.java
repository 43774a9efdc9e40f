package ${package}.loadtest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Many clients on one machine: Linux routes all of 127.0.0.0/8 to the loopback interface, so a connection can be
 * made from 127.0.0.2, 127.0.0.3, ... and the web producer, which bounds what each client (remote address) may hold,
 * sees as many clients. The load generator spreads its connections over {@link #LOAD}, as real traffic comes from
 * many clients; the fault tests that attack from one client, or from many, choose their own addresses.
 */
public final class LoopbackClients {

    /** The load generator's clients: 127.0.0.16 to 127.0.0.47. */
    public static final List<InetAddress> LOAD = range(0, 16, 32);
    private static final boolean AVAILABLE = bindable(LOAD.get(1));

    private LoopbackClients() {
    }

    /** {@code count} addresses from 127.{@code third}.0... : 127.third.first, 127.third.(first + 1), ... */
    public static List<InetAddress> range(int third, int first, int count) {
        List<InetAddress> addresses = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int last = first + i;
            try {
                addresses.add(InetAddress.getByAddress(new byte[] {127, (byte) (third + last / 256), 0,
                        (byte) (last % 256)}));
            } catch (UnknownHostException e) {
                throw new IllegalStateException("four bytes are always an address", e);
            }
        }
        return addresses;
    }

    /**
     * The address connection {@code n} comes from, or null where only 127.0.0.1 can be bound (not Linux): then every
     * connection is one client, and a heavy load may meet that client's share (429) before the server's bounds.
     */
    public static InetAddress forConnection(int n) {
        return AVAILABLE ? LOAD.get(n % LOAD.size()) : null;
    }

    public static boolean available() {
        return AVAILABLE;
    }

    private static boolean bindable(InetAddress address) {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(address, 0));
            return true;
        } catch (IOException e) {
            System.out.println("Connections come from 127.0.0.1 only (" + address.getHostAddress() + " cannot be bound: "
                    + e.getMessage() + "): the web producer sees one client, whose share may answer 429 under load");
            return false;
        }
    }
}
