package io.github.clicklog.archetype.listeners;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The classic listener mistakes, each written into a copy of the generated docker-compose.broker.yml as an
 * edit of one line (two for a removed port). The verification must fail on every one of them; each names
 * the check that must catch it. What the listener doctor must tell the user is in {@link ListenerVerification}.
 * Two of them also break a real compose stack (io.github.clicklog.archetype.stack.ComposeStackVariants).
 *
 * <p>The first five are made to the single broker ({@code kafka}); the last three to one node of a
 * three-node cluster, the mistakes of copying one node's block to the next.
 */
public enum BrokenVariant {

    INSIDE_ADVERTISED_AS_LOCALHOST(1, "INSIDE advertised as localhost (the classic mistake)", Check.CONTAINER_INSIDE,
            edit(null, "KAFKA_ADVERTISED_LISTENERS:", quote("INSIDE://kafka:"), "INSIDE://localhost:")),
    OUTSIDE_ADVERTISED_AS_KAFKA(1, "OUTSIDE advertised as kafka", Check.HOST_OUTSIDE,
            edit(null, "KAFKA_ADVERTISED_LISTENERS:", quote("OUTSIDE://${KAFKA_OUTSIDE_HOST}:"), "OUTSIDE://kafka:")),
    OUTSIDE_MISSING_FROM_PROTOCOL_MAP(1, "OUTSIDE missing from the listener security protocol map", Check.HOST_OUTSIDE,
            // with the comma on either side: OUTSIDE is in the middle in KRaft mode, last in ZooKeeper mode
            edit(null, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:", "OUTSIDE:PLAINTEXT,|,OUTSIDE:PLAINTEXT", "")),
    OUTSIDE_BOUND_TO_LOOPBACK(1, "OUTSIDE bound to the container's loopback only", Check.HOST_OUTSIDE,
            edit(null, "KAFKA_LISTENERS:", quote("OUTSIDE://0.0.0.0:"), "OUTSIDE://127.0.0.1:")),
    PUBLISHED_PORT_DIFFERS(1, "a published host port that differs from the advertised one", Check.HOST_OUTSIDE,
            edit(null, "- \"", quote(":${KAFKA_OUTSIDE_PORT}:${KAFKA_OUTSIDE_PORT}\""),
                    ":" + Placeholder.OTHER_PORT + ":${KAFKA_OUTSIDE_PORT}\"")),

    OUTSIDE_PORT_OF_ANOTHER_NODE(3, "kafka-2 advertises kafka-1's OUTSIDE port: two nodes advertise the same"
            + " OUTSIDE address", Check.HOST_OUTSIDE,
            edit("kafka-2", "KAFKA_ADVERTISED_LISTENERS:", quote(":${KAFKA_OUTSIDE_PORT_2}"), ":${KAFKA_OUTSIDE_PORT_1}")),
    OUTSIDE_PORT_NOT_PUBLISHED(3, "kafka-3 publishes no port: its OUTSIDE port is advertised but not published",
            Check.HOST_OUTSIDE,
            edit("kafka-3", "ports:", "ports:\\s*$", "ports: []"),
            edit("kafka-3", "- \"", quote(":${KAFKA_OUTSIDE_PORT_3}:${KAFKA_OUTSIDE_PORT_3}\""), null)),
    INSIDE_NAME_OF_ANOTHER_NODE(3, "kafka-3 advertises kafka-2's service name on INSIDE", Check.CONTAINER_INSIDE,
            edit("kafka-3", "KAFKA_ADVERTISED_LISTENERS:", quote("INSIDE://kafka-3:"), "INSIDE://kafka-2:"));

    /** Stands for a free host port, chosen at run time, in {@link #PUBLISHED_PORT_DIFFERS}. */
    static final class Placeholder {
        static final String OTHER_PORT = "@OTHER_PORT@";

        private Placeholder() {
        }
    }

    /**
     * One line changed: in the block of {@code service} (null: anywhere in the file), the line that starts
     * with {@code lineStart} and contains {@code from} (a regular expression), whose first match becomes
     * {@code to}; a null {@code to} removes the line.
     */
    record Edit(String service, String lineStart, Pattern from, String to) {
    }

    /** How many broker nodes the generated file must have for this mistake (1: kafka; 3: kafka-1..3). */
    final int nodes;
    final String description;
    /** The check that must go wrong (the others may, too). */
    final Check caughtBy;
    final List<Edit> edits;

    BrokenVariant(int nodes, String description, Check caughtBy, Edit... edits) {
        this.nodes = nodes;
        this.description = description;
        this.caughtBy = caughtBy;
        this.edits = List.of(edits);
    }

    private static Edit edit(String service, String lineStart, String from, String to) {
        return new Edit(service, lineStart, Pattern.compile(from), to);
    }

    private static String quote(String literal) {
        return Pattern.quote(literal);
    }

    /** The variants of a project with this many broker nodes. */
    static List<BrokenVariant> forNodes(int nodes) {
        return java.util.Arrays.stream(values()).filter(variant -> variant.nodes == nodes).toList();
    }

    /**
     * The compose file with this mistake in it. Fails when a line to edit is not there exactly once: then
     * the generated file has changed and the variant must follow it, or it would silently test nothing.
     */
    public String applyTo(String compose, int otherPort) {
        List<String> lines = new ArrayList<>(List.of(compose.split("\n", -1)));
        for (Edit edit : edits) {
            int[] block = block(lines, edit.service());
            int edited = -1;
            for (int i = block[0]; i < block[1]; i++) {
                String line = lines.get(i);
                if (line.stripLeading().startsWith(edit.lineStart()) && edit.from().matcher(line).find()) {
                    if (edited >= 0) {
                        throw new IllegalStateException(this + ": more than one line starts with '" + edit.lineStart()
                                + "' and contains '" + edit.from() + "'" + where(edit));
                    }
                    edited = i;
                }
            }
            if (edited < 0) {
                throw new IllegalStateException(this + ": no line of docker-compose.broker.yml starts with '"
                        + edit.lineStart() + "' and contains '" + edit.from() + "'" + where(edit)
                        + "; the template changed, update this variant");
            }
            if (edit.to() == null) {
                lines.remove(edited);
            } else {
                String replacement = edit.to().replace(Placeholder.OTHER_PORT, Integer.toString(otherPort));
                lines.set(edited, edit.from().matcher(lines.get(edited)).replaceFirst(Matcher.quoteReplacement(replacement)));
            }
        }
        return String.join("\n", lines);
    }

    private static String where(Edit edit) {
        return edit.service() == null ? "" : " in service " + edit.service();
    }

    /** [first, end) of the lines of a service's block: its key line up to the next key as far left; null: all. */
    private int[] block(List<String> lines, String service) {
        if (service == null) {
            return new int[] {0, lines.size()};
        }
        Pattern key = Pattern.compile("^(\\s*)" + Pattern.quote(service) + ":\\s*$");
        for (int i = 0; i < lines.size(); i++) {
            Matcher start = key.matcher(lines.get(i));
            if (start.matches()) {
                int indent = start.group(1).length();
                int end = i + 1;
                while (end < lines.size()) {
                    String line = lines.get(end);
                    boolean content = !line.isBlank() && !line.stripLeading().startsWith("#");
                    if (content && line.length() - line.stripLeading().length() <= indent) {
                        break;
                    }
                    end++;
                }
                return new int[] {i, end};
            }
        }
        throw new IllegalStateException(this + ": docker-compose.broker.yml has no service " + service
                + "; the template changed, update this variant");
    }
}
