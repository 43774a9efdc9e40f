package io.github.clicklog.archetype;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A compose {@code .env} file read the way compose reads it (compose-go's dotenv parser): blank lines and
 * {@code #} comment lines skipped, an optional {@code export} prefix, {@code NAME=value} or {@code NAME: value},
 * an unquoted value cut at a {@code " #"} comment and trimmed, single quotes literal, double quotes with
 * backslash escapes and possibly several lines, references interpolated in unquoted and double-quoted values
 * (the process environment first, then the lines above), and a name alone taken from the process environment.
 *
 * <p>The generated project's doctor has its own implementation of the same rules (it cannot use this one,
 * nor this one the generated code): both pass every case of
 * archetype-resources/doctor/src/test/resources/compose-interpolation-cases.txt.
 */
public final class DotEnv {
    private DotEnv() {
    }

    /** The file as compose reads it with no variable of the same name in the process environment. */
    public static Map<String, String> read(Path file) {
        try {
            return parse(Files.readString(file), Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException where compose refuses the file */
    public static Map<String, String> parse(String text, Map<String, String> processEnvironment) {
        Map<String, String> values = new LinkedHashMap<>();
        int i = 0;
        while (true) {
            while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i == text.length()) {
                return values;
            }
            if (text.charAt(i) == '#') {
                i = lineEnd(text, i);
                continue;
            }
            if (text.startsWith("export", i) && i + 6 < text.length() && blank(text.charAt(i + 6))) {
                i += 6;
                while (i < text.length() && blank(text.charAt(i))) {
                    i++;
                }
            }
            int nameStart = i;
            while (i < text.length() && "=:\n".indexOf(text.charAt(i)) < 0) {
                i++;
            }
            String key = text.substring(nameStart, i).stripTrailing();
            if (!key.matches("[\\p{L}\\p{N}_.\\[\\]-]+")) {
                throw new IllegalArgumentException(".env: '" + key + "' is not a variable name");
            }
            if (i == text.length() || text.charAt(i) == '\n') {
                if (processEnvironment.containsKey(key)) {
                    values.put(key, processEnvironment.get(key));
                }
                continue;
            }
            i++;
            while (i < text.length() && blank(text.charAt(i))) {
                i++;
            }
            char quote = i < text.length() ? text.charAt(i) : 0;
            if (quote == '\'' || quote == '"') {
                StringBuilder raw = new StringBuilder();
                int j = i + 1;
                for (boolean escape = false; ; j++) {
                    if (j == text.length()) {
                        throw new IllegalArgumentException(".env: the value of " + key + " has no closing " + quote);
                    }
                    char c = text.charAt(j);
                    if (c == quote && !escape) {
                        break;
                    }
                    if (c == '\\' && !escape) {
                        escape = true;
                        continue;
                    }
                    if (escape && c != quote) {
                        raw.append('\\');
                    }
                    escape = false;
                    raw.append(c);
                }
                values.put(key, quote == '\'' ? raw.toString() : interpolate(unescape(raw.toString()), values, processEnvironment));
                i = j + 1;
            } else {
                int end = lineEnd(text, i);
                String value = text.substring(i, end);
                int comment = value.indexOf(" #");
                values.put(key, interpolate((comment < 0 ? value : value.substring(0, comment)).stripTrailing(),
                        values, processEnvironment));
                i = end;
            }
        }
    }

    private static String unescape(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '\\' || i + 1 == value.length()) {
                out.append(c);
                continue;
            }
            char next = value.charAt(++i);
            out.append(switch (next) {
                case 'a' -> "\u0007";
                case 'b' -> "\b";
                case 'f' -> "\f";
                case 'n' -> "\n";
                case 'r' -> "\r";
                case 't' -> "\t";
                case 'v' -> "\u000B";
                case '$' -> "$$"; // stays a literal dollar through interpolation
                case '"', '\\' -> String.valueOf(next);
                default -> "\\" + next;
            });
        }
        return out.toString();
    }

    private static String interpolate(String value, Map<String, String> above, Map<String, String> processEnvironment) {
        Map<String, String> visible = new HashMap<>(above);
        visible.putAll(processEnvironment);
        return new ComposeInterpolation(visible).apply(value);
    }

    private static int lineEnd(String text, int from) {
        int end = text.indexOf('\n', from);
        return end < 0 ? text.length() : end;
    }

    private static boolean blank(char c) {
        return c != '\n' && Character.isWhitespace(c);
    }
}
