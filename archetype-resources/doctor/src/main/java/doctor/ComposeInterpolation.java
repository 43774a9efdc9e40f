package ${package}.doctor;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Variable references in a compose file's values, replaced as docker compose replaces them (the Compose
 * Specification's "Interpolation", as compose-go implements it). With D for the dollar sign:
 * <ul>
 *   <li>D{NAME} and DNAME: the value, or "" when unset (compose warns; {@link #missing()} lists them);</li>
 *   <li>D{NAME:-default} when unset or empty, D{NAME-default} when unset; the default may hold references;</li>
 *   <li>D{NAME:?error} when unset or empty, D{NAME?error} when unset: an error that names the variable;</li>
 *   <li>D{NAME:+other} when set and not empty, D{NAME+other} when set: other, else the value;</li>
 *   <li>DD: one literal dollar; a dollar before anything else stays as it is;</li>
 *   <li>a brace that is never closed, an empty name or an unknown operator: an error.</li>
 * </ul>
 * The cases this must agree on are in src/test/resources/compose-interpolation-cases.txt.
 */
public final class ComposeInterpolation {

    private final Map<String, String> variables;
    private final Set<String> missing = new LinkedHashSet<>();

    public ComposeInterpolation(Map<String, String> variables) {
        this.variables = variables;
    }

    /** Variables used without a value or a default, in the order met. */
    public Set<String> missing() {
        return Set.copyOf(missing);
    }

    /** @throws IllegalArgumentException where compose would refuse the value */
    public String apply(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
            if (c != '$') {
                out.append(c);
                i++;
            } else if (next == '$') {
                out.append('$');
                i += 2;
            } else if (next == '{') {
                int close = closingBrace(text, i + 1);
                out.append(braced(text.substring(i + 2, close), text));
                i = close + 1;
            } else {
                int end = nameEnd(text, i + 1);
                out.append(end == i + 1 ? "$" : lookup(text.substring(i + 1, end)));
                i = end == i + 1 ? i + 1 : end;
            }
        }
        return out.toString();
    }

    /** The inside of one braced reference: a name, then nothing or an operator and its argument. */
    private String braced(String expression, String text) {
        int nameEnd = nameEnd(expression, 0);
        String name = expression.substring(0, nameEnd);
        String rest = expression.substring(nameEnd);
        if (name.isEmpty()) {
            throw invalid(text);
        }
        if (rest.isEmpty()) {
            return lookup(name);
        }
        boolean orEmpty = rest.startsWith(":");
        String operation = orEmpty ? rest.substring(1) : rest;
        if (operation.isEmpty() || "-+?".indexOf(operation.charAt(0)) < 0) {
            throw invalid(text);
        }
        String argument = operation.substring(1);
        String value = variables.get(name);
        boolean set = value != null && !(orEmpty && value.isEmpty());
        switch (operation.charAt(0)) {
            case '-':
                return set ? value : apply(argument);
            case '+':
                return set ? apply(argument) : value == null ? "" : value;
            default:
                if (!set) {
                    String reason = apply(argument);
                    throw new IllegalArgumentException("required variable " + name + " is missing a value"
                            + (reason.isEmpty() ? "" : ": " + reason));
                }
                return value;
        }
    }

    private String lookup(String name) {
        String value = variables.get(name);
        if (value == null) {
            missing.add(name);
            return "";
        }
        return value;
    }

    /**
     * The index of the brace that closes the one at {@code open}. As in compose, every opening brace counts,
     * not only those of a nested reference.
     */
    private static int closingBrace(String text, int open) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{') {
                depth++;
                i++; // compose skips the character after an opening brace
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        // unbalanced: compose then takes everything up to the last closing brace
        int last = text.lastIndexOf('}');
        if (last > open) {
            return last;
        }
        throw invalid(text);
    }

    private static int nameEnd(String text, int from) {
        int i = from;
        while (i < text.length()) {
            char c = text.charAt(i);
            boolean letter = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!letter && !(i > from && c >= '0' && c <= '9')) {
                break;
            }
            i++;
        }
        return i;
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid interpolation format in \"" + text + "\": use NAME in braces,"
                + " optionally followed by :-default, -default, :?error, ?error, :+other or +other");
    }
}
