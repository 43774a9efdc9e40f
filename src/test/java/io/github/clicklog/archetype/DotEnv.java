package io.github.clicklog.archetype;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compose {@code .env} file read the way compose reads it: {@code KEY=VALUE} lines, blank lines and
 * {@code #} comments ignored, an optional {@code export } prefix, single quotes literal, double quotes and
 * unquoted values interpolated with the variables defined above them, and a {@code " #"} comment after an
 * unquoted value.
 */
public final class DotEnv {
    private DotEnv() {
    }

    public static Map<String, String> read(Path file) {
        try {
            return parse(Files.readAllLines(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Map<String, String> parse(List<String> lines) {
        Map<String, String> values = new LinkedHashMap<>();
        int number = 0;
        for (String raw : lines) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int equals = line.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException(".env line " + number + " is not KEY=VALUE: " + raw);
            }
            String key = line.substring(0, equals).strip();
            String value = line.substring(equals + 1).strip();
            if (value.length() >= 2 && value.startsWith("'") && value.endsWith("'")) {
                value = value.substring(1, value.length() - 1);
            } else if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = new ComposeInterpolation(values).apply(value.substring(1, value.length() - 1)
                        .replace("\\n", "\n").replace("\\\"", "\""));
            } else {
                int comment = value.indexOf(" #");
                if (comment >= 0) {
                    value = value.substring(0, comment).strip();
                }
                value = new ComposeInterpolation(values).apply(value);
            }
            values.put(key, value);
        }
        return values;
    }
}
