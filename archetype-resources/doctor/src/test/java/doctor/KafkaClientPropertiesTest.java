package ${package}.doctor;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaClientPropertiesTest {

    private static final String PASSWORD = "Pa55-w0rd-that-must-not-leak";
    private static final String SASL_SSL = String.join("\n",
            "security.protocol=SASL_SSL",
            "sasl.mechanism=SCRAM-SHA-512",
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\",
            "    username=\"clicks-app\" password=\"" + PASSWORD + "\";",
            "ssl.truststore.location=/run/secrets/kafka-ca.p12",
            "ssl.truststore.password=" + PASSWORD + "-store",
            "max.poll.records=500",
            "");

    @TempDir
    Path dir;

    @Test
    void unset_means_a_plain_connection() {
        KafkaClientProperties none = KafkaClientProperties.resolve(Map.of());
        assertTrue(none.isEmpty());
        assertFalse(none.secured());
        assertTrue(none.describe().contains("KAFKA_CLIENT_PROPERTIES is not set"), none.describe());
        assertTrue(KafkaClientProperties.resolve(Map.of("KAFKA_CLIENT_PROPERTIES", " ")).isEmpty());
    }

    @Test
    void describe_names_the_file_and_hides_every_secret() throws IOException {
        KafkaClientProperties properties = load(SASL_SSL);
        String line = properties.describe();
        assertTrue(line.contains("KAFKA_CLIENT_PROPERTIES=" + dir.resolve("client.properties")), line);
        assertTrue(line.contains("security.protocol=SASL_SSL"), line);
        assertTrue(line.contains("sasl.mechanism=SCRAM-SHA-512"), line);
        assertTrue(line.contains("sasl.jaas.config=(hidden)"), line);
        assertTrue(line.contains("ssl.truststore.password=(hidden)"), line);
        assertFalse(line.contains(PASSWORD), line);
        assertFalse(line.contains("clicks-app"), "the JAAS configuration is hidden whole: " + line);
        assertTrue(properties.secured());
    }

    @Test
    void each_kind_of_client_gets_the_settings_it_knows() throws IOException {
        KafkaClientProperties properties = load(SASL_SSL + "sasl.login.custom.option=x\n");
        assertEquals("SASL_SSL", properties.forProducer().get("security.protocol"));
        assertTrue(properties.forProducer().get("sasl.jaas.config").toString().contains(PASSWORD));
        assertTrue(properties.forConsumer().containsKey("max.poll.records"));
        assertFalse(properties.forProducer().containsKey("max.poll.records"), "a consumer-only setting");
        assertFalse(properties.forAdmin().containsKey("max.poll.records"), "a consumer-only setting");
        assertTrue(properties.forAdmin().containsKey("sasl.login.custom.option"), "unknown to all: for plug-ins");
    }

    @Test
    void settings_the_apps_own_stop_start_up_naming_file_key_and_fix() throws IOException {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> load("security.protocol=SASL_SSL\nbootstrap.servers=broker:9096\nacks=1\n"));
        String message = error.getMessage();
        assertTrue(message.contains("KAFKA_CLIENT_PROPERTIES=" + dir.resolve("client.properties")), message);
        assertTrue(message.contains("bootstrap.servers") && message.contains("KAFKA_BOOTSTRAP_SERVERS"), message);
        assertTrue(message.contains("acks") && message.contains("every in-sync replica"), message);
        assertTrue(message.contains("Remove those lines"), message);
        assertFalse(message.contains("broker:9096"), "values are not repeated (one could be a secret): " + message);
    }

    @Test
    void a_missing_file_stops_start_up_with_the_path_and_the_fix() {
        Path missing = dir.resolve("nope.properties");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> KafkaClientProperties.resolve(Map.of("KAFKA_CLIENT_PROPERTIES", missing.toString())));
        assertTrue(error.getMessage().startsWith("KAFKA_CLIENT_PROPERTIES=" + missing + ": no such file"),
                error.getMessage());
        assertTrue(error.getMessage().contains("or unset KAFKA_CLIENT_PROPERTIES"), error.getMessage());
    }

    @Test
    void a_refusal_is_one_line_naming_the_file_and_what_to_check_without_the_password() throws IOException {
        KafkaClientProperties properties = load(SASL_SSL);
        // as a client would meet it: wrapped, and (in the worst case) quoting the secret
        Exception error = new ExecutionException(new SaslAuthenticationException(
                "Authentication failed: invalid credentials for password=" + PASSWORD));
        String problem = properties.refusedProblem(KafkaClientProperties.authenticationFailure(error).orElseThrow());
        assertTrue(problem.startsWith("Kafka refused the credentials from KAFKA_CLIENT_PROPERTIES="
                + dir.resolve("client.properties") + " (SASL SCRAM-SHA-512: "), problem);
        assertTrue(problem.contains("check the user name and password in sasl.jaas.config"), problem);
        assertFalse(problem.contains(PASSWORD), problem);
        assertFalse(problem.contains("\n"), problem);

        String tls = properties.refusedProblem(new SslAuthenticationException("PKIX path building failed"));
        assertTrue(tls.contains("TLS handshake") && tls.contains("ssl.truststore.location"), tls);
        assertTrue(KafkaClientProperties.authenticationFailure(new IllegalStateException("other")).isEmpty());
    }

    @Test
    void a_refusal_is_reported_once_until_it_changes_or_kafka_accepts_again() throws IOException {
        KafkaClientProperties properties = load(SASL_SSL);
        List<String> log = new ArrayList<>();
        SaslAuthenticationException refused = new SaslAuthenticationException("invalid credentials");
        for (int attempt = 0; attempt < 5; attempt++) {
            properties.reportRefused(refused, log::add);
        }
        assertEquals(1, log.size(), String.valueOf(log));
        properties.reportRefused(new SaslAuthenticationException("unknown user"), log::add);
        assertEquals(2, log.size(), "another reason is a new line: " + log);
        properties.reportAccepted(log::add);
        properties.reportAccepted(log::add);
        assertEquals(3, log.size(), String.valueOf(log));
        assertTrue(log.get(2).startsWith("Kafka accepted the credentials from KAFKA_CLIENT_PROPERTIES="), log.get(2));
        properties.reportRefused(refused, log::add);
        assertEquals(4, log.size(), "refused again after a recovery: " + log);
    }

    /** Kafka's own configuration dump (INFO, off by default) prints values with toString(): secrets show as [hidden]. */
    @Test
    void kafkas_own_configuration_dump_hides_the_password_typed_settings() throws IOException {
        Map<String, Object> settings = new HashMap<>(load(SASL_SSL).forProducer());
        settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker.example:9096");
        settings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        settings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        Map<String, ?> values = new ProducerConfig(settings).values();
        assertEquals("[hidden]", String.valueOf(values.get("sasl.jaas.config")));
        assertEquals("[hidden]", String.valueOf(values.get("ssl.truststore.password")));
        Map<String, Object> admin = new HashMap<>(load(SASL_SSL).forAdmin());
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "broker.example:9096");
        assertFalse(String.valueOf(new AdminClientConfig(admin).values()).contains(PASSWORD));
    }

    private KafkaClientProperties load(String text) throws IOException {
        return KafkaClientProperties.load(Files.writeString(dir.resolve("client.properties"), text));
    }
}
