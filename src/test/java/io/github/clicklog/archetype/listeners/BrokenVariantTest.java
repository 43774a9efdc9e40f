package io.github.clicklog.archetype.listeners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.clicklog.archetype.ArchetypeRenderer;
import io.github.clicklog.archetype.ComposeProject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The broken variants still apply to the compose files the templates render, in both broker modes: a
 * template change that one of them no longer matches fails here in seconds, not in an IT minutes later.
 */
class BrokenVariantTest {

    @TempDir
    Path out;

    @ParameterizedTest
    @ValueSource(strings = {"default", "zookeeper"})
    void every_variant_changes_exactly_one_line_of_the_broker_file_and_compose_still_reads_it(String set) throws IOException {
        Path project = ArchetypeRenderer.generate(ArchetypeRenderer.propertySets().get(set), out.resolve(set));
        String compose = Files.readString(project.resolve(ComposeProject.BROKER_FILE));
        List<String> original = Arrays.asList(compose.split("\n", -1));

        for (BrokenVariant variant : BrokenVariant.values()) {
            String broken = variant.applyTo(compose, 1234);
            List<String> edited = Arrays.asList(broken.split("\n", -1));
            assertEquals(original.size(), edited.size(), variant.name());
            long changed = java.util.stream.IntStream.range(0, original.size())
                    .filter(i -> !original.get(i).equals(edited.get(i))).count();
            assertEquals(1, changed, variant + " changes one line");

            Path copy = Files.createDirectories(out.resolve(set + "-" + variant));
            Files.writeString(copy.resolve(ComposeProject.BROKER_FILE), broken);
            Files.copy(project.resolve(".env"), copy.resolve(".env"));
            Map<String, String> environment = ComposeProject.environment(
                    new ComposeProject(copy).service(ComposeProject.BROKER_FILE, ComposeBroker.SERVICE));
            assertTrue(environment.containsKey("KAFKA_ADVERTISED_LISTENERS"), variant.name());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "zookeeper"})
    void the_protocol_map_variant_leaves_a_well_formed_map(String set) throws IOException {
        Path project = ArchetypeRenderer.generate(ArchetypeRenderer.propertySets().get(set), out.resolve(set));
        String broken = BrokenVariant.OUTSIDE_MISSING_FROM_PROTOCOL_MAP.applyTo(
                Files.readString(project.resolve(ComposeProject.BROKER_FILE)), 1234);
        String map = broken.lines().filter(line -> line.contains("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:"))
                .findFirst().orElseThrow();

        assertTrue(map.strip().matches("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: [A-Z]+:PLAINTEXT(,[A-Z]+:PLAINTEXT)*"), map);
        assertTrue(!map.contains("OUTSIDE"), map);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:19092:19092", "19092:19092", "19092:19092/tcp"})
    void compose_short_port_syntax(String entry) {
        assertArrayEquals(new int[] {19092, 19092}, ListenerVerification.portMapping(entry));
        assertNotEquals(0, ListenerVerification.portMapping("127.0.0.1:1234:19092")[0] - 19092);
    }

    @ParameterizedTest
    @ValueSource(strings = {"CLIENT_PORT:clientPort", "TICK_TIME:tickTime", "INIT_LIMIT:initLimit"})
    void zookeeper_environment_names_follow_the_cp_zookeeper_rule(String pair) {
        String[] names = pair.split(":");
        assertEquals(names[1], ComposeBroker.camelCase(names[0]));
    }
}
