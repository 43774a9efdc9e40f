package ${package}.doctor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        BrokerAddress kafkaOutside = new BrokerAddress("kafka", LAYOUT.outsidePort());
        ListenerDiagnosis.Finding finding = inContainer.advertisedFinding(kafkaOutside, seen(LOCAL_OUTSIDE, Reachability.Outcome.REFUSED));

        assertTrue(finding.problem().contains("OUTSIDE listener"), finding.problem());
        assertTrue(finding.fix().contains("KAFKA_BOOTSTRAP_SERVERS=" + INSIDE), finding.fix());
    }

    @Test
    void outside_advertised_as_the_service_name_seen_from_the_host_names_the_outside_fix() {
        BrokerAddress kafkaOutside = new BrokerAddress("kafka", LAYOUT.outsidePort());
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
}
