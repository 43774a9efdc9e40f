package ${package}.doctor;

import java.util.Map;

/**
 * Where an app finds the broker, and why there.
 *
 * <p>In a container (docker-compose.yml sets {@code KAFKA_BOOTSTRAP_SERVERS} to KAFKA_INSIDE_BOOTSTRAP_SERVERS
 * of .env, every node's INSIDE address) the app uses the INSIDE listener; on the host, with nothing set, it uses
 * the OUTSIDE listener that docker-compose.broker.yml publishes: {@value #HOST_DEFAULT}. This replaces the
 * original note's {@code IN_CONTAINER=YES} switch with the variable that holds the address itself.
 */
public record BootstrapServers(String address, String source) {

    public static final String ENV_VARIABLE = "KAFKA_BOOTSTRAP_SERVERS";
#if( $kafkaNodes == "3" )
    /**
     * Every node's OUTSIDE listener, as advertised to clients on the host: a client starts while any node
     * answers (the other nodes' ports are the first + 100 and + 200, filled in at generation).
     */
    public static final String HOST_DEFAULT =
            "${kafkaOutsideHost}:${kafkaOutsidePort},${kafkaOutsideHost}:__kafkaOutsidePort_2__,${kafkaOutsideHost}:__kafkaOutsidePort_3__";
#else
    /** The OUTSIDE listener, as advertised to clients on the host. */
    public static final String HOST_DEFAULT = "${kafkaOutsideHost}:${kafkaOutsidePort}";
#end

    /**
     * Checks the listeners from where the app runs; the command names {@code ListenerDoctor} in this one place,
     * so every hint printed by the apps stays right if it moves.
     */
    public static final String LISTENER_DOCTOR_COMMAND =
            "./mvnw -q -pl doctor compile exec:java";

    public static BootstrapServers fromEnvironment() {
        return resolve(System.getenv());
    }

    public static BootstrapServers resolve(Map<String, String> environment) {
        String fromEnv = environment.get(ENV_VARIABLE);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new BootstrapServers(fromEnv.trim(), "environment variable " + ENV_VARIABLE);
        }
        return new BootstrapServers(HOST_DEFAULT,
                "default for apps on the host (OUTSIDE listener; " + ENV_VARIABLE + " is not set)");
    }

    /** What to tell the user when the broker does not answer: which address, from where, and what to run. */
    public String unreachableHint() {
        return "Kafka at " + address + " (from " + source + ") did not answer. Is the broker up, and is "
                + address + " the listener advertised for this side (host or container)? Check with: "
                + LISTENER_DOCTOR_COMMAND + " (on the host, from the project root), or "
                + ListenerDoctor.containerCommand("<service>") + " (in a container; <service> is web or consumer)";
    }

    /** The start-up line, like the original note's {@code broker url : ...}. */
    public String describe() {
        return "Kafka bootstrap servers: " + address + " (from " + source + ")";
    }
}
