package ${package}.web;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrustedProxiesTest {

    private static final InetAddress PROXY = address("10.0.0.5");
    private static final InetAddress STRANGER = address("198.51.100.20");

    @Test
    void without_trusted_proxies_the_client_is_always_the_remote_address() {
        HttpHeaders headers = headers("X-Forwarded-For", "203.0.113.9");

        assertEquals(PROXY, TrustedProxies.none().client(PROXY, headers));
        assertEquals(PROXY, TrustedProxies.parse("", "").client(PROXY, headers));
    }

    @Test
    void from_a_trusted_proxy_the_client_is_the_right_most_address_that_is_not_a_proxy() {
        TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/24, 192.168.7.1", "");

        // what the client wrote itself (1.2.3.4) is further left than what the proxies appended
        HttpHeaders headers = headers("X-Forwarded-For", "1.2.3.4, 203.0.113.9, 192.168.7.1");

        assertEquals(address("203.0.113.9"), proxies.client(PROXY, headers));
    }

    @Test
    void a_header_from_anyone_but_a_trusted_proxy_is_ignored() {
        TrustedProxies proxies = TrustedProxies.parse("10.0.0.5", "");

        assertEquals(STRANGER, proxies.client(STRANGER, headers("X-Forwarded-For", "203.0.113.9")));
    }

    @Test
    void every_line_of_the_header_counts_in_order_and_a_missing_header_leaves_the_proxy() {
        TrustedProxies proxies = TrustedProxies.parse("10.0.0.5", "");
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("X-Forwarded-For", "203.0.113.9")
                .add("X-Forwarded-For", "198.51.100.1");

        assertEquals(address("198.51.100.1"), proxies.client(PROXY, headers));
        assertEquals(PROXY, proxies.client(PROXY, new DefaultHttpHeaders()));
    }

    @Test
    void an_entry_that_is_not_an_address_makes_the_proxy_that_wrote_it_the_client() {
        TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/8", "");

        assertEquals(address("10.0.0.9"), proxies.client(PROXY, headers("X-Forwarded-For", "unknown, 10.0.0.9")));
        assertEquals(PROXY, proxies.client(PROXY, headers("X-Forwarded-For", "evil.example.com")));
    }

    @Test
    void the_Forwarded_header_is_read_when_chosen_with_quotes_ports_and_IPv6() {
        TrustedProxies proxies = TrustedProxies.parse("10.0.0.5", "Forwarded");
        HttpHeaders headers = headers("Forwarded",
                "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\";by=10.0.0.5");

        assertEquals(address("2001:db8:cafe::17"), proxies.client(PROXY, headers));
        assertEquals(PROXY, proxies.client(PROXY, headers("X-Forwarded-For", "203.0.113.9")),
                "X-Forwarded-For is not the header this proxy sets");
        assertEquals(PROXY, proxies.client(PROXY, headers("Forwarded", "for=_hidden")));
    }

    @Test
    void IPv6_ranges_match_by_prefix() {
        TrustedProxies proxies = TrustedProxies.parse("fd00::/8", "");

        assertTrue(proxies.trusts(address("fd12:3456::1")));
        assertFalse(proxies.trusts(address("fe80::1")));
        assertFalse(proxies.trusts(address("10.0.0.5")));
    }

    @Test
    void literals_are_parsed_without_a_name_lookup() {
        assertEquals(address("192.0.2.1"), TrustedProxies.literal("192.0.2.1:4711"));
        assertEquals(address("::1"), TrustedProxies.literal("[::1]:80"));
        assertNull(TrustedProxies.literal("localhost"));
        assertNull(TrustedProxies.literal("abc"));
        assertNull(TrustedProxies.literal("300.1.1.1"));
    }

    @Test
    void a_bad_setting_names_the_entry_and_the_fix() {
        IllegalArgumentException notAnAddress = assertThrows(IllegalArgumentException.class,
                () -> TrustedProxies.parse("10.0.0.5, proxy.internal", ""));
        IllegalArgumentException badPrefix = assertThrows(IllegalArgumentException.class,
                () -> TrustedProxies.parse("10.0.0.0/33", ""));
        IllegalArgumentException badHeader = assertThrows(IllegalArgumentException.class,
                () -> TrustedProxies.parse("10.0.0.5", "X-Real-IP"));

        assertTrue(notAnAddress.getMessage().contains("WEB_TRUSTED_PROXIES entry 'proxy.internal' is not an IP"),
                notAnAddress.getMessage());
        assertTrue(badPrefix.getMessage().contains("the prefix length must be 0 to 32"), badPrefix.getMessage());
        assertTrue(badHeader.getMessage().contains("WEB_TRUSTED_PROXY_HEADER='X-Real-IP': must be X-Forwarded-For"
                + " or Forwarded"), badHeader.getMessage());
    }

    private static HttpHeaders headers(String name, String value) {
        return new DefaultHttpHeaders().add(name, value);
    }

    private static InetAddress address(String literal) {
        InetAddress address = TrustedProxies.literal(literal);
        if (address == null) {
            throw new IllegalArgumentException(literal);
        }
        return address;
    }
}
