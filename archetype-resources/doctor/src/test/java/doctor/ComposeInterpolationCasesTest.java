package ${package}.doctor;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of compose-interpolation-cases.txt (its header explains the format) against {@link DotEnv} and
 * {@link ComposeInterpolation}. The archetype's build compiles and runs this very test too.
 */
class ComposeInterpolationCasesTest {

    private static final String CASES = "compose-interpolation-cases.txt";
    private static final String ARROW = " => ";

    @TestFactory
    List<DynamicTest> every_case_reads_as_compose_reads_it() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        Map<String, String> variables = new LinkedHashMap<>();
        int number = 0;
        for (String line : lines()) {
            number++;
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
            assertTrue(arrow >= 0, CASES + ":" + number + " has no '" + ARROW.strip() + "': " + line);
            String input = text(rest.substring(0, arrow));
            String expected = rest.substring(arrow + ARROW.length());
            Map<String, String> seen = Map.copyOf(variables);
            String name = CASES + ":" + number + ": " + line;
            switch (kind) {
                case "interpolate" -> tests.add(DynamicTest.dynamicTest(name, () -> interpolate(input, expected, seen)));
                case "dotenv" -> tests.add(DynamicTest.dynamicTest(name, () -> dotenv(input, expected, seen)));
                default -> throw new IllegalStateException(CASES + ":" + number + ": unknown kind of case '" + kind + "'");
            }
        }
        assertFalse(tests.isEmpty(), CASES + " has no cases");
        return tests;
    }

    private static void interpolate(String input, String expected, Map<String, String> variables) {
        ComposeInterpolation interpolation = new ComposeInterpolation(variables);
        if (expected.startsWith("error")) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> interpolation.apply(input));
            String words = expected.substring("error".length()).strip();
            assertTrue(error.getMessage().contains(words), error.getMessage());
        } else {
            assertEquals(bracketed(expected), interpolation.apply(input));
        }
    }

    private static void dotenv(String input, String expected, Map<String, String> processEnvironment) {
        if (expected.equals("error")) {
            assertThrows(IllegalArgumentException.class, () -> DotEnv.parse(input, processEnvironment));
            return;
        }
        Map<String, String> values = DotEnv.parse(input, processEnvironment);
        if (expected.equals("nothing")) {
            assertEquals(Map.of(), values);
            return;
        }
        String name = expected.substring(0, expected.indexOf(' '));
        assertEquals(bracketed(expected.substring(name.length() + 1)), values.get(name), "the value of " + name);
    }

    private static String bracketed(String value) {
        assertTrue(value.startsWith("[") && value.endsWith("]"), "an expected value is written in brackets: " + value);
        return text(value.substring(1, value.length() - 1));
    }

    private static String text(String written) {
        return written.replace("<newline>", "\n");
    }

    private static List<String> lines() throws IOException {
        try (InputStream in = ComposeInterpolationCasesTest.class.getResourceAsStream("/" + CASES)) {
            assertTrue(in != null, CASES + " is not on the test classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}
