package ${package}.doctor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The doctor's reading of this project's own docker-compose.broker.yml and .env, as generated and with the
 * classic mistakes written into a copy.
 */
class BrokerComposeFileTest {

    /** The project root: surefire runs in the module directory. */
    private static final Path PROJECT = Path.of("..");
    /** The first (or only) node: kafka, or kafka-1 of a cluster. */
    private static final ListenerDiagnosis.Layout FIRST = ListenerDiagnosis.Layout.GENERATED;
    /** The .env variable of the first node's OUTSIDE port: KAFKA_OUTSIDE_PORT, or KAFKA_OUTSIDE_PORT_1. */
    private static final String OUTSIDE_PORT = FIRST.outsidePortVariable();

    @TempDir
    Path copy;

    private List<ListenerDiagnosis.Finding> findingsAfter(UnaryOperator<String> edit) throws IOException {
        String original = Files.readString(PROJECT.resolve(BrokerComposeFile.FILE_NAME));
        String edited = edit.apply(original);
        assertTrue(!edited.equals(original), "the edit must change the compose file");
        Files.writeString(copy.resolve(BrokerComposeFile.FILE_NAME), edited);
        Files.copy(PROJECT.resolve(".env"), copy.resolve(".env"));
        return BrokerComposeFile.read(copy, Map.of()).findings();
    }

    private static String fixes(List<ListenerDiagnosis.Finding> findings) {
        return findings.stream().map(ListenerDiagnosis.Finding::fix).reduce("", (a, b) -> a + "\n" + b);
    }

    @Test
    void the_generated_compose_file_keeps_the_listener_contract() throws IOException {
        BrokerComposeFile file = BrokerComposeFile.read(PROJECT, Map.of());

        assertEquals(List.of(), file.findings());
        assertEquals(ListenerDiagnosis.Layout.GENERATED, file.layout());
        assertEquals(ListenerDiagnosis.Layout.GENERATED_NODES, file.layouts());
        assertEquals("INSIDE://" + FIRST.service() + ":${kafkaInsidePort},OUTSIDE://${kafkaOutsideHost}:${kafkaOutsidePort}",
                file.environment().get("KAFKA_ADVERTISED_LISTENERS"));
    }

    @Test
    void inside_advertised_as_localhost() throws IOException {
        String fixes = fixes(findingsAfter(text ->
                text.replace("INSIDE://" + FIRST.service() + ":${KAFKA_INSIDE_PORT}", "INSIDE://localhost:${KAFKA_INSIDE_PORT}")));

        assertTrue(fixes.contains("set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + FIRST.service() + ":${kafkaInsidePort}"), fixes);
    }

    @Test
    void outside_advertised_as_the_service_name() throws IOException {
        String fixes = fixes(findingsAfter(text -> text.replace("OUTSIDE://${KAFKA_OUTSIDE_HOST}:", "OUTSIDE://" + FIRST.service() + ":")));

        assertTrue(fixes.contains("set OUTSIDE in KAFKA_ADVERTISED_LISTENERS to OUTSIDE://${kafkaOutsideHost}:${kafkaOutsidePort}"), fixes);
    }

    @Test
    void a_listener_missing_from_the_protocol_map() throws IOException {
        String fixes = fixes(findingsAfter(text -> text.replace(",OUTSIDE:PLAINTEXT", "")));

        assertTrue(fixes.contains("add OUTSIDE:PLAINTEXT to KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"), fixes);
    }

    @Test
    void outside_bound_to_the_container_loopback() throws IOException {
        String fixes = fixes(findingsAfter(text -> text.replace("OUTSIDE://0.0.0.0:", "OUTSIDE://127.0.0.1:")));

        assertTrue(fixes.contains("OUTSIDE://0.0.0.0:${kafkaOutsidePort} in KAFKA_LISTENERS"), fixes);
    }

    @Test
    void a_published_port_other_than_the_advertised_one() throws IOException {
        int other = ${kafkaOutsidePort} == 65535 ? 1024 : ${kafkaOutsidePort} + 1;
        String fixes = fixes(findingsAfter(text ->
                text.replace(":${" + OUTSIDE_PORT + "}:${" + OUTSIDE_PORT + "}\"", ":" + other + ":${" + OUTSIDE_PORT + "}\"")));

        assertTrue(fixes.contains("same number on both sides, \"127.0.0.1:${kafkaOutsidePort}:${kafkaOutsidePort}\""), fixes);
    }

    @Test
    void every_listener_setting_of_the_generated_file_is_the_one_the_rules_state() throws IOException {
        BrokerComposeFile file = BrokerComposeFile.read(PROJECT, Map.of());
        Map<String, String> rules = file.rules().composeEnvironment();

        assertTrue(rules.containsKey("KAFKA_LISTENERS") && rules.containsKey("KAFKA_ADVERTISED_LISTENERS"), rules.toString());
        rules.forEach((key, value) -> assertEquals(value, file.environment().get(key), key));
    }

    @Test
    void a_comment_after_a_port_in_env_is_not_part_of_the_port() throws IOException {
        int other = ${kafkaOutsidePort} == 65535 ? 1024 : ${kafkaOutsidePort} + 1;
        Files.copy(PROJECT.resolve(BrokerComposeFile.FILE_NAME), copy.resolve(BrokerComposeFile.FILE_NAME));
        Files.writeString(copy.resolve(".env"), Files.readString(PROJECT.resolve(".env"))
                .replaceFirst("(?m)^" + OUTSIDE_PORT + "=.*$", OUTSIDE_PORT + "=" + other + "  # host port"));

        BrokerComposeFile file = BrokerComposeFile.read(copy, Map.of());

        assertEquals(List.of(), file.findings());
        assertEquals(other, file.layout().outsidePort());
    }

    @Test
    void the_process_environment_wins_over_env_as_in_compose() throws IOException {
        BrokerComposeFile file = BrokerComposeFile.read(PROJECT, Map.of("KAFKA_OUTSIDE_HOST", "clicks.example"));

        assertEquals("clicks.example", file.layout().outsideHost());
        assertTrue(file.environment().get("KAFKA_ADVERTISED_LISTENERS").contains("OUTSIDE://clicks.example:"),
                file.environment().get("KAFKA_ADVERTISED_LISTENERS"));
        assertEquals(List.of(), file.findings());
    }

    @Test
    void the_file_is_read_as_yaml_whatever_its_indentation() throws IOException {
        String fourSpaces = Files.readString(PROJECT.resolve(BrokerComposeFile.FILE_NAME)).lines()
                .map(line -> " ".repeat(line.length() - line.stripLeading().length()) + line)
                .reduce("", (a, b) -> a + b + "\n");
        Files.writeString(copy.resolve(BrokerComposeFile.FILE_NAME), fourSpaces);
        Files.copy(PROJECT.resolve(".env"), copy.resolve(".env"));

        BrokerComposeFile file = BrokerComposeFile.read(copy, Map.of());

        assertEquals(List.of(), file.findings());
        assertEquals(BrokerComposeFile.read(PROJECT, Map.of()).environment(), file.environment());
    }

    @Test
    void a_variable_missing_from_env_is_named() throws IOException {
        String fixes = fixes(findingsAfter(text -> text.replace("KAFKA_INSIDE_PORT}", "KAFKA_INSIDE_PORTS}")));

        assertTrue(fixes.contains("set KAFKA_INSIDE_PORTS in .env"), fixes);
    }

    @Test
    void an_env_file_compose_would_refuse_is_named_in_the_error() throws IOException {
        Files.copy(PROJECT.resolve(BrokerComposeFile.FILE_NAME), copy.resolve(BrokerComposeFile.FILE_NAME));
        Files.writeString(copy.resolve(".env"), Files.readString(PROJECT.resolve(".env"))
                .replaceFirst("(?m)^KAFKA_INSIDE_PORT=.*$", "KAFKA_INSIDE_PORT=\"unterminated"));

        IOException error = assertThrows(IOException.class, () -> BrokerComposeFile.read(copy, Map.of()));

        assertTrue(error.getMessage().contains(".env"), error.getMessage());
    }
#if( $kafkaNodes == "3" )

    // The three-node cluster: every node checked with its own service name and OUTSIDE port, and what the
    // nodes must not share.

    @Test
    void every_node_of_the_cluster_is_read_with_its_own_id_service_and_outside_port() throws IOException {
        BrokerComposeFile file = BrokerComposeFile.read(PROJECT, Map.of());

        assertEquals(List.of("kafka-1", "kafka-2", "kafka-3"),
                file.nodes().stream().map(BrokerComposeFile.Node::service).toList());
        assertEquals(List.of(1, 2, 3), file.nodes().stream().map(BrokerComposeFile.Node::id).toList());
        assertEquals(List.of(${kafkaOutsidePort}, __kafkaOutsidePort_2__, __kafkaOutsidePort_3__),
                file.nodes().stream().map(node -> node.layout().outsidePort()).toList());
        for (BrokerComposeFile.Node node : file.nodes()) {
            node.rules().composeEnvironment().forEach((key, value) ->
                    assertEquals(value, node.environment().get(key), node.service() + " " + key));
        }
    }

    @Test
    void two_nodes_advertising_the_same_outside_port_are_named_with_the_fix() throws IOException {
        List<ListenerDiagnosis.Finding> findings = findingsAfter(text -> text.replace(
                "OUTSIDE://${KAFKA_OUTSIDE_HOST}:${KAFKA_OUTSIDE_PORT_2}", "OUTSIDE://${KAFKA_OUTSIDE_HOST}:${KAFKA_OUTSIDE_PORT_1}"));
        String problems = problems(findings);

        assertTrue(problems.contains("kafka-1 and kafka-2 both advertise the OUTSIDE port ${kafkaOutsidePort}"), problems);
        assertTrue(fixes(findings).contains("give every node its own OUTSIDE port: kafka-2 advertises OUTSIDE://${kafkaOutsideHost}:__kafkaOutsidePort_2__"
                + " and publishes \"127.0.0.1:__kafkaOutsidePort_2__:__kafkaOutsidePort_2__\" (KAFKA_OUTSIDE_PORT_2 in .env sets both)"), fixes(findings));
    }

    @Test
    void a_node_whose_outside_port_is_not_published_is_named() throws IOException {
        List<ListenerDiagnosis.Finding> findings = findingsAfter(text ->
                text.replaceAll("(?m)^ *- \".*KAFKA_OUTSIDE_PORT_3}:.*\n", ""));

        assertTrue(problems(findings).contains("kafka-3: no published port reaches the OUTSIDE listener's port __kafkaOutsidePort_3__"),
                problems(findings));
        assertTrue(fixes(findings).contains("publish it under ports of the kafka-3 service: \"127.0.0.1:__kafkaOutsidePort_3__:__kafkaOutsidePort_3__\""),
                fixes(findings));
    }

    @Test
    void a_node_publishing_its_outside_port_under_another_number_is_named() throws IOException {
        List<ListenerDiagnosis.Finding> findings = findingsAfter(text -> text.replace(
                ":${KAFKA_OUTSIDE_PORT_2}:${KAFKA_OUTSIDE_PORT_2}\"", ":29092:${KAFKA_OUTSIDE_PORT_2}\""));

        assertTrue(problems(findings).contains("kafka-2: the host port 29092 is published to the broker's port __kafkaOutsidePort_2__"),
                problems(findings));
        assertTrue(fixes(findings).contains("(KAFKA_OUTSIDE_PORT_2 in .env sets both)"), fixes(findings));
    }

    @Test
    void a_node_advertising_another_nodes_service_name_on_inside_is_named() throws IOException {
        List<ListenerDiagnosis.Finding> findings = findingsAfter(text -> text.replace(
                "INSIDE://kafka-3:${KAFKA_INSIDE_PORT}", "INSIDE://kafka-1:${KAFKA_INSIDE_PORT}"));

        assertTrue(problems(findings).contains("kafka-3: INSIDE is advertised as kafka-1:${kafkaInsidePort}, the service name of another node"),
                problems(findings));
        assertTrue(fixes(findings).contains("set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://kafka-3:${kafkaInsidePort}"), fixes(findings));
    }

    @Test
    void a_node_advertising_its_controller_listener_is_named() throws IOException {
        List<ListenerDiagnosis.Finding> findings = findingsAfter(text -> text.replace(
                "OUTSIDE://${KAFKA_OUTSIDE_HOST}:${KAFKA_OUTSIDE_PORT_2}\n",
                "OUTSIDE://${KAFKA_OUTSIDE_HOST}:${KAFKA_OUTSIDE_PORT_2},CONTROLLER://kafka-2:${KAFKA_CONTROLLER_PORT}\n"));

        assertTrue(problems(findings).contains("kafka-2: KAFKA_ADVERTISED_LISTENERS advertises the CONTROLLER listener"), problems(findings));
    }

    @Test
    void a_quorum_that_leaves_out_a_node_is_named() throws IOException {
        List<ListenerDiagnosis.Finding> findings = findingsAfter(text -> text.replace(
                ",3@kafka-3:${KAFKA_CONTROLLER_PORT}", ""));

        assertTrue(problems(findings).contains("without 3@kafka-3:${kafkaControllerPort}"), problems(findings));
        assertTrue(fixes(findings).contains("set KAFKA_CONTROLLER_QUORUM_VOTERS to 1@kafka-1:${kafkaControllerPort},"
                + "2@kafka-2:${kafkaControllerPort},3@kafka-3:${kafkaControllerPort} on every node"), fixes(findings));
    }

    @Test
    void an_inside_bootstrap_list_that_leaves_out_a_node_is_named() throws IOException {
        Files.copy(PROJECT.resolve(BrokerComposeFile.FILE_NAME), copy.resolve(BrokerComposeFile.FILE_NAME));
        Files.copy(PROJECT.resolve(BrokerComposeFile.APP_FILE_NAME), copy.resolve(BrokerComposeFile.APP_FILE_NAME));
        Files.writeString(copy.resolve(".env"), Files.readString(PROJECT.resolve(".env"))
                .replace(",kafka-3:${KAFKA_INSIDE_PORT}", ""));

        List<ListenerDiagnosis.Finding> findings = BrokerComposeFile.read(copy, Map.of()).findings();

        assertTrue(problems(findings).contains("docker-compose.yml: web and consumer bootstrap from"
                + " kafka-1:${kafkaInsidePort},kafka-2:${kafkaInsidePort} (KAFKA_BOOTSTRAP_SERVERS), which leaves out"
                + " kafka-3:${kafkaInsidePort}"), problems(findings));
        assertTrue(fixes(findings).contains("KAFKA_INSIDE_BOOTSTRAP_SERVERS=kafka-1:${kafkaInsidePort},"
                + "kafka-2:${kafkaInsidePort},kafka-3:${kafkaInsidePort} in .env"), fixes(findings));
    }
#end

    @Test
    void the_apps_bootstrap_list_of_the_generated_project_names_every_node() throws IOException {
        Files.copy(PROJECT.resolve(BrokerComposeFile.FILE_NAME), copy.resolve(BrokerComposeFile.FILE_NAME));
        Files.copy(PROJECT.resolve(BrokerComposeFile.APP_FILE_NAME), copy.resolve(BrokerComposeFile.APP_FILE_NAME));
        Files.copy(PROJECT.resolve(".env"), copy.resolve(".env"));
        assertEquals(List.of(), BrokerComposeFile.read(copy, Map.of()).findings());

        Files.writeString(copy.resolve(".env"), Files.readString(PROJECT.resolve(".env"))
                .replaceFirst("(?m)^KAFKA_INSIDE_BOOTSTRAP_SERVERS=.*$", "KAFKA_INSIDE_BOOTSTRAP_SERVERS=localhost:${kafkaInsidePort}"));
        List<ListenerDiagnosis.Finding> findings = BrokerComposeFile.read(copy, Map.of()).findings();

        assertTrue(problems(findings).contains("names localhost:${kafkaInsidePort}, no node's INSIDE address"), problems(findings));
        assertTrue(fixes(findings).contains("KAFKA_INSIDE_BOOTSTRAP_SERVERS=" + new ListenerDiagnosis(
                ListenerDiagnosis.Layout.GENERATED_NODES, false).insideBootstrap() + " in .env"), fixes(findings));
    }

    private static String problems(List<ListenerDiagnosis.Finding> findings) {
        return findings.stream().map(ListenerDiagnosis.Finding::problem).reduce("", (a, b) -> a + "\n" + b);
    }
}
