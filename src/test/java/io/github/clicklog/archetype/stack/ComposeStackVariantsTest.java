package io.github.clicklog.archetype.stack;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.clicklog.archetype.ArchetypeRenderer;
import io.github.clicklog.archetype.ComposeProject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compose-stack variants still apply to the rendered default broker file, each to its own lines only. */
class ComposeStackVariantsTest {

    @TempDir
    Path out;

    @Test
    void each_variant_changes_its_lines_and_compose_still_reads_the_file() throws IOException {
        Path project = ArchetypeRenderer.generate(ArchetypeRenderer.propertySets().get("default"), out.resolve("default"));
        Path file = project.resolve(ComposeProject.BROKER_FILE);
        String original = Files.readString(file);
        Map<String, String> expected = Map.of(
                ComposeStackVariants.VARIANTS.get(0).name(), "test: [\"CMD-SHELL\", \"sleep 60\"]",
                ComposeStackVariants.VARIANTS.get(1).name(), "INSIDE://localhost:${KAFKA_INSIDE_PORT}",
                ComposeStackVariants.VARIANTS.get(2).name(), "127.0.0.1}:19092:${KAFKA_OUTSIDE_PORT}");
        for (ComposeStackVariants.Variant variant : ComposeStackVariants.VARIANTS) {
            String broken = variant.edit().apply(original);
            assertTrue(broken.contains(expected.get(variant.name())), variant.name() + ":\n" + broken);
            long changed = broken.lines().filter(line -> !original.lines().toList().contains(line)).count();
            assertTrue(changed >= 1 && changed <= 5, variant.name() + " changed " + changed + " lines");
            Files.writeString(file, broken);
            new ComposeProject(project).interpolated(ComposeProject.BROKER_FILE);
            Files.writeString(file, original);
        }
    }
}
