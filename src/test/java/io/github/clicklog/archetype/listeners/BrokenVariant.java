package io.github.clicklog.archetype.listeners;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The classic listener mistakes, each written into a copy of the generated docker-compose.broker.yml as
 * one edit of one line. The verification must fail on every one of them; each names the check that must
 * catch it, and what the listener doctor must tell the user.
 */
enum BrokenVariant {

    INSIDE_ADVERTISED_AS_LOCALHOST("INSIDE advertised as localhost (the classic mistake)",
            "KAFKA_ADVERTISED_LISTENERS:", quote("INSIDE://kafka:"), "INSIDE://localhost:", Check.CONTAINER_INSIDE),
    OUTSIDE_ADVERTISED_AS_KAFKA("OUTSIDE advertised as kafka",
            "KAFKA_ADVERTISED_LISTENERS:", quote("OUTSIDE://${KAFKA_OUTSIDE_HOST}:"), "OUTSIDE://kafka:", Check.HOST_OUTSIDE),
    OUTSIDE_MISSING_FROM_PROTOCOL_MAP("OUTSIDE missing from the listener security protocol map",
            // with the comma on either side: OUTSIDE is in the middle in KRaft mode, last in ZooKeeper mode
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:", "OUTSIDE:PLAINTEXT,|,OUTSIDE:PLAINTEXT", "", Check.HOST_OUTSIDE),
    OUTSIDE_BOUND_TO_LOOPBACK("OUTSIDE bound to the container's loopback only",
            "KAFKA_LISTENERS:", quote("OUTSIDE://0.0.0.0:"), "OUTSIDE://127.0.0.1:", Check.HOST_OUTSIDE),
    PUBLISHED_PORT_DIFFERS("a published host port that differs from the advertised one",
            "- \"", quote(":${KAFKA_OUTSIDE_PORT}:${KAFKA_OUTSIDE_PORT}\""), ":" + Placeholder.OTHER_PORT + ":${KAFKA_OUTSIDE_PORT}\"",
            Check.HOST_OUTSIDE);

    private static String quote(String literal) {
        return Pattern.quote(literal);
    }

    /** Stands for a free host port, chosen at run time, in {@link #PUBLISHED_PORT_DIFFERS}. */
    static final class Placeholder {
        static final String OTHER_PORT = "@OTHER_PORT@";

        private Placeholder() {
        }
    }

    final String description;
    private final String lineStart;
    /** A regular expression: the part of the line that is changed (its first match). */
    private final Pattern from;
    private final String to;
    /** The check that must go wrong (the others may, too). */
    final Check caughtBy;

    BrokenVariant(String description, String lineStart, String from, String to, Check caughtBy) {
        this.description = description;
        this.lineStart = lineStart;
        this.from = Pattern.compile(from);
        this.to = to;
        this.caughtBy = caughtBy;
    }

    /**
     * The compose file with this mistake in it. Fails when the line is not there exactly once: then the
     * generated file has changed and the variant must follow it, or it would silently test nothing.
     */
    String applyTo(String compose, int otherPort) {
        List<String> lines = new ArrayList<>(List.of(compose.split("\n", -1)));
        int edited = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.stripLeading().startsWith(lineStart) && from.matcher(line).find()) {
                if (edited >= 0) {
                    throw new IllegalStateException(this + ": more than one line starts with '" + lineStart
                            + "' and contains '" + from + "'");
                }
                edited = i;
            }
        }
        if (edited < 0) {
            throw new IllegalStateException(this + ": no line of docker-compose.broker.yml starts with '"
                    + lineStart + "' and contains '" + from + "'; the template changed, update this variant");
        }
        String replacement = to.replace(Placeholder.OTHER_PORT, Integer.toString(otherPort));
        lines.set(edited, from.matcher(lines.get(edited)).replaceFirst(Matcher.quoteReplacement(replacement)));
        return String.join("\n", lines);
    }
}
