package ${package}.doctor;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Extra settings for every Kafka client of the project (the web producer and its readiness check, the consumer
 * and its dead-letter producer, the listener doctor): what a secured or managed cluster needs, such as
 * {@code security.protocol}, {@code sasl.*} and {@code ssl.*}.
 *
 * <p>They come from the Java properties file named by {@value #ENV_VARIABLE}, the same format Kafka's own tools
 * take with {@code --command-config}, so one file serves the apps and the CLI. A file rather than variables,
 * because a file can be a compose secret: its password never shows in {@code docker inspect} or the environment
 * of the process. Unset, the clients connect in plain text, as before.
 *
 * <p>A file that cannot be read, or that sets what the apps own ({@link #APP_OWNED}), stops start-up with a
 * message naming the file, the key and the fix. Secret values ({@link #isSecret(String)}) never leave this class:
 * {@link #describe()} hides them, and {@link #hideSecrets(String)} removes them from any text before it is logged.
 */
public final class KafkaClientProperties {

    public static final String ENV_VARIABLE = "KAFKA_CLIENT_PROPERTIES";

    /** Settings the apps make themselves, each with why (or where to set it instead). */
    static final Map<String, String> APP_OWNED = Map.ofEntries(
            Map.entry(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                    "the apps take the address from " + BootstrapServers.ENV_VARIABLE + ": set it there"),
            Map.entry(CommonClientConfigs.CLIENT_ID_CONFIG,
                    "each client names itself (web-producer, web-readiness, ...) in the broker's logs and metrics"),
            Map.entry(CommonClientConfigs.GROUP_ID_CONFIG,
                    "the consumer group comes from CLICK_CONSUMER_GROUP: set it there"),
            Map.entry(CommonClientConfigs.GROUP_INSTANCE_ID_CONFIG,
                    "each consumer needs its own, from CLICK_CONSUMER_INSTANCE_ID: set it there"),
            Map.entry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                    "the consumer commits an offset only once the sink has stored the click"),
            Map.entry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                    "the consumer starts each partition where its sink files end"),
            Map.entry(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, "the consumer reads keys and clicks as bytes"),
            Map.entry(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, "the consumer reads keys and clicks as bytes"),
            Map.entry(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "the producers write keys and clicks as bytes"),
            Map.entry(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "the producers write keys and clicks as bytes"),
            Map.entry(ProducerConfig.ACKS_CONFIG,
                    "a click counts as written only once every in-sync replica has it (acks=all)"),
            Map.entry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                    "a producer's retry must never write a click twice (enable.idempotence=true)"),
            Map.entry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "the apps do not use transactions"));

    /** {@code name="value"} inside a JAAS configuration, for hiding the secret ones. */
    private static final Pattern JAAS_OPTION = Pattern.compile("([A-Za-z0-9_.]+)\\s*=\\s*\"([^\"]*)\"");
    private static final String HIDDEN = "(hidden)";

    private final Path file;
    private final Map<String, String> settings;
    /** The last credentials problem reported by {@link #reportRefused}, so that each is logged once. */
    private final AtomicReference<String> loggedProblem = new AtomicReference<>();

    private KafkaClientProperties(Path file, Map<String, String> settings) {
        this.file = file;
        this.settings = Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    /** No extra settings: a plain-text connection. */
    public static KafkaClientProperties none() {
        return new KafkaClientProperties(null, Map.of());
    }

    public static KafkaClientProperties fromEnvironment() {
        return resolve(System.getenv());
    }

    /** {@value #ENV_VARIABLE} names the file; unset or blank means {@link #none()}. */
    public static KafkaClientProperties resolve(Map<String, String> environment) {
        String path = environment.get(ENV_VARIABLE);
        if (path == null || path.isBlank()) {
            return none();
        }
        return load(Path.of(path.trim()));
    }

    /**
     * Reads and checks the file.
     *
     * @throws IllegalArgumentException if it cannot be read or sets what the apps own; the message says how to fix it
     */
    public static KafkaClientProperties load(Path file) {
        String where = ENV_VARIABLE + "=" + file;
        Properties properties = new Properties();
        // An InputStream, as Kafka's tools read --command-config: the same file means the same settings.
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(where + ": no such file (seen from " + Path.of("").toAbsolutePath()
                    + "). Fix the path, mount the file (a compose secret: /run/secrets/...), or unset " + ENV_VARIABLE
                    + " to connect without security settings", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " cannot be read as a Java properties file (" + e.getMessage()
                    + "). It needs key=value lines, as Kafka's tools take with --command-config", e);
        }
        Map<String, String> settings = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (String key : properties.stringPropertyNames()) {
            String trimmed = key.trim();
            if (APP_OWNED.containsKey(trimmed)) {
                problems.add(trimmed + " (" + APP_OWNED.get(trimmed) + ")");
            }
            settings.put(trimmed, properties.getProperty(key).trim());
        }
        if (!problems.isEmpty()) {
            Collections.sort(problems);
            throw new IllegalArgumentException(where + " sets what the apps set themselves: "
                    + String.join("; ", problems) + ". Remove " + (problems.size() == 1 ? "that line" : "those lines")
                    + " from " + file + "; the file is for how to connect: security.protocol, sasl.*, ssl.*,"
                    + " client.dns.lookup and the like");
        }
        return new KafkaClientProperties(file, settings);
    }

    public boolean isEmpty() {
        return settings.isEmpty();
    }

    /** Where the settings came from, for messages: {@code KAFKA_CLIENT_PROPERTIES=<path>}; empty if none. */
    public Optional<String> source() {
        return file == null ? Optional.empty() : Optional.of(ENV_VARIABLE + "=" + file);
    }

    /** The security protocol the file sets; PLAINTEXT (Kafka's default) if it sets none. */
    public String securityProtocol() {
        return settings.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT")
                .toUpperCase(Locale.ROOT);
    }

    /**
     * Whether a client must do more than send plain Kafka requests (TLS, SASL): then a hand-written request, as
     * the doctor's metadata check, cannot speak to the listener.
     */
    public boolean secured() {
        return !securityProtocol().equals("PLAINTEXT");
    }

    /** The settings for a producer: those {@link ProducerConfig} knows, and those no Kafka client knows. */
    public Map<String, Object> forProducer() {
        return known(ProducerConfig.configNames());
    }

    public Map<String, Object> forConsumer() {
        return known(ConsumerConfig.configNames());
    }

    public Map<String, Object> forAdmin() {
        return known(AdminClientConfig.configNames());
    }

    /**
     * A setting meant for one kind of client only (max.poll.records) would make the others warn that they do not
     * know it; one no client knows may be read by a plug-in (a login callback handler), so every client gets it.
     */
    private Map<String, Object> known(Set<String> names) {
        Map<String, Object> selected = new LinkedHashMap<>();
        settings.forEach((key, value) -> {
            boolean anyClientKnows = ProducerConfig.configNames().contains(key)
                    || ConsumerConfig.configNames().contains(key) || AdminClientConfig.configNames().contains(key);
            if (names.contains(key) || !anyClientKnows) {
                selected.put(key, value);
            }
        });
        return selected;
    }

    /** The start-up line: the file and its settings, secrets hidden. */
    public String describe() {
        if (file == null) {
            return "Kafka client properties: none (" + ENV_VARIABLE + " is not set: plain-text connection)";
        }
        return "Kafka client properties from " + ENV_VARIABLE + "=" + file + ": " + (settings.isEmpty() ? "(empty)"
                : settings.entrySet().stream()
                .map(setting -> setting.getKey() + "=" + (isSecret(setting.getKey()) ? HIDDEN : setting.getValue()))
                .collect(Collectors.joining(", ")));
    }

    /**
     * Whether the value of this setting is a secret: the JAAS configuration (it holds the password), anything
     * named like a password, secret or token, and the TLS private key.
     */
    public static boolean isSecret(String key) {
        String name = key.toLowerCase(Locale.ROOT);
        return name.equals(SaslConfigs.SASL_JAAS_CONFIG) || name.contains("password") || name.contains("secret")
                || name.contains("token") || name.startsWith("ssl.key") || name.contains("credential");
    }

    /** {@code text} with every secret of the file replaced, for a Kafka message that might quote one. */
    public String hideSecrets(String text) {
        if (text == null) {
            return null;
        }
        String hidden = text;
        for (String secret : secrets()) {
            hidden = hidden.replace(secret, HIDDEN);
        }
        return hidden;
    }

    /** The secret values, longest first, so that a value containing another is replaced whole. */
    private List<String> secrets() {
        List<String> secrets = new ArrayList<>();
        settings.forEach((key, value) -> {
            if (isSecret(key) && !value.isEmpty()) {
                secrets.add(value);
                Matcher option = JAAS_OPTION.matcher(value);
                while (option.find()) {
                    if (isSecret(option.group(1)) && !option.group(2).isEmpty()) {
                        secrets.add(option.group(2));
                    }
                }
            }
        });
        secrets.sort((a, b) -> Integer.compare(b.length(), a.length()));
        return secrets;
    }

    /** The authentication failure in {@code error} or its causes: Kafka refused the credentials or the TLS peer. */
    public static Optional<AuthenticationException> authenticationFailure(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof AuthenticationException refused) {
                return Optional.of(refused);
            }
        }
        return Optional.empty();
    }

    /**
     * One line for the user: what Kafka refused, where the settings came from, and what to check. No secret: the
     * broker's message is passed through {@link #hideSecrets(String)}.
     */
    public String refusedProblem(AuthenticationException refused) {
        String said = hideSecrets(refused.getMessage());
        if (file == null) {
            return "Kafka refused this client, which has no security settings (" + said + "): put them in a file and"
                    + " set " + ENV_VARIABLE + " to its path (README: Secured or managed Kafka)";
        }
        String from = source().orElseThrow();
        if (refused instanceof SslAuthenticationException) {
            return "the TLS handshake with Kafka failed with the settings from " + from + " (" + said + "): check"
                    + " ssl.truststore.location/ssl.truststore.type (the broker's CA) and that the bootstrap host"
                    + " name matches the broker's certificate";
        }
        String mechanism = settings.getOrDefault(SaslConfigs.SASL_MECHANISM, SaslConfigs.DEFAULT_SASL_MECHANISM);
        if (refused instanceof SaslAuthenticationException) {
            return "Kafka refused the credentials from " + from + " (SASL " + mechanism + ": " + said + "): check"
                    + " the user name and password in sasl.jaas.config and sasl.mechanism in that file, and that the"
                    + " user exists on the cluster (kafka-configs.sh --describe --entity-type users)";
        }
        return "Kafka did not authenticate this client with the settings from " + from + " (" + said + "): check"
                + " security.protocol, sasl.* and ssl.* in that file";
    }

    /**
     * Hands the problem to {@code log} once for all the clients of an app that share these properties: a client
     * that keeps being refused reports it again only when the problem changes (or after {@link #reportAccepted}),
     * so the log shows one clear line instead of one per retry.
     *
     * @return the problem line, for a status endpoint
     */
    public String reportRefused(AuthenticationException refused, Consumer<String> log) {
        String problem = refusedProblem(refused);
        if (!problem.equals(loggedProblem.getAndSet(problem))) {
            log.accept(problem + ". Trying again until it does (this line comes again only if the problem changes)");
        }
        return problem;
    }

    /** After {@link #reportRefused}: tells {@code log} once that Kafka takes the credentials again. */
    public void reportAccepted(Consumer<String> log) {
        if (loggedProblem.getAndSet(null) != null) {
            log.accept("Kafka accepted the credentials from " + source().orElse("the client") + " again");
        }
    }
}
