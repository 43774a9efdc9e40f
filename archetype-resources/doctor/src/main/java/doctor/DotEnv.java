package ${package}.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A compose {@code .env} file, read as docker compose reads it (compose-go's dotenv parser):
 * <ul>
 *   <li>blank lines and lines starting with {@code #} are skipped; {@code export NAME=value} is NAME=value;</li>
 *   <li>an unquoted value ends at the line's end or at a {@code " #"} comment, trailing blanks dropped
 *       ({@code PORT=19092  # host port} is 19092, {@code TAG=a#b} keeps its {@code #}), and variable
 *       references in it are interpolated;</li>
 *   <li>a single-quoted value is literal; a double-quoted one may span lines, understands backslash escapes
 *       and is interpolated; a comment may follow the closing quote;</li>
 *   <li>{@code NAME} alone takes the value from the process environment, if it has one;</li>
 *   <li>references see the process environment first, then the lines above.</li>
 * </ul>
 * The cases this must agree on are in src/test/resources/compose-interpolation-cases.txt.
 */
public final class DotEnv {

    public static final String FILE_NAME = ".env";

    private final String text;
    private final Map<String, String> processEnvironment;
    private final Map<String, String> values = new LinkedHashMap<>();
    private int pos;
    private int line = 1;

    private DotEnv(String text, Map<String, String> processEnvironment) {
        this.text = text;
        this.processEnvironment = processEnvironment;
    }

    /**
     * The variables compose interpolates the compose files of {@code projectDir} with: its {@code .env}, if
     * there is one, overridden by the process environment.
     */
    public static Map<String, String> composeVariables(Path projectDir, Map<String, String> processEnvironment)
            throws IOException {
        Map<String, String> variables = new LinkedHashMap<>();
        Path file = projectDir.resolve(FILE_NAME);
        if (Files.isRegularFile(file)) {
            try {
                variables.putAll(parse(Files.readString(file), processEnvironment));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
        }
        variables.putAll(processEnvironment);
        return variables;
    }

    /** @throws IllegalArgumentException for what compose refuses, naming the line */
    public static Map<String, String> parse(String text, Map<String, String> processEnvironment) {
        DotEnv reader = new DotEnv(text, processEnvironment);
        while (reader.nextStatement()) {
            reader.statement();
        }
        return reader.values;
    }

    /** Skips blanks, line breaks and comment lines; false at the end of the file. */
    private boolean nextStatement() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (Character.isWhitespace(c)) {
                if (c == '\n') {
                    line++;
                }
                pos++;
            } else {
                return true;
            }
        }
        return false;
    }

    private void statement() {
        if (text.startsWith("export", pos) && pos + 6 < text.length() && isBlank(text.charAt(pos + 6))) {
            pos += 6;
            skipBlanks();
        }
        int start = pos;
        while (pos < text.length() && "=:\n".indexOf(text.charAt(pos)) < 0) {
            char c = text.charAt(pos);
            if (!(Character.isLetterOrDigit(c) || "_.-[]".indexOf(c) >= 0 || isBlank(c))) {
                throw error("unexpected character '" + c + "' in the variable name");
            }
            pos++;
        }
        String name = text.substring(start, pos).stripTrailing();
        if (name.isEmpty()) {
            throw error("a value without a variable name");
        }
        if (name.chars().anyMatch(c -> isBlank((char) c))) {
            throw error("the variable name '" + name + "' contains a space");
        }
        if (pos == text.length() || text.charAt(pos) == '\n') {
            // a name alone passes the process environment's value through
            if (processEnvironment.containsKey(name)) {
                values.put(name, processEnvironment.get(name));
            }
            return;
        }
        pos++; // '=' (or ':', which compose accepts too)
        skipBlanks();
        char first = pos < text.length() ? text.charAt(pos) : 0;
        values.put(name, first == '\'' || first == '"' ? quoted(first) : unquoted());
    }

    private String unquoted() {
        int end = text.indexOf('\n', pos);
        String value = text.substring(pos, end < 0 ? text.length() : end);
        pos = end < 0 ? text.length() : end;
        int comment = value.indexOf(" #");
        if (comment >= 0) {
            value = value.substring(0, comment);
        }
        return interpolate(value.stripTrailing());
    }

    private String quoted(char quote) {
        int startLine = line;
        StringBuilder raw = new StringBuilder();
        boolean escaped = false;
        for (int i = pos + 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
            }
            if (c == quote && !escaped) {
                pos = i + 1;
                String value = raw.toString();
                return quote == '"' ? interpolate(unescape(value)) : value;
            }
            if (c == '\\' && !escaped) {
                escaped = true;
                continue;
            }
            if (escaped && c != quote) {
                raw.append('\\');
            }
            escaped = false;
            raw.append(c);
        }
        line = startLine;
        throw error("the quoted value has no closing " + quote);
    }

    /** The backslash escapes of a double-quoted value; a backslash before a dollar keeps it literal. */
    private static String unescape(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '\\' || i + 1 == value.length()) {
                out.append(c);
                continue;
            }
            char next = value.charAt(++i);
            switch (next) {
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000B');
                case '$' -> out.append("$$");
                case '"', '\\' -> out.append(next);
                default -> out.append('\\').append(next);
            }
        }
        return out.toString();
    }

    private String interpolate(String value) {
        Map<String, String> visible = new HashMap<>(values);
        visible.putAll(processEnvironment);
        try {
            return new ComposeInterpolation(visible).apply(value);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    private void skipBlanks() {
        while (pos < text.length() && isBlank(text.charAt(pos))) {
            pos++;
        }
    }

    /** Blanks within a line: a line break ends a statement instead. */
    private static boolean isBlank(char c) {
        return c != '\n' && Character.isWhitespace(c);
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("line " + line + ": " + message);
    }
}
