package ${package}.web;

import io.netty.handler.codec.http.HttpHeaders;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Who the client of a request is when a reverse proxy stands in front of the web producer: the proxy's
 * connection carries many clients, and says which one sent a request in {@code X-Forwarded-For} (or RFC 7239's
 * {@code Forwarded}). Such a header is believed only from the proxies listed in {@value #VARIABLE} (addresses
 * or CIDR ranges, comma-separated): anyone else can write any address into it, so from them it is ignored and the
 * client is the connection's remote address.
 *
 * <p>From a trusted proxy, the client is the right-most address in the header that is not itself a trusted proxy
 * (each proxy appends the address it received the request from; what the client wrote itself is further left and
 * never reached). An entry that is not an IP address ({@code unknown}, an obfuscated name) ends the search: the
 * client is then the proxy that wrote it, so such clients share that proxy's limits.
 *
 * <p>Only one of the two headers is read, the one the proxy sets ({@value #HEADER_VARIABLE}, default
 * {@code X-Forwarded-For}): a proxy that sets one usually passes the other on from the client untouched.
 */
public final class TrustedProxies {

    static final String VARIABLE = "WEB_TRUSTED_PROXIES";
    static final String HEADER_VARIABLE = "WEB_TRUSTED_PROXY_HEADER";
    static final String X_FORWARDED_FOR = "X-Forwarded-For";
    static final String FORWARDED = "Forwarded";

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
    private static final TrustedProxies NONE = new TrustedProxies(List.of(), X_FORWARDED_FOR, "");

    /** An address, or a range of them as a prefix of its bits. */
    private record Range(byte[] network, int prefixBits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int fullBytes = prefixBits / 8;
            for (int i = 0; i < fullBytes; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixBits % 8;
            int mask = (0xff << (8 - rest)) & 0xff;
            return rest == 0 || (address[fullBytes] & mask) == (network[fullBytes] & mask);
        }
    }

    private final List<Range> ranges;
    private final String header;
    private final String configured;

    private TrustedProxies(List<Range> ranges, String header, String configured) {
        this.ranges = List.copyOf(ranges);
        this.header = header;
        this.configured = configured;
    }

    public static TrustedProxies none() {
        return NONE;
    }

    /** {@value #VARIABLE} and {@value #HEADER_VARIABLE}; unset or empty: no proxy is trusted. */
    static TrustedProxies resolve(Map<String, String> environment) {
        return parse(environment.getOrDefault(VARIABLE, ""), environment.getOrDefault(HEADER_VARIABLE, ""));
    }

    /**
     * @param proxies addresses and CIDR ranges, comma-separated ({@code 10.0.0.5, 172.16.0.0/12, fd00::/8})
     * @param header  {@code X-Forwarded-For} (also when empty) or {@code Forwarded}
     */
    public static TrustedProxies parse(String proxies, String header) {
        String chosen = header == null || header.isBlank() ? X_FORWARDED_FOR : header.trim();
        if (!chosen.equalsIgnoreCase(X_FORWARDED_FOR) && !chosen.equalsIgnoreCase(FORWARDED)) {
            throw new IllegalArgumentException(HEADER_VARIABLE + "='" + header + "': must be " + X_FORWARDED_FOR
                    + " or " + FORWARDED + ", the header your proxy sets (unset means " + X_FORWARDED_FOR + ")");
        }
        List<Range> ranges = new ArrayList<>();
        if (proxies != null && !proxies.isBlank()) {
            for (String entry : proxies.split(",")) {
                ranges.add(range(entry.trim()));
            }
        }
        return new TrustedProxies(ranges, chosen.equalsIgnoreCase(FORWARDED) ? FORWARDED : X_FORWARDED_FOR,
                proxies == null ? "" : proxies.trim());
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    boolean trusts(InetAddress address) {
        byte[] bytes = address.getAddress();
        for (Range range : ranges) {
            if (range.contains(bytes)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The address of the client that sent a request over a connection from {@code peer}: {@code peer} itself,
     * unless it is a trusted proxy that names another in its header.
     */
    InetAddress client(InetAddress peer, HttpHeaders headers) {
        if (ranges.isEmpty() || !trusts(peer)) {
            return peer;
        }
        List<String> hops = hops(headers);
        InetAddress last = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = literal(hops.get(i));
            if (hop == null) {
                return last;
            }
            if (!trusts(hop)) {
                return hop;
            }
            last = hop;
        }
        return last;
    }

    /** The addresses in the chosen header, every line of it, left to right, as written (ports and quotes kept). */
    private List<String> hops(HttpHeaders headers) {
        List<String> hops = new ArrayList<>();
        for (String line : headers.getAll(header)) {
            for (String element : line.split(",")) {
                String hop = element.trim();
                if (header.equals(FORWARDED)) {
                    hop = forValue(hop);
                }
                hops.add(hop);
            }
        }
        return hops;
    }

    /** The {@code for=} of one element of a {@code Forwarded} header (RFC 7239), or "" without one. */
    private static String forValue(String element) {
        for (String pair : element.split(";")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).trim().equalsIgnoreCase("for")) {
                return pair.substring(equals + 1).trim();
            }
        }
        return "";
    }

    /**
     * An IP address written as a literal, with an optional port ({@code 192.0.2.1:4711}, {@code "[2001:db8::1]:80"}),
     * or null. Never a name lookup: a header value must not make the server ask DNS anything.
     */
    static InetAddress literal(String text) {
        String value = text.trim();
        if (value.length() > 1 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                return null;
            }
            value = value.substring(1, close);
        } else if (value.indexOf(':') == value.lastIndexOf(':') && value.indexOf(':') > 0) {
            value = value.substring(0, value.indexOf(':')); // an IPv4 address with a port
        }
        try {
            var v4 = IPV4.matcher(value);
            if (v4.matches()) {
                byte[] bytes = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int octet = Integer.parseInt(v4.group(i + 1));
                    if (octet > 255) {
                        return null;
                    }
                    bytes[i] = (byte) octet;
                }
                return InetAddress.getByAddress(bytes);
            }
            // A colon and hex digits only: the JDK parses it as an IPv6 literal and never looks it up.
            return IPV6.matcher(value).matches() ? InetAddress.getByName(value) : null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static Range range(String entry) {
        String hint = ": list IP addresses or CIDR ranges of your reverse proxies, comma-separated (for example"
                + " 10.0.0.5,172.16.0.0/12), or leave " + VARIABLE + " empty when no proxy is in front";
        int slash = entry.indexOf('/');
        InetAddress address = literal(slash < 0 ? entry : entry.substring(0, slash));
        if (address == null || entry.startsWith("[") || entry.startsWith("\"")) {
            throw new IllegalArgumentException(VARIABLE + " entry '" + entry + "' is not an IP address or range" + hint);
        }
        int bits = address.getAddress().length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException(VARIABLE + " entry '" + entry + "': the prefix length must be 0 to "
                        + bits + hint);
            }
        }
        return new Range(address.getAddress(), prefix);
    }

    @Override
    public String toString() {
        return ranges.isEmpty() ? "none" : configured + " (client from " + header + ")";
    }
}
