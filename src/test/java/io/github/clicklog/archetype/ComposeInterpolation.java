package io.github.clicklog.archetype;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Variable substitution as docker compose does it on the values of a compose file (the Compose Specification,
 * "Interpolation"): {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}} (unset or empty),
 * {@code ${VAR-default}} (unset), {@code ${VAR:?error}} / {@code ${VAR?error}}, {@code ${VAR:+other}} /
 * {@code ${VAR+other}}, nested defaults, and {@code $$} for a literal {@code $}.
 *
 * <p>No Docker runs here, so the tests read the generated compose files through this to see what compose
 * would see. Like compose, an unset variable without a default becomes "" and is recorded in {@link #missing()}.
 */
public final class ComposeInterpolation {
    private final Map<String, String> variables;
    private final Set<String> missing = new LinkedHashSet<>();

    public ComposeInterpolation(Map<String, String> variables) {
        this.variables = Map.copyOf(variables);
    }

    /** Variables that were used without a value or default; compose warns about each and uses "". */
    public Set<String> missing() {
        return Set.copyOf(missing);
    }

    /** Interpolates every string value of a parsed YAML tree (keys stay as written, as in compose). */
    public Object applyToTree(Object node) {
        if (node instanceof String text) {
            return apply(text);
        }
        if (node instanceof Map<?, ?> map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((key, value) -> copy.put(key, applyToTree(value)));
            return copy;
        }
        if (node instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(value -> copy.add(applyToTree(value)));
            return copy;
        }
        return node;
    }

    public String apply(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                out.append(c);
                i++;
            } else if (i + 1 < text.length() && text.charAt(i + 1) == '$') {
                out.append('$');
                i += 2;
            } else if (i + 1 < text.length() && text.charAt(i + 1) == '{') {
                int end = closingBrace(text, i + 2);
                out.append(braced(text.substring(i + 2, end), text));
                i = end + 1;
            } else {
                int end = nameEnd(text, i + 1);
                if (end == i + 1) {
                    // a lone '$' (end of string, or before a non-name character) is kept as it is
                    out.append('$');
                    i++;
                } else {
                    out.append(lookup(text.substring(i + 1, end)));
                    i = end;
                }
            }
        }
        return out.toString();
    }

    private String braced(String expression, String whole) {
        int nameEnd = nameEnd(expression, 0);
        String name = expression.substring(0, nameEnd);
        if (name.isEmpty()) {
            throw new IllegalArgumentException("invalid interpolation format for \"" + whole
                    + "\": \"${" + expression + "}\" has no variable name");
        }
        String rest = expression.substring(nameEnd);
        if (rest.isEmpty()) {
            return lookup(name);
        }
        boolean colon = rest.startsWith(":");
        String operatorAndArgument = colon ? rest.substring(1) : rest;
        if (operatorAndArgument.isEmpty()) {
            throw invalid(expression, whole);
        }
        char operator = operatorAndArgument.charAt(0);
        String argument = operatorAndArgument.substring(1);
        String value = variables.get(name);
        boolean present = colon ? value != null && !value.isEmpty() : value != null;
        return switch (operator) {
            case '-' -> present ? value : apply(argument);
            case '+' -> present ? apply(argument) : "";
            case '?' -> {
                if (!present) {
                    throw new IllegalArgumentException("required variable " + name + " is missing a value: "
                            + apply(argument));
                }
                yield value;
            }
            default -> throw invalid(expression, whole);
        };
    }

    private String lookup(String name) {
        String value = variables.get(name);
        if (value == null) {
            missing.add(name);
            return "";
        }
        return value;
    }

    private static IllegalArgumentException invalid(String expression, String whole) {
        return new IllegalArgumentException("invalid interpolation format for \"" + whole + "\": \"${"
                + expression + "}\"; use ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} or ${VAR:+other}");
    }

    /**
     * The index of the '}' closing a '${' whose body starts at {@code from}. As in compose, every '{' counts
     * (and the character after it is skipped), not only those of a nested '${'; without a balanced one,
     * compose takes everything up to the last '}'.
     */
    private static int closingBrace(String text, int from) {
        int depth = 1;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{') {
                depth++;
                i++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        int last = text.lastIndexOf('}');
        if (last >= from) {
            return last;
        }
        throw new IllegalArgumentException("invalid interpolation format for \"" + text + "\": unclosed \"${\"");
    }

    private static int nameEnd(String text, int from) {
        int i = from;
        while (i < text.length()) {
            char c = text.charAt(i);
            boolean letter = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!(letter || (i > from && c >= '0' && c <= '9'))) {
                break;
            }
            i++;
        }
        return i;
    }
}
