package io.github.clicklog.archetype.stack;

import io.github.clicklog.archetype.GeneratedProjectChecks;
import io.github.clicklog.archetype.listeners.BrokenVariant;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Broken variants of a generated project's compose stack, each run through the project's own ComposeStackIT,
 * which must then fail, for the right reason, with the listener doctor's diagnosis in its report:
 * <ul>
 *   <li><b>unhealthy broker</b>: a healthcheck that cannot succeed within its timeout ({@code sleep 60}, timeout
 *       2 s, interval 3 s, retries 3, start period 5 s): the broker must be marked unhealthy as compose means it
 *       (failures inside the start period not counted, the check killed at its timeout) and {@code up} must fail
 *       saying so, well before one {@code sleep 60} could end;</li>
 *   <li><b>INSIDE advertised as localhost</b>: containers reach the bootstrap address and are then sent to their
 *       own loopback; the click-topics service fails, so does {@code up}; the doctor names the INSIDE setting;</li>
 *   <li><b>published port differs from the advertised one</b>: the stack is up, but a host client is told to
 *       connect where nothing is published; the doctor names the port.</li>
 * </ul>
 * Each edits docker-compose.broker.yml as a user would, runs the test (the images are already built, so each
 * run costs one {@code up}), and puts the file back.
 */
public final class ComposeStackVariants {

    /** A broken edit, the check of ComposeStackIT that must fail, and what its report must then say. */
    record Variant(String name, UnaryOperator<String> edit, String failingCheck, List<String> reportMustSay,
                   int failsWithinSeconds) {
    }

    private static final Pattern FAILED_AFTER = Pattern.compile("failed after ([0-9.]+) s");

    /** The host port the published-port variant publishes the broker's OUTSIDE port on instead. */
    private static final int OTHER_HOST_PORT = 19092;

    private static final Pattern KAFKA_HEALTHCHECK = Pattern.compile(
            "(?m)^( +)test: \\[\"CMD-SHELL\", \"[^\"]*kafka-broker-api-versions[^\\n]*\\n(?:\\1[a-z_]+: [^\\n]*\\n){4}");

    static final List<Variant> VARIANTS = List.of(
            new Variant("unhealthy broker (healthcheck that cannot succeed: sleep 60, timeout 2s)",
                    file -> replaceOnce(file, KAFKA_HEALTHCHECK, m -> m.group(1) + "test: [\"CMD-SHELL\", \"sleep 60\"]\n"
                            + m.group(1) + "interval: 3s\n" + m.group(1) + "timeout: 2s\n" + m.group(1) + "retries: 3\n"
                            + m.group(1) + "start_period: 5s\n"),
                    "docker compose up -d", List.of("unhealthy"), 60),
            // the same edits as the network-namespace proof's variants
            new Variant("INSIDE advertised as localhost",
                    file -> BrokenVariant.INSIDE_ADVERTISED_AS_LOCALHOST.applyTo(file, 0),
                    "docker compose up -d", List.of("DOCTOR", "INSIDE is advertised as localhost"), 0),
            new Variant("published port differs from the advertised one",
                    file -> BrokenVariant.PUBLISHED_PORT_DIFFERS.applyTo(file, OTHER_HOST_PORT),
                    "host client through OUTSIDE", List.of("DOCTOR", "published"), 0));

    private ComposeStackVariants() {
    }

    /**
     * Runs every variant on {@code project} (generated with defaults, installed, its ComposeStackIT passed) with the
     * Maven at {@code mavenHome}, offline, with the settings and the local repository the IT installed it with (the
     * dev module alone runs, its sibling modules from there); returns the problems, writes a summary.
     */
    public static List<String> verify(Path project, Path reportDir, String mavenHome, String localRepository,
                                      Path settings) throws IOException, InterruptedException {
        Files.createDirectories(reportDir);
        Path brokerFile = project.resolve("docker-compose.broker.yml");
        String original = Files.readString(brokerFile);
        List<String> problems = new ArrayList<>();
        StringBuilder summary = new StringBuilder();
        for (Variant variant : VARIANTS) {
            String broken = variant.edit().apply(original);
            Files.writeString(brokerFile, broken);
            long start = System.nanoTime();
            try {
                Path log = reportDir.resolve(variant.name().replaceAll("[^a-zA-Z]+", "-") + ".log");
                Process build = new ProcessBuilder(Path.of(mavenHome, "bin", "mvn").toString(), "-B", "-o",
                        "-s", settings.toString(), "-Dmaven.repo.local=" + localRepository, "verify", "-pl", "dev",
                        "-Dtest=NoUnitTestHere", "-Dsurefire.failIfNoSpecifiedTests=false",
                        "-Dit.test=ComposeStackIT", "-Dfailsafe.failIfNoSpecifiedTests=false")
                        .directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                if (!build.waitFor(15, TimeUnit.MINUTES)) {
                    build.destroyForcibly();
                    problems.add(variant.name() + ": ComposeStackIT did not end within 15 minutes");
                    continue;
                }
                double took = (System.nanoTime() - start) / 1e9;
                Path report = project.resolve("dev").resolve(GeneratedProjectChecks.COMPOSE_STACK_REPORT);
                String text = Files.isRegularFile(report) ? Files.readString(report) : "";
                Files.writeString(reportDir.resolve(log.getFileName().toString().replace(".log", "-report.txt")), text);
                String failed = text.lines().filter(line -> line.startsWith("FAIL")).findFirst().orElse("(no FAIL line)");
                summary.append(String.format("%s: build exit %d after %.0f s%n  %s%n", variant.name(),
                        build.exitValue(), took, failed));
                text.lines().filter(line -> line.startsWith("DOCTOR")).forEach(line -> summary.append("  ").append(line).append('\n'));
                text.lines().filter(line -> line.strip().matches("\\d+\\. .*|Diagnosis: .*"))
                        .forEach(line -> summary.append("    ").append(line.strip()).append('\n'));
                if (build.exitValue() == 0) {
                    problems.add(variant.name() + ": ComposeStackIT passed on a broken stack");
                }
                if (!failed.startsWith("FAIL    " + variant.failingCheck())) {
                    problems.add(variant.name() + ": the first failed check should be '" + variant.failingCheck()
                            + "', the report says: " + failed);
                }
                Matcher after = FAILED_AFTER.matcher(failed);
                if (variant.failsWithinSeconds() > 0
                        && (!after.find() || Double.parseDouble(after.group(1)) > variant.failsWithinSeconds())) {
                    // sleep 60 killed at its 2 s timeout: unhealthy about 5 + 3 * 3 s after the start; a scheduler that
                    // let each check run to its end would need three minutes
                    problems.add(variant.name() + ": up should fail within " + variant.failsWithinSeconds() + " s: " + failed);
                }
                for (String must : variant.reportMustSay()) {
                    if (!text.contains(must)) {
                        problems.add(variant.name() + ": the report does not say '" + must + "' (" + report + ")");
                    }
                }
            } finally {
                Files.writeString(brokerFile, original);
            }
        }
        Files.writeString(reportDir.resolve("report.txt"), summary);
        System.out.print(summary);
        return problems;
    }

    static String replaceOnce(String text, Pattern pattern, java.util.function.Function<Matcher, String> replacement) {
        Matcher matcher = pattern.matcher(text);
        if (!matcher.find()) {
            throw new IllegalStateException("the variant's edit found nothing to change (" + pattern + ")");
        }
        String result = text.substring(0, matcher.start()) + replacement.apply(matcher) + text.substring(matcher.end());
        if (matcher.find()) {
            throw new IllegalStateException("the variant's edit matches more than once (" + pattern + ")");
        }
        return result;
    }
}
