package ${package}.dev;

import ${package}.doctor.ListenerDiagnosis;
import ${package}.doctor.ListenerRules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One broker node's listeners, as docker-compose.broker.yml lays them out:
 *
 * <ul>
 *   <li>OUTSIDE, for clients on the host: bound on {@code bindHost:outsidePort}, advertised as
 *       {@code outsideHost:outsidePort};</li>
 *   <li>INSIDE, for "containers" and broker-to-broker traffic: bound on {@code bindHost:insidePort},
 *       advertised as {@code insideHost:insidePort}. Compose advertises {@code kafka}; on the host no such
 *       name resolves, so dev mode and tests advertise {@code localhost};</li>
 *   <li>CONTROLLER, the KRaft quorum: never advertised; the nodes of this machine talk to it over loopback.</li>
 * </ul>
 *
 * <p>A cluster's nodes each have their own three ports ({@link LocalKafkaBroker#NODE_PORT_STEP}); the quorum's
 * voters, which name every node, are in {@link BrokerSettings}.
 *
 * @param bindHost    the interface INSIDE and OUTSIDE bind: 127.0.0.1 keeps the broker off the network,
 *                    0.0.0.0 is what compose does inside the container
 * @param outsideHost the host OUTSIDE advertises, as KAFKA_OUTSIDE_HOST does
 * @param insideHost  the host INSIDE advertises
 */
public record BrokerListeners(String bindHost, String outsideHost, int outsidePort, String insideHost, int insidePort,
                              int controllerPort) {

    public BrokerListeners {
        Set<Integer> distinct = new LinkedHashSet<>(List.of(outsidePort, insidePort, controllerPort));
        if (distinct.size() != 3) {
            throw new IllegalArgumentException("the OUTSIDE, INSIDE and CONTROLLER ports must differ, got "
                    + outsidePort + ", " + insidePort + " and " + controllerPort);
        }
    }

    /** Three free ports per node, none shared, loopback only, everything advertised as localhost: for tests. */
    public static List<BrokerListeners> onFreePorts(int nodes) {
        Integer[] p = LocalKafkaBroker.freePorts(3 * nodes, Set.of()).toArray(Integer[]::new);
        List<BrokerListeners> listeners = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            listeners.add(new BrokerListeners("127.0.0.1", "localhost", p[3 * n], "localhost", p[3 * n + 1],
                    p[3 * n + 2]));
        }
        return List.copyOf(listeners);
    }

    /**
     * The generated ports of node {@code node} (1 for a single broker), as docker-compose.broker.yml and .env
     * have them: node n uses each port + {@link LocalKafkaBroker#NODE_PORT_STEP} * (n - 1), so OUTSIDE is
     * KAFKA_OUTSIDE_PORT_n. Compose gives every node the same INSIDE and CONTROLLER port on its own host; here all
     * nodes share one host, so those step too. OUTSIDE advertises the generated host; INSIDE advertises
     * localhost, since no {@code kafka} host exists outside compose. The broker binds loopback only, as compose
     * publishes OUTSIDE on 127.0.0.1, unless the advertised host is another machine name: then it must bind
     * every interface for that name to work.
     */
    public static BrokerListeners generated(int node) {
        String outsideHost = LocalKafkaBroker.OUTSIDE_HOST;
        boolean loopback = outsideHost.equals("localhost") || outsideHost.startsWith("127.");
        int step = LocalKafkaBroker.NODE_PORT_STEP * (node - 1);
        return new BrokerListeners(loopback ? "127.0.0.1" : "0.0.0.0", outsideHost,
                LocalKafkaBroker.OUTSIDE_PORT + step, "localhost", LocalKafkaBroker.INSIDE_PORT + step,
                LocalKafkaBroker.CONTROLLER_PORT + step);
    }

    /** The OUTSIDE address, for clients on the host. */
    public String outsideAddress() {
        return outsideHost + ":" + outsidePort;
    }

    /** The INSIDE address as advertised. */
    public String insideAddress() {
        return insideHost + ":" + insidePort;
    }

    /** This node's entry in {@code controller.quorum.voters}: its CONTROLLER listener, on loopback. */
    public String voter(int nodeId) {
        return nodeId + "@localhost:" + controllerPort;
    }

    /**
     * The listener part of server.properties: the doctor's {@link ListenerRules}, the statement the compose file's
     * KAFKA_* variables are checked against, filled in with this node's hosts and ports. CONTROLLER binds loopback:
     * only the nodes on this machine talk to the quorum.
     */
    public Map<String, String> serverProperties() {
        ListenerRules rules = ListenerRules.kraft(
                new ListenerDiagnosis.Layout(insideHost, outsideHost, outsidePort, insidePort), controllerPort);
        return new LinkedHashMap<>(rules.brokerSettings(bindHost, insideHost, "localhost"));
    }
}
