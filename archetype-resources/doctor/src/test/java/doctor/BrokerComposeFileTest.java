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
        assertEquals("INSIDE://kafka:${kafkaInsidePort},OUTSIDE://${kafkaOutsideHost}:${kafkaOutsidePort}",
                file.environment().get("KAFKA_ADVERTISED_LISTENERS"));
    }

    @Test
    void inside_advertised_as_localhost() throws IOException {
        String fixes = fixes(findingsAfter(text -> text.replace("INSIDE://kafka:", "INSIDE://localhost:")));

        assertTrue(fixes.contains("set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://kafka:${kafkaInsidePort}"), fixes);
    }

    @Test
    void outside_advertised_as_the_service_name() throws IOException {
        String fixes = fixes(findingsAfter(text -> text.replace("OUTSIDE://${KAFKA_OUTSIDE_HOST}:", "OUTSIDE://kafka:")));

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
                text.replace(":${KAFKA_OUTSIDE_PORT}:${KAFKA_OUTSIDE_PORT}\"", ":" + other + ":${KAFKA_OUTSIDE_PORT}\"")));

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
                .replaceFirst("(?m)^KAFKA_OUTSIDE_PORT=.*$", "KAFKA_OUTSIDE_PORT=" + other + "  # host port"));

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
}
