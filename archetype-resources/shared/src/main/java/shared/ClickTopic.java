package ${package}.shared;

import java.util.Map;

/** The click topic's name, from {@code CLICK_TOPIC} or the name chosen at generation, and its dead-letter topic. */
public final class ClickTopic {

    public static final String ENV_VARIABLE = "CLICK_TOPIC";
    public static final String DEFAULT = "${topic}";

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
