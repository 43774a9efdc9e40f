package ${package}.loadtest.fault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * One attack on the running web producer while a well-behaved client sends real clicks: the attack runs for
 * {@code settle}, then the probes are measured while {@link WebProducerWatch} records what the web producer holds.
 *
 * @param attackers what the attacking clients did, from {@link SlowClients#describe()}
 */
record AttackPhase(String name, ClickProbes.Result probes, WebProducerWatch.Peaks peaks, String attackers) {

    static final int PROBES_PER_SECOND = 50;
    static final Duration PROBING = Duration.ofSeconds(15);

    static AttackPhase run(FaultPipeline pipeline, Path gcLog, String name, Duration settle,
                           List<ClickProbes.Client> probeClients, Supplier<SlowClients> attack) throws Exception {
        try (SlowClients clients = attack.get()) {
            FaultPipeline.sleep(settle.toMillis());
            WebProducerWatch watch = new WebProducerWatch(pipeline.web, pipeline.managementBase(), gcLog);
            ClickProbes.Result probes = ClickProbes.run(pipeline.base(), probeClients, PROBES_PER_SECOND, PROBING);
            return new AttackPhase(name, probes, watch.finish(), clients.describe());
        }
    }

    String describe() {
        return name + ": real clicks: " + probes.describe() + "; " + peaks.describe() + "; attackers: " + attackers;
    }

    /** What every attack must leave: most real clicks accepted, fast enough, and resident memory within bounds. */
    void check(double minAccepted, double maxP99Millis, long maxRssMb, List<String> failures) {
        if (probes.acceptedShare() < minAccepted) {
            failures.add(name + ": only " + probes.accepted() + " of " + probes.sent() + " real clicks got 202 (first"
                    + " other: " + probes.firstOther() + ")");
        }
        if (probes.p99Millis() > maxP99Millis) {
            failures.add(name + ": real clicks' p99 " + probes.p99Millis() + " ms, more than " + maxP99Millis + " ms");
        }
        if (peaks.rssKb() / 1024 > maxRssMb) {
            failures.add(name + ": the web producer's RSS reached " + peaks.rssKb() / 1024 + " MB, over " + maxRssMb);
        }
    }
}
