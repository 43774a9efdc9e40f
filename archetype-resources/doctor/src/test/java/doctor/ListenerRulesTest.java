package ${package}.doctor;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The listener rules filled in for compose, for the embedded broker, and without a controller. */
class ListenerRulesTest {

    private static final ListenerDiagnosis.Layout LAYOUT = new ListenerDiagnosis.Layout("kafka", "clicks.example", 19092, 19093);

    @Test
    void in_kraft_mode_compose_binds_every_interface_and_advertises_the_service_name_and_the_outside_host() {
        Map<String, String> environment = ListenerRules.kraft(LAYOUT, 19094).composeEnvironment();

        assertEquals(Map.of(
                "KAFKA_LISTENERS", "INSIDE://0.0.0.0:19093,OUTSIDE://0.0.0.0:19092,CONTROLLER://0.0.0.0:19094",
                "KAFKA_ADVERTISED_LISTENERS", "INSIDE://kafka:19093,OUTSIDE://clicks.example:19092",
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "INSIDE:PLAINTEXT,OUTSIDE:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "KAFKA_INTER_BROKER_LISTENER_NAME", "INSIDE",
                "KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"), environment);
    }

    @Test
    void in_zookeeper_mode_there_is_no_controller_listener() {
        Map<String, String> environment = ListenerRules.zookeeper(LAYOUT).composeEnvironment();

        assertEquals("INSIDE://0.0.0.0:19093,OUTSIDE://0.0.0.0:19092", environment.get("KAFKA_LISTENERS"));
        assertEquals("INSIDE:PLAINTEXT,OUTSIDE:PLAINTEXT", environment.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"));
        assertFalse(environment.containsKey("KAFKA_CONTROLLER_LISTENER_NAMES"));
    }

    @Test
    void a_broker_on_the_host_gets_the_same_rules_with_its_own_interfaces_and_names() {
        Map<String, String> settings = ListenerRules.kraft(LAYOUT, 19094).brokerSettings("127.0.0.1", "localhost", "localhost");

        assertEquals("INSIDE://127.0.0.1:19093,OUTSIDE://127.0.0.1:19092,CONTROLLER://localhost:19094", settings.get("listeners"));
        assertEquals("INSIDE://localhost:19093,OUTSIDE://clicks.example:19092", settings.get("advertised.listeners"));
        assertEquals("CONTROLLER", settings.get("controller.listener.names"));
    }

    @Test
    void only_the_outside_port_is_published_with_one_number_on_both_sides() {
        assertEquals("127.0.0.1:19092:19092", ListenerRules.zookeeper(LAYOUT).publishedPort(ListenerRules.LOOPBACK));
    }
}
