package ${package}.web;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class ClientSharesTest {

    @Test
    void an_IPv6_client_is_its_slash_64_and_an_IPv4_one_its_address() {
        assertEquals("2001:db8:1:2::/64", key("2001:db8:1:2:aaaa::1"));
        assertEquals(key("2001:db8:1:2::9"), key("2001:db8:1:2:ffff::"), "one subscriber's /64 is one client");
        assertEquals("203.0.113.9", key("203.0.113.9"));
    }

    @Test
    void a_client_entry_lasts_only_while_it_holds_something() {
        ClientShares shares = new ClientShares(2, 3, 1000);

        ClientShares.Client first = shares.connect("a", false);
        ClientShares.Client second = shares.connect("a", false);
        assertNull(shares.connect("a", false), "a third connection is past the share");
        ClientShares.Client viaProxy = shares.connect("a", true);
        assertNotNull(viaProxy, "a trusted proxy's connection is counted, never refused");
        ClientShares.Client clicks = shares.acquireClicks("a", 3);
        assertNull(shares.acquireClicks("a", 1), "past the share of clicks in flight");
        assertNotNull(shares.acquireClicks("b", 3), "another client has a share of its own");

        shares.disconnect(first);
        shares.disconnect(second);
        shares.disconnect(viaProxy);
        shares.releaseClicks(clicks, 3);
        assertEquals(1, shares.size(), "only b holds something");
    }

    private static String key(String literal) {
        return ClientShares.keyOf(TrustedProxies.literal(literal));
    }
}
