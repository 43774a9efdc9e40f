package io.github.clicklog.archetype.listeners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.clicklog.archetype.ArchetypeRenderer;
import io.github.clicklog.archetype.ComposeProject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
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
    @ValueSource(strings = {"default", "zookeeper", "cluster", "cluster-custom"})
    void every_variant_changes_only_its_lines_of_the_broker_file_and_compose_still_reads_it(String set) throws IOException {
        Path project = ArchetypeRenderer.generate(ArchetypeRenderer.propertySets().get(set), out.resolve(set));
        String compose = Files.readString(project.resolve(ComposeProject.BROKER_FILE));
        List<String> nodes = ComposeBroker.nodes(new ComposeProject(project));
        List<BrokenVariant> variants = BrokenVariant.forNodes(nodes.size());
        assertFalse(variants.isEmpty(), "variants for " + nodes.size() + " node(s)");

        for (BrokenVariant variant : variants) {
            String broken = variant.applyTo(compose, 1234);
            assertEquals(variant.edits.size(), linesGone(compose, broken), variant + " changes or removes "
                    + variant.edits.size() + " line(s) and nothing else");

            Path copy = Files.createDirectories(out.resolve(set + "-" + variant));
            Files.writeString(copy.resolve(ComposeProject.BROKER_FILE), broken);
            Files.copy(project.resolve(".env"), copy.resolve(".env"));
            ComposeProject brokenProject = new ComposeProject(copy);
            assertEquals(nodes, ComposeBroker.nodes(brokenProject), variant.name());
            for (String node : nodes) {
                assertTrue(ComposeProject.environment(brokenProject.service(ComposeProject.BROKER_FILE, node))
                        .containsKey("KAFKA_ADVERTISED_LISTENERS"), variant + " " + node);
            }
        }
    }

    @Test
    void the_unpublished_node_has_an_empty_port_list_and_the_others_keep_theirs() throws IOException {
        Path project = ArchetypeRenderer.generate(ArchetypeRenderer.propertySets().get("cluster"), out.resolve("cluster"));
        Path copy = Files.createDirectories(out.resolve("unpublished"));
        Files.writeString(copy.resolve(ComposeProject.BROKER_FILE), BrokenVariant.OUTSIDE_PORT_NOT_PUBLISHED.applyTo(
                Files.readString(project.resolve(ComposeProject.BROKER_FILE)), 1234));
        Files.copy(project.resolve(".env"), copy.resolve(".env"));
        ComposeProject broken = new ComposeProject(copy);

        assertEquals(List.of(), broken.service(ComposeProject.BROKER_FILE, "kafka-3").get("ports"));
        assertEquals(List.of("127.0.0.1:9192:9192"), broken.service(ComposeProject.BROKER_FILE, "kafka-2").get("ports"));
    }

    /** How many lines of {@code before} are no longer in {@code after} (as a multiset: the cluster file repeats lines). */
    private static long linesGone(String before, String after) {
        Map<String, Long> left = new HashMap<>();
        Arrays.stream(before.split("\n", -1)).forEach(line -> left.merge(line, 1L, Long::sum));
        Arrays.stream(after.split("\n", -1)).forEach(line -> left.merge(line, -1L, Long::sum));
        return left.values().stream().filter(count -> count > 0).mapToLong(Long::longValue).sum();
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
