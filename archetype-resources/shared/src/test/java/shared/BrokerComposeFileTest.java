package ${package}.shared;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void compose_interpolation_uses_defaults_only_where_the_variable_is_missing_or_empty() {
        Map<String, String> variables = Map.of("SET", "value", "EMPTY", "");

        assertEquals("value", BrokerComposeFile.substitute(reference("SET:-fallback"), variables));
        assertEquals("fallback", BrokerComposeFile.substitute(reference("EMPTY:-fallback"), variables));
        assertEquals("", BrokerComposeFile.substitute(reference("EMPTY-fallback"), variables));
        assertEquals("fallback", BrokerComposeFile.substitute(reference("MISSING-fallback"), variables));
        assertEquals("a $SET b", BrokerComposeFile.substitute("a $" + "$SET b", variables));
    }

    /** A compose reference in dollar-braces, built here because this file is itself a template. */
    private static String reference(String inner) {
        return "$" + "{" + inner + "}";
    }
}
