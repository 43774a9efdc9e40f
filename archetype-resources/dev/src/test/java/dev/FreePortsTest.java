package ${package}.dev;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class FreePortsTest {

    @Test
    void ports_chosen_together_differ_and_can_each_be_listened_on() throws IOException {
        List<Integer> ports = LocalKafkaBroker.freePorts(20, Set.of());
        assertEquals(20, new HashSet<>(ports).size(), "distinct: " + ports);
        for (int port : ports) {
            try (ServerSocket socket = new ServerSocket(port)) {
                assertEquals(port, socket.getLocalPort());
            }
        }
    }

    @Test
    void ports_taken_by_what_does_not_listen_yet_are_never_chosen() {
        // a broker's ports once chosen but not yet listened on: nothing tells the system they are taken
        Set<Integer> taken = new HashSet<>(LocalKafkaBroker.freePorts(10, Set.of()));
        for (int round = 0; round < 20; round++) {
            for (int port : LocalKafkaBroker.freePorts(5, taken)) {
                assertFalse(taken.contains(port), port + " is taken: " + taken);
            }
        }
    }
}
