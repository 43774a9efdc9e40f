package io.github.clicklog.archetype;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import groovy.lang.GroovyClassLoader;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The validation rules of META-INF/archetype-post-generate.groovy, loaded from the script itself with the
 * Groovy version maven-archetype-plugin runs it with. Many cases in milliseconds here; the invoker ITs prove
 * the same rules stop a real `archetype:generate` (one Maven run per case, so only a few there).
 */
class PropertyValidationTest {
    private static Method problems;

    @BeforeAll
    static void loadRules() throws Exception {
        // not closed: the class must stay loadable for the whole test class
        GroovyClassLoader groovy = new GroovyClassLoader(PropertyValidationTest.class.getClassLoader());
        groovy.parseClass(ArchetypeRenderer.POST_GENERATE.toFile());
        problems = groovy.loadClass("ClicklogProperties").getMethod("problems", java.util.Properties.class);
    }

    private static List<String> problemsWith(String... overrides) throws Exception {
        Map<String, String> given = new HashMap<>(Map.of("groupId", "com.example", "artifactId", "clicks"));
        for (int i = 0; i < overrides.length; i += 2) {
            given.put(overrides[i], overrides[i + 1]);
        }
        // the script builds its messages as GStrings
        List<?> found = (List<?>) problems.invoke(null, ArchetypeProperties.of(given).asProperties());
        return found.stream().map(String::valueOf).toList();
    }

    @Test
    void defaults_are_valid() throws Exception {
        assertEquals(List.of(), problemsWith());
        assertEquals(List.of(), problemsWith("brokerMode", "zookeeper"));
    }

    @Test
    void custom_values_at_the_edges_are_valid() throws Exception {
        assertEquals(List.of(), problemsWith("kafkaOutsidePort", "1", "webPort", "65535", "topic", "a.b_c-D9",
                "kafkaOutsideHost", "kafka-1.example.org", "package", "org.acme.clicks_v2"));
        assertEquals(List.of(), problemsWith("kafkaOutsideHost", "192.168.10.20"));
        assertEquals(List.of(), problemsWith("allowedOrigins", "*"));
        assertEquals(List.of(), problemsWith("allowedOrigins", "https://www.example.com, http://localhost:3000,"
                + "http://10.0.0.7:8080"));
        assertEquals(List.of(), problemsWith("allowedOrigins", "HTTPS://WWW.Example.com"), "the web producer reads it so");
    }

    @Test
    void made_once_values_are_random_or_given_back_from_the_answers_file() throws Exception {
        assertEquals(List.of(), problemsWith("kafkaClusterId", "MkU3OEVBNTcwNTJENDM2Qg", "postgresPassword",
                "yDvZ3Rzfy41-SQajiYy7zLem-hxl_ywa"));
        assertEquals(List.of(), problemsWith("kafkaClusterId", "random", "postgresPassword", "random"));
        List<String> found = problemsWith("kafkaClusterId", "not-an-id", "postgresPassword", "has spaces in it, and 'quotes'");
        assertEquals(2, found.size(), found.toString());
        assertTrue(found.get(0).startsWith("kafkaClusterId='not-an-id': must be random (a new id) or a KRaft cluster id"),
                found.get(0));
        assertTrue(found.get(1).contains("(for example -DpostgresPassword=random)"), found.get(1));
    }

    @Test
    void subdomain_patterns_are_valid_alone_and_beside_listed_origins() throws Exception {
        assertEquals(List.of(), problemsWith("allowedOrigins", "https://*.example.com"));
        assertEquals(List.of(), problemsWith("allowedOrigins", "https://*.example.com, https://example.com,"
                + "http://*.example.test:8080, http://localhost:3000"));
        assertEquals(List.of(), problemsWith("allowedOrigins", "HTTPS://*.Shop.Example.COM:443"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "kafkaOutsidePort|abc|kafkaOutsidePort='abc': a port must be an integer from 1 to 65535",
            "kafkaInsidePort|0|kafkaInsidePort='0': a port must be an integer from 1 to 65535",
            "webPort|65536|webPort='65536': a port must be an integer from 1 to 65535",
            "zookeeperPort|-1|zookeeperPort='-1': a port must be an integer from 1 to 65535",
            "kafkaControllerPort|9094.5|kafkaControllerPort='9094.5': a port must be an integer",
            "kafkaOutsidePort|''|kafkaOutsidePort='': a port must be an integer",
            "webPort|9092|webPort='9092': the same port as kafkaOutsidePort",
            "kafkaInsidePort|9092|kafkaInsidePort='9092': the same port as kafkaOutsidePort",
            "webManagementPort|70000|webManagementPort='70000': a port must be an integer from 1 to 65535 (for example -DwebManagementPort=8002)",
            "webManagementPort|0|webManagementPort='0': a port must be an integer from 1 to 65535",
            "webManagementPort|metrics|webManagementPort='metrics': a port must be an integer from 1 to 65535",
            "webManagementPort|8000|webManagementPort='8000': the same port as webPort; every port must be different (choose another -DwebManagementPort)",
            "webManagementPort|8001|webManagementPort='8001': the same port as consumerPort; every port must be different (choose another -DwebManagementPort)",
            "webManagementPort|9093|webManagementPort='9093': the same port as kafkaInsidePort",
            "brokerMode|kraftt|brokerMode='kraftt': must be kraft or zookeeper",
            "brokerMode|KRAFT|brokerMode='KRAFT': must be kraft or zookeeper",
            "topic|click log|topic='click log': a Kafka topic name uses only letters, digits",
            "topic|clicks/2026|topic='clicks/2026': a Kafka topic name",
            "topic|..|topic='..': a Kafka topic name",
            "topic|__clicks|topic='__clicks': names starting with '__' are reserved",
            "package|com.example.class|package='com.example.class': must be a Java package name",
            "package|com.1example|package='com.1example': must be a Java package name",
            "package|com..example|package='com..example': must be a Java package name",
            "kafkaOutsideHost|my_host|kafkaOutsideHost='my_host': must be a host name",
            "kafkaOutsideHost|-bad.example|kafkaOutsideHost='-bad.example': must be a host name",
            "kafkaOutsideHost|300.1.1.1|kafkaOutsideHost='300.1.1.1': must be a host name",
            "allowedOrigins|www.example.com|allowedOrigins='www.example.com': 'www.example.com' is not an origin",
            "allowedOrigins|https://www.example.com/|allowedOrigins='https://www.example.com/': 'https://www.example.com/' is not an origin",
            "allowedOrigins|ftp://example.com|allowedOrigins='ftp://example.com': 'ftp://example.com' is not an origin",
            "allowedOrigins|http://localhost:99999|allowedOrigins='http://localhost:99999': 'http://localhost:99999' is not",
            "allowedOrigins|'*,https://a.example'|allowedOrigins='*,https://a.example': * already allows every origin",
            "allowedOrigins|' '|allowedOrigins=' ': list the origins of the pages that send clicks",
            "allowedOrigins|https://*example.com|allowedOrigins='https://*example.com': 'https://*example.com' is not a subdomain pattern: * may only be the whole leftmost label, once, followed by a dot",
            "allowedOrigins|https://a.*.example.com|allowedOrigins='https://a.*.example.com': 'https://a.*.example.com' is not a subdomain pattern: * may only be the whole leftmost label",
            "allowedOrigins|https://*.*.example.com|allowedOrigins='https://*.*.example.com': 'https://*.*.example.com' is not a subdomain pattern: * may only be the whole leftmost label",
            "allowedOrigins|https://sh*p.example.com|allowedOrigins='https://sh*p.example.com': 'https://sh*p.example.com' is not a subdomain pattern: * may only be the whole leftmost label",
            "allowedOrigins|https://*.com|allowedOrigins='https://*.com': 'https://*.com' is not a subdomain pattern: after *. comes a domain of at least two labels: *.com would allow every site under .com",
            "allowedOrigins|http://*.0.0.1|allowedOrigins='http://*.0.0.1': 'http://*.0.0.1' is not a subdomain pattern: after *. comes a domain name, not an IP address",
            "allowedOrigins|https://*.example.com/|allowedOrigins='https://*.example.com/': 'https://*.example.com/' is not a subdomain pattern: scheme://*.domain[:port] with http or https and no path",
            "allowedOrigins|https://*.example.com:99999|allowedOrigins='https://*.example.com:99999': 'https://*.example.com:99999' is not a subdomain pattern: scheme://*.domain[:port]",
            "allowedOrigins|*.example.com|allowedOrigins='*.example.com': '*.example.com' is not a subdomain pattern: scheme://*.domain[:port]",
            "allowedOrigins|'https://www.example.com,https://*.com'|allowedOrigins='https://www.example.com,https://*.com': 'https://*.com' is not a subdomain pattern",
            "allowedOrigins|'*,https://*.example.com'|allowedOrigins='*,https://*.example.com': * already allows every origin",
            "sink|mysql|sink='mysql': must be jsonl (the consumer appends clicks to JSON Lines files) or postgres",
            "sink|Postgres|sink='Postgres': must be jsonl",
            "sink|''|sink='': must be jsonl",
            "postgresPort|5432|postgresPort='5432': postgresPort is only used with -Dsink=postgres",
            "postgresPort|abc|postgresPort='abc': must be none (PostgreSQL on the compose network only) or a port from 1 to 65535",
    })
    void a_bad_value_is_named_with_its_rule(String property, String value, String message) throws Exception {
        List<String> found = problemsWith(property, value);
        assertEquals(1, found.size(), () -> "expected one problem, got " + found);
        assertTrue(found.get(0).startsWith(message), () -> "expected '" + message + "...', got " + found);
        assertTrue(found.get(0).contains("-D") || found.get(0).contains("reserved") || found.get(0).contains("245"),
                () -> "the message should say how to fix it: " + found.get(0));
    }

    @Test
    void a_cluster_and_the_partition_edges_are_valid() throws Exception {
        assertEquals(List.of(), problemsWith("kafkaNodes", "3"));
        assertEquals(List.of(), problemsWith("kafkaNodes", "1", "brokerMode", "zookeeper"));
        assertEquals(List.of(), problemsWith("partitions", "1"));
        assertEquals(List.of(), problemsWith("partitions", "1000", "kafkaNodes", "3"));
        // node 3's ports are the highest: 65335 + 200 = 65535
        assertEquals(List.of(), problemsWith("kafkaNodes", "3", "kafkaOutsidePort", "65335", "kafkaInsidePort", "65334",
                "kafkaControllerPort", "65333"));
    }

    @Test
    void a_postgres_sink_with_or_without_a_published_port_is_valid() throws Exception {
        assertEquals(List.of(), problemsWith("sink", "jsonl", "postgresPort", "none"));
        assertEquals(List.of(), problemsWith("sink", "postgres"));
        assertEquals(List.of(), problemsWith("sink", "postgres", "postgresPort", "5432"));
        assertEquals(List.of(), problemsWith("sink", "postgres", "postgresPort", "1"));
        assertEquals(List.of(), problemsWith("sink", "postgres", "postgresPort", "65535", "kafkaNodes", "3"));
        assertEquals(List.of(), problemsWith("sink", "postgres", "postgresPort", "5432", "brokerMode", "zookeeper"));
    }

    /** postgresPort is one more port on the host: each collision is one problem naming both sides. */
    @Test
    void a_postgres_port_collision_is_reported_once() throws Exception {
        List<String> found = problemsWith("sink", "postgres", "postgresPort", "8001");
        assertEquals(List.of("postgresPort='8001': the same port as consumerPort; every port must be different"
                + " (choose another -DpostgresPort)"), found);
    }

    /**
     * A port given on the command line that takes webManagementPort's default (as one of a project generated before
     * that property existed may, on an upgrade): the message says the other side is a default, and to move it.
     */
    @Test
    void a_collision_with_the_management_ports_default_says_so_and_moves_it() throws Exception {
        assertEquals(List.of("webManagementPort='8002' (its default): the same port as webPort; every port must be"
                + " different (choose another -DwebManagementPort)"), problemsWith("webPort", "8002"));
        assertEquals(List.of("webManagementPort='8002' (its default): the same port as consumerPort; every port must be"
                + " different (choose another -DwebManagementPort)"), problemsWith("consumerPort", "8002"));
        assertEquals(List.of(), problemsWith("consumerPort", "8002", "webManagementPort", "8003"));
    }

    @Test
    void the_management_port_may_be_any_free_port() throws Exception {
        assertEquals(List.of(), problemsWith("webManagementPort", "1"));
        assertEquals(List.of(), problemsWith("webManagementPort", "65535", "kafkaNodes", "3"));
        assertEquals(List.of(), problemsWith("webManagementPort", "18082", "webPort", "18080", "consumerPort", "18081",
                "sink", "postgres", "postgresPort", "18083"));
    }

    /** The node port step of the tests is the script's: node n uses each Kafka port + 100 * (n - 1). */
    @Test
    void the_node_port_step_is_the_scripts() throws Exception {
        java.lang.reflect.Field step = problems.getDeclaringClass().getDeclaredField("NODE_PORT_STEP");
        step.setAccessible(true);
        assertEquals(ArchetypeProperties.NODE_PORT_STEP, step.get(null));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "kafkaNodes=2|kafkaNodes='2': must be 1 (one broker) or 3",
            "kafkaNodes=three|kafkaNodes='three': must be 1 (one broker) or 3",
            "kafkaNodes=0|kafkaNodes='0': must be 1 (one broker) or 3",
            "brokerMode=zookeeper,kafkaNodes=3|brokerMode='zookeeper' with kafkaNodes='3': the cluster option is KRaft only",
            "kafkaNodes=3,webPort=9192|webPort='9192': the same port as node 2's kafkaOutsidePort (kafkaOutsidePort + 100 = 9192)",
            "kafkaNodes=3,consumerPort=9293|consumerPort='9293': the same port as node 3's kafkaInsidePort (kafkaInsidePort + 200 = 9293)",
            "kafkaNodes=3,kafkaOutsidePort=65500|kafkaOutsidePort='65500': with kafkaNodes=3 node 2's kafkaOutsidePort (kafkaOutsidePort + 100 = 65600) is above 65535",
            "kafkaNodes=3,kafkaInsidePort=9192|kafkaInsidePort='9192': the same port as node 2's kafkaOutsidePort",
            "kafkaNodes=3,webManagementPort=9192|webManagementPort='9192': the same port as node 2's kafkaOutsidePort (kafkaOutsidePort + 100 = 9192)",
            "kafkaNodes=3,webManagementPort=9294|webManagementPort='9294': the same port as node 3's kafkaControllerPort (kafkaControllerPort + 200 = 9294)",
            "partitions=0|partitions='0': the click topic's partition count must be an integer from 1 to 1000",
            "partitions=1001|partitions='1001': the click topic's partition count must be an integer from 1 to 1000",
            "partitions=x|partitions='x': the click topic's partition count must be an integer from 1 to 1000",
            "partitions=-3|partitions='-3': the click topic's partition count must be an integer from 1 to 1000",
            "sink=postgres,postgresPort=0|postgresPort='0': must be none (PostgreSQL on the compose network only) or a port from 1 to 65535",
            "sink=postgres,postgresPort=65536|postgresPort='65536': must be none",
            "sink=postgres,postgresPort=NONE|postgresPort='NONE': must be none",
            "sink=postgres,postgresPort=8000|postgresPort='8000': the same port as webPort",
            "sink=postgres,postgresPort=9092|postgresPort='9092': the same port as kafkaOutsidePort",
            "sink=postgres,webPort=15432,postgresPort=15432|postgresPort='15432': the same port as webPort",
            "sink=postgres,postgresPort=8002|postgresPort='8002': the same port as webManagementPort",
            "sink=postgres,webManagementPort=15432,postgresPort=15432|postgresPort='15432': the same port as webManagementPort",
            "sink=postgres,kafkaNodes=3,postgresPort=9292|postgresPort='9292': the same port as node 3's kafkaOutsidePort (kafkaOutsidePort + 200 = 9292)",
            "sink=postgres,kafkaNodes=3,postgresPort=9193|postgresPort='9193': the same port as node 2's kafkaInsidePort",
            "sink=jsonl,postgresPort=25432|postgresPort='25432': postgresPort is only used with -Dsink=postgres",
            "sink=mysql,postgresPort=25432|sink='mysql': must be jsonl",
    })
    void a_bad_cluster_or_partition_value_is_named_with_its_rule_and_fix(String overrides, String message) throws Exception {
        List<String> given = new java.util.ArrayList<>();
        for (String pair : overrides.split(",")) {
            given.addAll(List.of(pair.split("=", 2)));
        }
        List<String> found = problemsWith(given.toArray(String[]::new));
        assertTrue(found.stream().anyMatch(problem -> problem.startsWith(message)),
                () -> "expected '" + message + "...', got " + found);
        for (String problem : found) {
            assertTrue(problem.contains("-D"), () -> "the message should say how to fix it: " + problem);
        }
    }

    @Test
    void a_topic_leaves_room_for_its_dead_letter_topic() throws Exception {
        assertEquals(List.of(), problemsWith("topic", "t".repeat(245)));
        List<String> found = problemsWith("topic", "t".repeat(246));
        assertTrue(found.get(0).contains("at most 245 characters"), found::toString);
    }

    @Test
    void every_problem_is_reported_at_once() throws Exception {
        List<String> found = problemsWith("kafkaOutsidePort", "x", "topic", "a b", "brokerMode", "none");
        assertEquals(3, found.size(), found::toString);
    }

    @Test
    void a_failed_generation_leaves_no_directory_and_says_why(@TempDir Path out) throws IOException {
        ArchetypeProperties bad = ArchetypeProperties.of(Map.of("groupId", "com.example", "artifactId", "clicks",
                "kafkaOutsidePort", "abc"));
        Exception error = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> ArchetypeRenderer.generate(bad, out));
        assertTrue(error.getMessage().contains("kafkaOutsidePort='abc'"), error.getMessage());
        assertTrue(error.getMessage().contains("nothing was generated"), error.getMessage());
        assertFalse(Files.exists(out.resolve("clicks")), "the half-generated directory must be removed");
    }
}
