package ${package}.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns what the listener doctor saw into plain sentences, each with the fix. No network here: the rules
 * are tested with made-up observations.
 *
 * <p>The two listeners, as {@link ListenerRules} states them: containers on the compose network use INSIDE,
 * advertised as {@code kafka:<inside port>}; clients on the host use OUTSIDE, advertised as
 * {@code <outside host>:<outside port>} and published to the host with the same port number. A client
 * asks its bootstrap address for metadata, then connects to the address advertised for the listener it
 * came in on, so every failure is either "cannot reach the bootstrap address" or "cannot reach what is
 * advertised".
 */
public final class ListenerDiagnosis {

    /** A problem in plain words, and what to change. */
    public record Finding(String problem, String fix) {
    }

    /**
     * Where the listeners are, as generated; the doctor replaces these with the values of {@code .env}
     * when it runs next to that file (that is where a user changes them later).
     */
    public record Layout(String service, String outsideHost, int outsidePort, int insidePort) {

        public static final Layout GENERATED =
                new Layout("kafka", "${kafkaOutsideHost}", ${kafkaOutsidePort}, ${kafkaInsidePort});

        public BrokerAddress outside() {
            return new BrokerAddress(outsideHost, outsidePort);
        }

        public BrokerAddress inside() {
            return new BrokerAddress(service, insidePort);
        }

        /** The same layout with the values a {@code .env} file sets, where it sets them. */
        public Layout with(Map<String, String> env) {
            return new Layout(service,
                    env.getOrDefault("KAFKA_OUTSIDE_HOST", outsideHost),
                    intOr(env.get("KAFKA_OUTSIDE_PORT"), outsidePort),
                    intOr(env.get("KAFKA_INSIDE_PORT"), insidePort));
        }

        private static int intOr(String value, int fallback) {
            try {
                return value == null ? fallback : Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
    }

    private final Layout layout;
    private final boolean onComposeNetwork;

    /**
     * @param onComposeNetwork whether the compose service name resolves here: true in a container on the
     *                         compose network, false on the host
     */
    public ListenerDiagnosis(Layout layout, boolean onComposeNetwork) {
        this.layout = layout;
        this.onComposeNetwork = onComposeNetwork;
    }

    /** Why none of the bootstrap addresses answered. */
    public List<Finding> bootstrapUnreachable(List<Reachability> bootstrap) {
        List<Finding> findings = new ArrayList<>();
        for (Reachability check : bootstrap) {
            findings.add(bootstrapFinding(check));
        }
        return findings;
    }

    private Finding bootstrapFinding(Reachability check) {
        BrokerAddress address = check.address();
        String useInside = "use kafka's INSIDE listener, " + layout.inside() + ": KAFKA_BOOTSTRAP_SERVERS="
                + layout.inside() + ", as docker-compose.yml sets it for the apps";
        String useOutside = "on the host use the OUTSIDE listener, " + layout.outside()
                + ": unset KAFKA_BOOTSTRAP_SERVERS (that address is the default) or set it to " + layout.outside();
        switch (check.outcome()) {
            case UNRESOLVED:
                if (address.host().equals(layout.service())) {
                    return new Finding("bootstrap " + address + ": the name " + layout.service()
                            + " does not resolve here, so this is not a container on the compose network (it is"
                            + " the host, most likely); " + layout.service() + " is a name only containers know.",
                            useOutside);
                }
                return new Finding("bootstrap " + address + ": the name " + address.host() + " does not resolve here.",
                        onComposeNetwork ? "in a container " + useInside
                                : useOutside + "; if " + address.host() + " is meant to be this machine, add it to DNS or /etc/hosts");
            case CLOSED_AT_ONCE:
                return closedAtOnce(address);
            case OPEN:
                return new Finding("bootstrap " + address + " accepts connections but gave no Kafka metadata.",
                        "check that " + address.port() + " is a Kafka listener and that the broker has finished"
                                + " starting: docker compose -f docker-compose.broker.yml logs kafka");
            default:
                break;
        }
        String what = "bootstrap " + address + " " + check.detail();
        if (address.isLoopback() && onComposeNetwork) {
            return new Finding(what + ": inside a container localhost is the container itself, not the broker.",
                    useInside);
        }
        if (address.isLoopback()) {
            if (address.port() != layout.outsidePort()) {
                return new Finding(what + ": " + address.port() + " is not the port published to the host.",
                        useOutside);
            }
            return new Finding(what + ": no broker is published on this port of the host.",
                    "start the broker: docker compose -f docker-compose.broker.yml up -d; then"
                            + " docker compose -f docker-compose.broker.yml ps must show the port published as "
                            + "127.0.0.1:" + layout.outsidePort() + "->" + layout.outsidePort()
                            + "/tcp: the same number on both sides, the advertised OUTSIDE port");
        }
        if (address.host().equals(layout.service())) {
            if (address.port() != layout.insidePort()) {
                return new Finding(what + ": containers reach the broker on its INSIDE port, "
                        + layout.insidePort() + ".", useInside);
            }
            return new Finding(what + ": the broker is down, or does not listen on the container's network.",
                    "KAFKA_LISTENERS must bind INSIDE on every interface, INSIDE://0.0.0.0:" + layout.insidePort()
                            + "; then see why the broker is not up: docker compose -f docker-compose.broker.yml logs kafka");
        }
        return new Finding(what + ".", onComposeNetwork ? "in a container " + useInside : useOutside);
    }

    /** Why an address the broker advertised does not work from here, or null when it does. */
    public Finding advertisedFinding(BrokerAddress bootstrap, Reachability check) {
        if (check.ok()) {
            return null;
        }
        BrokerAddress advertised = check.address();
        String says = "the broker advertises " + advertised + " for the listener you reached at " + bootstrap;
        if (check.outcome() == Reachability.Outcome.UNRESOLVED) {
            if (advertised.host().equals(layout.service()) && advertised.port() == layout.insidePort()) {
                return new Finding("the broker advertises " + advertised + " (its INSIDE listener, for containers),"
                        + " and " + layout.service() + " does not resolve here: you are on the host.",
                        "on the host use the OUTSIDE listener, " + layout.outside()
                                + ": unset KAFKA_BOOTSTRAP_SERVERS (that is the default) or set it to " + layout.outside());
            }
            if (advertised.host().equals(layout.service())) {
                return new Finding(says + ", and " + layout.service()
                        + " resolves only on the compose network, not here on the host.",
                        "set OUTSIDE in KAFKA_ADVERTISED_LISTENERS to OUTSIDE://" + layout.outside()
                                + " (KAFKA_OUTSIDE_HOST and KAFKA_OUTSIDE_PORT in .env), then recreate the broker");
            }
            return new Finding(says + ", and " + advertised.host() + " does not resolve here.",
                    onComposeNetwork
                            ? "set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + layout.inside()
                            : "advertise a name that resolves where the clients run: KAFKA_OUTSIDE_HOST in .env,"
                                    + " then recreate the broker; or make " + advertised.host()
                                    + " resolve here (DNS or /etc/hosts)");
        }
        if (check.outcome() == Reachability.Outcome.CLOSED_AT_ONCE) {
            return closedAtOnce(advertised);
        }
        if (advertised.isLoopback() && onComposeNetwork) {
            if (bootstrap.port() == layout.outsidePort() || advertised.port() == layout.outsidePort()) {
                return new Finding("you reached the OUTSIDE listener, which is meant for the host, from a container: "
                        + says + ", and inside a container localhost is the container itself.",
                        "in a container use the INSIDE listener, " + layout.inside() + ": KAFKA_BOOTSTRAP_SERVERS="
                                + layout.inside());
            }
            return new Finding("the broker advertises " + advertised + " to containers, and inside a container"
                    + " localhost is the container itself: " + advertised + " " + check.detail() + ".",
                    "set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + layout.inside()
                            + ", then recreate the broker");
        }
        if (advertised.isLoopback() && bootstrap.isLoopback() && bootstrap.port() != advertised.port()) {
            return new Finding("you reached the broker at " + bootstrap + ", but it advertises " + advertised
                    + ", which " + check.detail() + ": the port published on the host differs from the advertised one.",
                    "publish the OUTSIDE port with the same number on both sides, \"127.0.0.1:" + advertised.port()
                            + ":" + advertised.port() + "\" under ports in docker-compose.broker.yml"
                            + " (KAFKA_OUTSIDE_PORT in .env sets both)");
        }
        return new Finding(says + ", which " + check.detail() + ".",
                onComposeNetwork
                        ? "containers use INSIDE: advertise it as INSIDE://" + layout.inside()
                        + " and check that the broker is up (docker compose -f docker-compose.broker.yml logs kafka)"
                        : "the host uses OUTSIDE: advertise it as OUTSIDE://" + layout.outside()
                        + " and publish that port (docker compose -f docker-compose.broker.yml ps)");
    }

    private Finding closedAtOnce(BrokerAddress address) {
        return new Finding(address + " accepts connections but closes them at once, before Kafka says anything:"
                + " that is a published Docker port with nothing listening behind it on the container's address.",
                "KAFKA_LISTENERS must bind the listener on every interface of the container, e.g. OUTSIDE://0.0.0.0:"
                        + layout.outsidePort() + " (one bound to 127.0.0.1 or localhost is out of the published port's"
                        + " reach); if it does, the broker is down or still starting: docker compose -f"
                        + " docker-compose.broker.yml logs kafka");
    }

    /** The sentence that says where the doctor runs, from whether the compose service name resolves. */
    public String vantagePoint(String serviceAddress) {
        return onComposeNetwork
                ? layout.service() + " resolves to " + serviceAddress + ": a container on the compose network"
                : layout.service() + " does not resolve here: outside the compose network (the host)";
    }
}
