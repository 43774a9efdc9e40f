package ${package}.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One host:port a Kafka client connects to: a bootstrap address, or an address the broker advertises. */
public record BrokerAddress(String host, int port) {

    public BrokerAddress {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("a broker address needs a host name");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " of " + host + " is not between 1 and 65535");
        }
    }

    /** Parses {@code host:port[,host:port...]}, the form of {@code bootstrap.servers}. */
    public static List<BrokerAddress> parseList(String addresses) {
        List<BrokerAddress> parsed = new ArrayList<>();
        for (String item : addresses.split(",")) {
            String trimmed = item.trim();
            if (!trimmed.isEmpty()) {
                parsed.add(parse(trimmed));
            }
        }
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("no broker address in '" + addresses + "'; expected host:port");
        }
        return parsed;
    }

    public static BrokerAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("'" + address + "' is not host:port (for example "
                    + BootstrapServers.HOST_DEFAULT.split(",")[0] + ")");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new BrokerAddress(host, Integer.parseInt(address.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + address + "' has no numeric port; expected host:port", e);
        }
    }

    /** True for names that always mean "this machine (or this container) itself". */
    public boolean isLoopback() {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.endsWith(".localhost") || h.startsWith("127.") || h.equals("::1");
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
