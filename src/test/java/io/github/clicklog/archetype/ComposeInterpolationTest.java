package io.github.clicklog.archetype;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ComposeInterpolationTest {
    private final ComposeInterpolation interpolation = new ComposeInterpolation(
            Map.of("PORT", "19092", "EMPTY", "", "HOST", "broker.test"));

    @Test
    void braced_and_bare_variables_take_their_values() {
        assertEquals("broker.test:19092", interpolation.apply("${HOST}:$PORT"));
    }

    @Test
    void colon_dash_default_applies_when_unset_or_empty() {
        assertEquals("127.0.0.1", interpolation.apply("${BIND:-127.0.0.1}"));
        assertEquals("127.0.0.1", interpolation.apply("${EMPTY:-127.0.0.1}"));
        assertEquals("19092", interpolation.apply("${PORT:-1}"));
    }

    @Test
    void dash_default_applies_only_when_unset() {
        assertEquals("x", interpolation.apply("${BIND-x}"));
        assertEquals("", interpolation.apply("${EMPTY-x}"));
    }

    @Test
    void defaults_may_nest_variables() {
        assertEquals("broker.test:19092", interpolation.apply("${BIND:-${HOST}:${PORT}}"));
    }

    @Test
    void double_dollar_is_a_literal_dollar_and_is_not_interpolated() {
        assertEquals("$PORT and ${PORT}", interpolation.apply("$$PORT and $${PORT}"));
    }

    @Test
    void question_mark_makes_a_variable_required() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> interpolation.apply("${EMPTY:?set EMPTY in .env}"));
        assertTrue(error.getMessage().contains("set EMPTY in .env"), error.getMessage());
        assertEquals("", interpolation.apply("${EMPTY?unused}"));
    }

    @Test
    void plus_replaces_only_set_variables() {
        assertEquals("yes", interpolation.apply("${PORT:+yes}"));
        assertEquals("", interpolation.apply("${EMPTY:+yes}"));
        assertEquals("yes", interpolation.apply("${EMPTY+yes}"));
    }

    @Test
    void unset_variables_become_empty_and_are_reported() {
        assertEquals(":", interpolation.apply("${NOPE}:$ALSO_NOPE"));
        assertEquals(Set.of("NOPE", "ALSO_NOPE"), interpolation.missing());
    }

    @Test
    void a_lone_dollar_stays() {
        assertEquals("costs 5$ or $", interpolation.apply("costs 5$ or $"));
    }

    @Test
    void malformed_expressions_are_errors_as_in_compose() {
        assertThrows(IllegalArgumentException.class, () -> interpolation.apply("${PORT"));
        assertThrows(IllegalArgumentException.class, () -> interpolation.apply("${}"));
        assertThrows(IllegalArgumentException.class, () -> interpolation.apply("${PORT:x}"));
    }

    @Test
    void trees_are_interpolated_in_values_not_in_keys() {
        Object tree = interpolation.applyToTree(Map.of("${HOST}", List.of("${PORT}", 7, Map.of("k", "$HOST"))));
        assertEquals(Map.of("${HOST}", List.of("19092", 7, Map.of("k", "broker.test"))), tree);
    }

    @Test
    void dot_env_reads_like_compose() {
        Map<String, String> env = DotEnv.parse(List.of(
                "# comment", "", "A=1", "export B=two words # trailing comment", "C='${A} literal'",
                "D=\"${A}-quoted\"", "E=${A}${B:-x}", "F="));
        assertEquals(Map.of("A", "1", "B", "two words", "C", "${A} literal", "D", "1-quoted", "E", "1two words", "F", ""), env);
        assertThrows(IllegalArgumentException.class, () -> DotEnv.parse(List.of("no equals sign")));
    }
}
