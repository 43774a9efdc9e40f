package io.github.clicklog.archetype;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.clicklog.archetype.generated.doctor.ComposeInterpolation;
import io.github.clicklog.archetype.generated.doctor.DotEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The generated project's own .env and interpolation code (compiled in by the pom) against the cases its
 * doctor is tested with: one file, read where the archetype keeps it (its header explains the format).
 */
class ComposeInterpolationTest {
    static final Path CASES = Path.of("archetype-resources/doctor/src/test/resources/compose-interpolation-cases.txt");
    private static final String ARROW = " => ";

    @TestFactory
    List<DynamicTest> every_shared_case_reads_as_compose_reads_it() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        Map<String, String> variables = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(CASES);
        for (int number = 1; number <= lines.size(); number++) {
            String line = lines.get(number - 1);
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String kind = line.substring(0, line.indexOf(' '));
            String rest = line.substring(kind.length() + 1);
            if (kind.equals("set")) {
                variables.put(rest.substring(0, rest.indexOf('=')), rest.substring(rest.indexOf('=') + 1));
                continue;
            }
            if (kind.equals("unset")) {
                variables.remove(rest.strip());
                continue;
            }
            int arrow = rest.lastIndexOf(ARROW);
            assertTrue(arrow >= 0, CASES + ":" + number + " has no '=>': " + line);
            String input = text(rest.substring(0, arrow));
            String expected = rest.substring(arrow + ARROW.length());
            Map<String, String> seen = Map.copyOf(variables);
            String name = CASES.getFileName() + ":" + number + ": " + line;
            tests.add(switch (kind) {
                case "interpolate" -> DynamicTest.dynamicTest(name, () -> interpolate(input, expected, seen));
                case "dotenv" -> DynamicTest.dynamicTest(name, () -> dotenv(input, expected, seen));
                default -> throw new IllegalStateException(CASES + ":" + number + ": unknown kind of case '" + kind + "'");
            });
        }
        assertFalse(tests.isEmpty(), CASES + " has no cases");
        return tests;
    }

    private static void interpolate(String input, String expected, Map<String, String> variables) {
        ComposeInterpolation interpolation = new ComposeInterpolation(variables);
        if (expected.startsWith("error")) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> interpolation.apply(input));
            assertTrue(error.getMessage().contains(expected.substring("error".length()).strip()), error.getMessage());
        } else {
            assertEquals(bracketed(expected), interpolation.apply(input));
        }
    }

    private static void dotenv(String input, String expected, Map<String, String> processEnvironment) {
        if (expected.equals("error")) {
            assertThrows(IllegalArgumentException.class, () -> DotEnv.parse(input, processEnvironment));
        } else if (expected.equals("nothing")) {
            assertEquals(Map.of(), DotEnv.parse(input, processEnvironment));
        } else {
            String name = expected.substring(0, expected.indexOf(' '));
            assertEquals(bracketed(expected.substring(name.length() + 1)), DotEnv.parse(input, processEnvironment).get(name),
                    "the value of " + name);
        }
    }

    private static String bracketed(String value) {
        assertTrue(value.startsWith("[") && value.endsWith("]"), "an expected value is written in brackets: " + value);
        return text(value.substring(1, value.length() - 1));
    }

    private static String text(String written) {
        return written.replace("<newline>", "\n");
    }

    // What the archetype's checks add: unset variables reported, and a parsed YAML tree walked.

    private final ComposeInterpolation interpolation = new ComposeInterpolation(
            Map.of("PORT", "19092", "HOST", "broker.test"));

    @Test
    void unset_variables_become_empty_and_are_reported() {
        assertEquals(":", interpolation.apply("${NOPE}:$ALSO_NOPE"));
        assertEquals(Set.of("NOPE", "ALSO_NOPE"), interpolation.missing());
    }

    @Test
    void trees_are_interpolated_in_values_not_in_keys() {
        Object tree = ComposeProject.interpolateValues(interpolation, Map.of("${HOST}", List.of("${PORT}", 7, Map.of("k", "$HOST"))));
        assertEquals(Map.of("${HOST}", List.of("19092", 7, Map.of("k", "broker.test"))), tree);
    }
}
