package ${package}.doctor;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The doctor's sentences for the classic listener mistakes, from made-up observations. */
class ListenerDiagnosisTest {

    private static final ListenerDiagnosis.Layout LAYOUT = ListenerDiagnosis.Layout.GENERATED;
    private static final BrokerAddress INSIDE = LAYOUT.inside();
    private static final BrokerAddress OUTSIDE = LAYOUT.outside();
    private static final BrokerAddress LOCAL_OUTSIDE = new BrokerAddress("localhost", LAYOUT.outsidePort());
    private static final BrokerAddress LOCAL_INSIDE = new BrokerAddress("localhost", LAYOUT.insidePort());

    private final ListenerDiagnosis onHost = new ListenerDiagnosis(LAYOUT, false);
    private final ListenerDiagnosis inContainer = new ListenerDiagnosis(LAYOUT, true);

    private static Reachability seen(BrokerAddress address, Reachability.Outcome outcome) {
        return new Reachability(address, outcome, outcome == Reachability.Outcome.UNRESOLVED ? null : "10.1.2.3",
                outcome.name().toLowerCase());
    }

    private static ListenerDiagnosis.Finding only(List<ListenerDiagnosis.Finding> findings) {
        assertEquals(1, findings.size(), findings.toString());
        return findings.get(0);
    }

    @Test
    void on_the_host_the_inside_address_does_not_resolve_and_the_fix_is_the_outside_listener() {
        ListenerDiagnosis.Finding finding = onHost.advertisedFinding(LOCAL_INSIDE, seen(INSIDE, Reachability.Outcome.UNRESOLVED));

        assertTrue(finding.problem().contains("advertises " + INSIDE), finding.problem());
        assertTrue(finding.problem().contains("you are on the host"), finding.problem());
        assertTrue(finding.fix().contains("use the OUTSIDE listener, " + OUTSIDE), finding.fix());
    }

    @Test
    void bootstrap_localhost_refused_in_a_container_points_to_the_inside_listener() {
        ListenerDiagnosis.Finding finding = only(inContainer.bootstrapUnreachable(
                List.of(seen(LOCAL_OUTSIDE, Reachability.Outcome.REFUSED))));

        assertTrue(finding.problem().contains("localhost is the container itself"), finding.problem());
        assertTrue(finding.fix().contains("KAFKA_BOOTSTRAP_SERVERS=" + INSIDE), finding.fix());
    }

    @Test
    void inside_advertised_as_localhost_seen_from_a_container_names_the_advertised_listener_fix() {
        ListenerDiagnosis.Finding finding = inContainer.advertisedFinding(INSIDE, seen(LOCAL_INSIDE, Reachability.Outcome.REFUSED));

        assertTrue(finding.problem().contains("advertises " + LOCAL_INSIDE + " to containers"), finding.problem());
        assertTrue(finding.fix().contains("set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + INSIDE), finding.fix());
    }

    @Test
    void the_outside_listener_reached_from_a_container_sends_it_back_to_the_inside_listener() {
        BrokerAddress kafkaOutside = new BrokerAddress(LAYOUT.service(), LAYOUT.outsidePort());
        ListenerDiagnosis.Finding finding = inContainer.advertisedFinding(kafkaOutside, seen(LOCAL_OUTSIDE, Reachability.Outcome.REFUSED));

        assertTrue(finding.problem().contains("OUTSIDE listener"), finding.problem());
        assertTrue(finding.fix().contains("KAFKA_BOOTSTRAP_SERVERS=" + INSIDE), finding.fix());
    }

    @Test
    void outside_advertised_as_the_service_name_seen_from_the_host_names_the_outside_fix() {
        BrokerAddress kafkaOutside = new BrokerAddress(LAYOUT.service(), LAYOUT.outsidePort());
        ListenerDiagnosis.Finding finding = onHost.advertisedFinding(LOCAL_OUTSIDE, seen(kafkaOutside, Reachability.Outcome.UNRESOLVED));

        assertTrue(finding.problem().contains("resolves only on the compose network"), finding.problem());
        assertTrue(finding.fix().contains("set OUTSIDE in KAFKA_ADVERTISED_LISTENERS to OUTSIDE://" + OUTSIDE), finding.fix());
    }

    @Test
    void a_published_port_that_differs_from_the_advertised_one_is_named() {
        BrokerAddress published = new BrokerAddress("localhost", LAYOUT.outsidePort() == 65535 ? 1024 : LAYOUT.outsidePort() + 1);
        ListenerDiagnosis.Finding finding = onHost.advertisedFinding(published, seen(LOCAL_OUTSIDE, Reachability.Outcome.REFUSED));

        assertTrue(finding.problem().contains("differs from the advertised one"), finding.problem());
        assertTrue(finding.fix().contains("same number on both sides"), finding.fix());
    }

    @Test
    void a_port_that_accepts_and_closes_at_once_is_a_listener_bound_to_the_container_loopback() {
        ListenerDiagnosis.Finding finding = only(onHost.bootstrapUnreachable(
                List.of(seen(LOCAL_OUTSIDE, Reachability.Outcome.CLOSED_AT_ONCE))));

        assertTrue(finding.fix().contains("OUTSIDE://0.0.0.0:" + LAYOUT.outsidePort()), finding.fix());
    }

    @Test
    void nothing_published_on_the_host_says_how_to_start_and_check_the_broker() {
        ListenerDiagnosis.Finding finding = only(onHost.bootstrapUnreachable(
                List.of(seen(LOCAL_OUTSIDE, Reachability.Outcome.REFUSED))));

        assertTrue(finding.fix().contains("docker compose -f docker-compose.broker.yml up -d"), finding.fix());
    }

    @Test
    void the_service_name_used_on_the_host_points_to_the_outside_listener() {
        ListenerDiagnosis.Finding finding = only(onHost.bootstrapUnreachable(
                List.of(seen(INSIDE, Reachability.Outcome.UNRESOLVED))));

        assertTrue(finding.fix().contains("use the OUTSIDE listener, " + OUTSIDE), finding.fix());
    }

    @Test
    void a_reachable_advertised_address_is_no_finding() {
        assertNull(inContainer.advertisedFinding(INSIDE, seen(INSIDE, Reachability.Outcome.OPEN)));
    }

    // A three-node cluster, whatever this project was generated with: each sentence names the node and its own fix.

    private static final Map<Integer, ListenerDiagnosis.Layout> CLUSTER = Map.of(
            1, new ListenerDiagnosis.Layout("kafka-1", "localhost", 19092, 19093),
            2, new ListenerDiagnosis.Layout("kafka-2", "localhost", 19192, 19093),
            3, new ListenerDiagnosis.Layout("kafka-3", "localhost", 19292, 19093));
    private final ListenerDiagnosis clusterOnHost = new ListenerDiagnosis(new TreeMap<>(CLUSTER), false);
    private final ListenerDiagnosis clusterInContainer = new ListenerDiagnosis(new TreeMap<>(CLUSTER), true);

    @Test
    void in_a_cluster_a_node_that_refuses_its_own_address_is_named_as_down_or_unpublished() {
        ListenerDiagnosis.Finding finding = clusterOnHost.advertisedFinding(new BrokerAddress("localhost", 19092), 3,
                seen(new BrokerAddress("localhost", 19292), Reachability.Outcome.REFUSED));

        assertTrue(finding.problem().startsWith("node 3 (kafka-3) is advertised as localhost:19292"), finding.problem());
        assertTrue(finding.problem().contains("the node is down, or its OUTSIDE port is not published"), finding.problem());
        assertTrue(finding.fix().contains("up -d kafka-3") && finding.fix().contains("127.0.0.1:19292->19292/tcp")
                && finding.fix().contains("logs kafka-3"), finding.fix());
    }

    @Test
    void in_a_cluster_a_node_advertising_a_name_the_host_cannot_resolve_gets_its_own_outside_fix() {
        ListenerDiagnosis.Finding finding = clusterOnHost.advertisedFinding(new BrokerAddress("localhost", 19092), 2,
                seen(new BrokerAddress("kafka-2", 19192), Reachability.Outcome.UNRESOLVED));

        assertTrue(finding.problem().startsWith("node 2 (kafka-2): "), finding.problem());
        assertTrue(finding.fix().contains("OUTSIDE://localhost:19192 (KAFKA_OUTSIDE_HOST and KAFKA_OUTSIDE_PORT_2 in .env)"),
                finding.fix());
    }

    @Test
    void in_a_container_a_cluster_is_bootstrapped_from_every_nodes_inside_address() {
        ListenerDiagnosis.Finding finding = only(clusterInContainer.bootstrapUnreachable(
                List.of(seen(new BrokerAddress("localhost", 19092), Reachability.Outcome.REFUSED))));

        assertTrue(finding.fix().contains("KAFKA_BOOTSTRAP_SERVERS=kafka-1:19093,kafka-2:19093,kafka-3:19093"), finding.fix());
    }

    @Test
    void a_bootstrap_address_of_one_node_that_does_not_answer_while_another_does_is_named() {
        List<ListenerDiagnosis.Finding> findings = clusterOnHost.someBootstrapUnreachable(List.of(
                seen(new BrokerAddress("localhost", 19092), Reachability.Outcome.OPEN),
                seen(new BrokerAddress("localhost", 19192), Reachability.Outcome.REFUSED)));

        ListenerDiagnosis.Finding finding = only(findings);
        assertTrue(finding.problem().startsWith("node 2 (kafka-2): bootstrap localhost:19192"), finding.problem());
        assertTrue(finding.fix().contains("up -d kafka-2;") && finding.fix().contains("127.0.0.1:19192->19192/tcp"), finding.fix());
    }

    @Test
    void a_cluster_node_missing_from_the_metadata_is_named_and_a_single_node_never_is() {
        ListenerDiagnosis.Finding finding = only(clusterOnHost.missingNodes(Set.of(1, 2)));

        assertTrue(finding.problem().startsWith("node 3 (kafka-3) is not in the cluster's metadata"), finding.problem());
        assertTrue(finding.fix().contains("logs kafka-3"), finding.fix());
        assertEquals(List.of(), onHost.missingNodes(Set.of()));
    }

    @Test
    void two_nodes_advertising_the_same_address_are_named() {
        Map<Integer, BrokerAddress> advertised = new TreeMap<>(Map.of(
                1, new BrokerAddress("localhost", 19092),
                2, new BrokerAddress("localhost", 19092),
                3, new BrokerAddress("localhost", 19292)));

        ListenerDiagnosis.Finding finding = only(clusterOnHost.sharedAdvertisedAddresses(advertised));

        assertTrue(finding.problem().startsWith("node 1 and node 2 both advertise localhost:19092"), finding.problem());
        assertTrue(finding.fix().contains("node 2 (kafka-2) advertises OUTSIDE://localhost:19192"), finding.fix());
    }

    @Test
    void a_single_node_keeps_its_sentences_without_node_names() {
        ListenerDiagnosis.Finding finding = onHost.advertisedFinding(LOCAL_INSIDE, 1, seen(INSIDE, Reachability.Outcome.UNRESOLVED));

        assertFalse(finding.problem().startsWith("node "), finding.problem());
        assertEquals(onHost.advertisedFinding(LOCAL_INSIDE, seen(INSIDE, Reachability.Outcome.UNRESOLVED)), finding);
    }
}
