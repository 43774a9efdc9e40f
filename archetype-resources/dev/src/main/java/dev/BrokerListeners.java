package ${package}.dev;

import ${package}.doctor.ListenerDiagnosis;
import ${package}.doctor.ListenerRules;

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
 *   <li>CONTROLLER, the KRaft quorum: never advertised; only this node talks to it, over loopback.</li>
 * </ul>
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

    /** Three free ports, loopback only, everything advertised as localhost: for tests. */
    public static BrokerListeners onFreePorts() {
        Set<Integer> ports = new LinkedHashSet<>();
        while (ports.size() < 3) {
            ports.add(LocalKafkaBroker.freePort());
        }
        Integer[] p = ports.toArray(Integer[]::new);
        return new BrokerListeners("127.0.0.1", "localhost", p[0], "localhost", p[1], p[2]);
    }

    /**
     * The generated ports, as docker-compose.broker.yml has them. OUTSIDE advertises the generated host; INSIDE
     * advertises localhost, since no {@code kafka} host exists outside compose. The broker binds loopback only,
     * as compose publishes OUTSIDE on 127.0.0.1, unless the advertised host is another machine name: then it
     * must bind every interface for that name to work.
     */
    public static BrokerListeners generated() {
        String outsideHost = LocalKafkaBroker.OUTSIDE_HOST;
        boolean loopback = outsideHost.equals("localhost") || outsideHost.startsWith("127.");
        return new BrokerListeners(loopback ? "127.0.0.1" : "0.0.0.0", outsideHost, LocalKafkaBroker.OUTSIDE_PORT,
                "localhost", LocalKafkaBroker.INSIDE_PORT, LocalKafkaBroker.CONTROLLER_PORT);
    }

    /** The OUTSIDE address, for clients on the host. */
    public String outsideAddress() {
        return outsideHost + ":" + outsidePort;
    }

    /** The INSIDE address as advertised. */
    public String insideAddress() {
        return insideHost + ":" + insidePort;
    }

    /**
     * The listener part of server.properties: the doctor's {@link ListenerRules}, the statement the compose file's
     * KAFKA_* variables are checked against, filled in with this node's hosts and ports. CONTROLLER binds loopback:
     * only this node talks to its quorum.
     */
    public Map<String, String> serverProperties() {
        ListenerRules rules = ListenerRules.kraft(
                new ListenerDiagnosis.Layout(insideHost, outsideHost, outsidePort, insidePort), controllerPort);
        Map<String, String> config = new LinkedHashMap<>();
        config.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        config.putAll(rules.brokerSettings(bindHost, insideHost, "localhost"));
        return config;
    }
}
