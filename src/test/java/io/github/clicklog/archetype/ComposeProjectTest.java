package io.github.clicklog.archetype;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.clicklog.archetype.generated.doctor.ComposeInterpolation;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What {@link ComposeProject} adds to the generated project's interpolation (whose own cases run here as
 * ComposeInterpolationCasesTest, compiled from the template): unset variables reported, and a parsed YAML tree
 * walked.
 */
class ComposeProjectTest {

    private final ComposeInterpolation interpolation = new ComposeInterpolation(
            Map.of("PORT", "19092", "HOST", "broker.test"));

    @Test
    void unset_variables_become_empty_and_are_reported() {
        assertEquals(":", interpolation.apply("${NOPE}:$ALSO_NOPE"));
        assertEquals(Set.of("NOPE", "ALSO_NOPE"), interpolation.missing());
    }

    @Test
    void trees_are_interpolated_in_values_not_in_keys() {
        Object tree = ComposeProject.interpolateValues(interpolation,
                Map.of("${HOST}", List.of("${PORT}", 7, Map.of("k", "$HOST"))));
        assertEquals(Map.of("${HOST}", List.of("19092", 7, Map.of("k", "broker.test"))), tree);
    }
}
