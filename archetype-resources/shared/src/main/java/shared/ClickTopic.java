package ${package}.shared;

import java.util.Map;

/** The click topic's name, from {@code CLICK_TOPIC} or the name chosen at generation, and its dead-letter topic. */
public final class ClickTopic {

    public static final String ENV_VARIABLE = "CLICK_TOPIC";
    public static final String DEFAULT = "${topic}";
    /**
     * Why the apps' /readyz says 503 while the topic is missing, and what creates it: brokers made by this project
     * never create a topic on first use.
     */
    public static final String MISSING = "the click topic does not exist yet. Automatic topic creation is off:"
            + " the click-topics service of docker-compose.broker.yml creates it, and so does dev mode; on another"
            + " cluster create it with kafka-topics.sh --create (and its .dlq topic too)";

    private ClickTopic() {
    }

    public static String fromEnvironment() {
        return resolve(System.getenv());
    }

    public static String resolve(Map<String, String> environment) {
        String fromEnv = environment.get(ENV_VARIABLE);
        return fromEnv == null || fromEnv.isBlank() ? DEFAULT : fromEnv.trim();
    }

    /** Where records that cannot be decoded go, with the reason in a header. */
    public static String deadLetter(String topic) {
        return topic + ".dlq";
    }
}
