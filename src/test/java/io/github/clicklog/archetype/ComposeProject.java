package io.github.clicklog.archetype;

import io.github.clicklog.archetype.generated.doctor.ComposeInterpolation;
import io.github.clicklog.archetype.generated.doctor.DotEnv;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The compose files of a generated project as compose sees them: YAML parsed, then every value interpolated
 * with the project's {@code .env}. Also keeps the raw (uninterpolated) tree, for the lines the contract
 * wants verbatim.
 */
public final class ComposeProject {
    public static final String BROKER_FILE = "docker-compose.broker.yml";
    public static final String APP_FILE = "docker-compose.yml";
    public static final List<String> FILES = List.of(BROKER_FILE, APP_FILE);

    private final Path projectDir;
    private final Map<String, String> env;

    public ComposeProject(Path projectDir) {
        this.projectDir = projectDir;
        this.env = readEnv(projectDir);
    }

    public Map<String, String> env() {
        return env;
    }

    public Path projectDir() {
        return projectDir;
    }

    /** One compose file as written, parsed but not interpolated. */
    public Map<String, Object> raw(String file) {
        try {
            Object tree = new Yaml(new SafeConstructor(new LoaderOptions()))
                    .load(Files.readString(projectDir.resolve(file)));
            if (!(tree instanceof Map)) {
                throw new IllegalArgumentException(file + " is not a YAML mapping");
            }
            return cast(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One compose file after {@code .env} substitution; fails if a variable has neither a value nor a default. */
    public Map<String, Object> interpolated(String file) {
        ComposeInterpolation interpolation = new ComposeInterpolation(env);
        Map<String, Object> tree = cast(interpolateValues(interpolation, raw(file)));
        Set<String> missing = interpolation.missing();
        if (!missing.isEmpty()) {
            throw new AssertionError(file + " uses " + missing + ", which .env does not define:"
                    + " compose would substitute an empty string");
        }
        return tree;
    }

    /**
     * The project's {@code .env} as compose reads it, without this JVM's environment (which would let the machine
     * running the tests change what they see). The generated project's own reader.
     */
    public static Map<String, String> readEnv(Path projectDir) {
        try {
            return DotEnv.composeVariables(projectDir, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Interpolates every string value of a parsed YAML tree; keys stay as written, as in compose. */
    static Object interpolateValues(ComposeInterpolation interpolation, Object node) {
        if (node instanceof String text) {
            return interpolation.apply(text);
        }
        if (node instanceof Map<?, ?> map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((key, value) -> copy.put(key, interpolateValues(interpolation, value)));
            return copy;
        }
        if (node instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(value -> copy.add(interpolateValues(interpolation, value)));
            return copy;
        }
        return node;
    }

    /** A service of the interpolated file. */
    public Map<String, Object> service(String file, String name) {
        Map<String, Object> services = cast(interpolated(file).get("services"));
        if (services == null || !services.containsKey(name)) {
            throw new AssertionError(file + " has no service '" + name + "'");
        }
        return cast(services.get(name));
    }

    /** The environment of a service as strings, from either the map or the list form. */
    public static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> result = new LinkedHashMap<>();
        Object environment = service.get("environment");
        if (environment instanceof Map<?, ?> map) {
            map.forEach((key, value) -> result.put(String.valueOf(key), value == null ? null : String.valueOf(value)));
        } else if (environment instanceof List<?> list) {
            for (Object entry : list) {
                String text = String.valueOf(entry);
                int equals = text.indexOf('=');
                result.put(equals < 0 ? text : text.substring(0, equals), equals < 0 ? null : text.substring(equals + 1));
            }
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    static <T> T cast(Object value) {
        return (T) value;
    }
}
