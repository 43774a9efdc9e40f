package io.github.clicklog.archetype.listeners;

import io.github.clicklog.archetype.ComposeProject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Proves a generated project's compose files on a real broker from both sides of the network, without
 * Docker (issue 4): the compose files as compose reads them, the image's own config converter, a real
 * broker in a namespace standing for the {@code kafka} container, the apps' containers in another, the
 * OUTSIDE port published like Docker publishes it, and real clients with short timeouts. Then the same with
 * each {@link BrokenVariant} of the compose file, which must fail, and the listener doctor from both
 * vantage points, which must name the fix.
 *
 * <p>Needs root, iproute2 and socat. Without them it skips with the reason; with {@code CI=true} a skip is a
 * failure. Everything it starts or creates is removed at the end, also after a failure.
 */
public final class ListenerVerification {

    private static final String APPS = "apps";
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(40);
    private static final Duration DOCTOR_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLICK_TIMEOUT = Duration.ofSeconds(45);
    private static final Pattern EVENT_ID = Pattern.compile("\"eventId\"\\s*:\\s*\"([^\"]+)\"");

    private final Path project;
    private final String javaPackage;
    private final Path workDir;
    private final ComposeProject compose;
    private final String brokerClasspath;
    private final String probeClasspath;
    private final Layout layout;
    private final List<String> report = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    /** The listener values of the generated .env: what every expectation below is written in. */
    record Layout(String outsideHost, int outsidePort, int insidePort, String topic) {
        String outside() {
            return outsideHost + ":" + outsidePort;
        }

        String inside() {
            return ComposeBroker.SERVICE + ":" + insidePort;
        }
    }

    private ListenerVerification(Path project, String javaPackage, Path workDir, String brokerClasspath) {
        this.project = project;
        this.javaPackage = javaPackage;
        this.workDir = workDir;
        this.compose = new ComposeProject(project);
        this.brokerClasspath = brokerClasspath;
        this.probeClasspath = brokerClasspath + ":" + codeSource(ClientProbe.class);
        Map<String, String> env = compose.env();
        this.layout = new Layout(env.get("KAFKA_OUTSIDE_HOST"), Integer.parseInt(env.get("KAFKA_OUTSIDE_PORT")),
                Integer.parseInt(env.get("KAFKA_INSIDE_PORT")), env.get("CLICK_TOPIC"));
    }

    /**
     * Runs the whole verification on a generated and built project ({@code mvn package} done) and throws an
     * AssertionError listing every failure. The report also goes to {@code workDir/report.txt}.
     *
     * @param javaPackage    the generated project's package (the doctor is {@code <package>.doctor.ListenerDoctor})
     * @param brokenVariants whether to run the broken variants too
     */
    public static void verify(Path project, String javaPackage, Versions versions, Path workDir, boolean brokenVariants)
            throws Exception {
        String whyNot = cannotRunHere();
        if (whyNot != null) {
            String message = "listener verification of " + project + " SKIPPED: " + whyNot;
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(message + ". In CI (CI=true) a skip is a failure: .ci/run must run"
                        + " the build as root with iproute2 and socat installed.");
            }
            System.out.println("\n" + "!".repeat(100) + "\n!! " + message + "\n" + "!".repeat(100) + "\n");
            return;
        }
        ComposeNetwork.deleteTree(workDir);
        Files.createDirectories(workDir);
        long start = System.nanoTime();
        Map<String, String> kafkaEnvironment = ComposeProject.environment(
                new ComposeProject(project).service(ComposeProject.BROKER_FILE, ComposeBroker.SERVICE));
        String kafkaVersion = ComposeBroker.zookeeperMode(kafkaEnvironment) ? versions.kafkaZookeeperMode() : versions.kafka();
        String classpath = BrokerClasspath.resolve(kafkaVersion, versions, workDir);

        ListenerVerification verification = new ListenerVerification(project, javaPackage, workDir, classpath);
        verification.say("Listener verification of " + project + " ("
                + (ComposeBroker.zookeeperMode(kafkaEnvironment) ? "ZooKeeper mode" : "KRaft") + ", broker and converter"
                + " from kafka_2.13 " + kafkaVersion + "; " + verification.layout + ")");
        verification.checkImageVersion(kafkaVersion, ComposeBroker.zookeeperMode(kafkaEnvironment));
        verification.scenario(null);
        if (brokenVariants) {
            for (BrokenVariant variant : BrokenVariant.values()) {
                verification.scenario(variant);
            }
        }
        verification.say(String.format("Run time: %.0f s", (System.nanoTime() - start) / 1e9));
        Files.writeString(workDir.resolve("report.txt"), String.join("\n", verification.report) + "\n");
        if (!verification.failures.isEmpty()) {
            throw new AssertionError("listener verification of " + project + " failed:\n  - "
                    + String.join("\n  - ", verification.failures) + "\n\nReport:\n" + String.join("\n", verification.report));
        }
    }

    /** Null when this machine can run the verification, else the reason it cannot. */
    static String cannotRunHere() {
        try {
            if (!"0".equals(run("id", "-u").strip())) {
                return "network namespaces need root";
            }
            for (String tool : List.of("ip", "socat")) {
                if (run("sh", "-c", "command -v " + tool).isBlank()) {
                    return tool + " is not installed (apt-get install iproute2 socat)";
                }
            }
            run("ip", "netns", "list");
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static String run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0 && !command[0].equals("sh")) {
                throw new IOException(String.join(" ", command) + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return output;
    }

    /** The broker run here must be the image's Kafka: apache/kafka:&lt;version&gt; is that version. */
    private void checkImageVersion(String kafkaVersion, boolean zookeeperMode) {
        String image = compose.env().get("KAFKA_IMAGE");
        if (!zookeeperMode && !image.endsWith(":" + kafkaVersion)) {
            fail("the image " + image + " is not Kafka " + kafkaVersion + ", which this verification runs");
        }
        if (zookeeperMode && !kafkaVersion.startsWith("3.9.")) {
            fail("ZooKeeper mode needs Kafka 3.9.x (the Confluent 7.9 images' line), not " + kafkaVersion);
        }
    }

    /** One start of the broker with the generated compose file (variant null) or a broken copy of it. */
    private void scenario(BrokenVariant variant) throws Exception {
        String name = variant == null ? "good" : variant.name().toLowerCase().replace('_', '-');
        Path dir = Files.createDirectories(workDir.resolve(name));
        int otherPort = freePort();
        String composeText = Files.readString(project.resolve(ComposeProject.BROKER_FILE));
        Files.writeString(dir.resolve(ComposeProject.BROKER_FILE), variant == null ? composeText : variant.applyTo(composeText, otherPort));
        Files.copy(project.resolve(".env"), dir.resolve(".env"));
        ComposeProject copy = new ComposeProject(dir);
        say("");
        say(variant == null ? "== the generated compose files" : "== broken: " + variant.description);

        Map<String, List<String>> containers = new LinkedHashMap<>();
        containers.put(APPS, List.of("web", "consumer"));
        Map<String, Object> kafkaService = copy.service(ComposeProject.BROKER_FILE, ComposeBroker.SERVICE);
        if (ComposeBroker.zookeeperMode(ComposeProject.environment(kafkaService))) {
            containers.put(ComposeBroker.ZOOKEEPER_SERVICE, List.of(ComposeBroker.ZOOKEEPER_SERVICE));
        }
        long start = System.nanoTime();
        try (ComposeNetwork network = ComposeNetwork.create(ComposeBroker.SERVICE, containers, dir)) {
            for (Object entry : (List<?>) kafkaService.getOrDefault("ports", List.of())) {
                int[] mapping = portMapping(String.valueOf(entry));
                requireFreeHostPort(mapping[0]);
                network.publish(ComposeBroker.SERVICE, mapping[0], mapping[1]);
                say("  published 127.0.0.1:" + mapping[0] + " -> kafka's address, port " + mapping[1] + " (" + entry + ")");
            }
            ComposeBroker.Outcome broker = ComposeBroker.start(copy, network, brokerClasspath, dir);
            say(String.format("  broker: %s after %.1f s", broker.started() ? "started" : "did not start", (System.nanoTime() - start) / 1e9));
            if (!broker.started()) {
                say("    " + broker.why().replace("\n", "\n    "));
            }
            if (variant == null && !broker.started()) {
                fail("the broker of the generated compose file did not start: " + broker.why());
                return;
            }

            Map<Check, Check.Result> results = clientChecks(network, dir);
            if (variant == null) {
                results.forEach((check, result) -> {
                    if (result != check.whenCorrect) {
                        fail(check.label + ": " + result + ", expected " + check.whenCorrect);
                    }
                });
                clicksEndToEnd(network, dir);
            } else {
                boolean caught = results.entrySet().stream().anyMatch(e -> e.getValue() != e.getKey().whenCorrect);
                if (!caught) {
                    fail(variant + ": every check passed, the broken compose file went unnoticed");
                } else if (results.get(variant.caughtBy) == variant.caughtBy.whenCorrect) {
                    fail(variant + ": " + variant.caughtBy.label + " should have caught it but gave "
                            + results.get(variant.caughtBy));
                }
                say("  => the check fails, as it must: " + (caught ? "yes" : "NO"));
            }
            doctor(variant, network, dir, otherPort);
        }
    }

    /** The four client checks, in parallel: each is a child JVM with a real producer and consumer. */
    private Map<Check, Check.Result> clientChecks(ComposeNetwork network, Path dir) throws Exception {
        Map<Check, Future<String[]>> running = new EnumMap<>(Check.class);
        ExecutorService pool = Executors.newFixedThreadPool(Check.values().length);
        try {
            running.put(Check.HOST_OUTSIDE, pool.submit(() -> probe(network, null, layout.outside(), dir)));
            running.put(Check.CONTAINER_INSIDE, pool.submit(() -> probe(network, APPS, layout.inside(), dir)));
            running.put(Check.CONTAINER_LOCALHOST, pool.submit(() -> probe(network, APPS, "localhost:" + layout.outsidePort(), dir)));
            running.put(Check.CONTAINER_KAFKA_OUTSIDE, pool.submit(() -> probe(network, APPS,
                    ComposeBroker.SERVICE + ":" + layout.outsidePort(), dir)));
            Map<Check, Check.Result> results = new EnumMap<>(Check.class);
            for (Map.Entry<Check, Future<String[]>> entry : running.entrySet()) {
                String[] outcome = entry.getValue().get();
                Check.Result result = Check.Result.ofExitStatus(Integer.parseInt(outcome[0]));
                results.put(entry.getKey(), result);
                say(String.format("  %-32s %-22s %s", entry.getKey().label.replace("OUTSIDE host:port", layout.outside())
                        .replace("INSIDE", String.valueOf(layout.insidePort())).replace("OUTSIDE", String.valueOf(layout.outsidePort())),
                        result, outcome[1]));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Exit status and the probe's last line. */
    private String[] probe(ComposeNetwork network, String container, String bootstrap, Path dir) throws Exception {
        Path log = dir.resolve("probe-" + (container == null ? "host" : container) + "-" + bootstrap.replace(':', '-') + ".log");
        int status = network.run(container, List.of(ComposeBroker.java(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", probeClasspath,
                        ClientProbe.class.getName(), "roundtrip", bootstrap, "listener-verification"),
                Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), dir, log, PROBE_TIMEOUT);
        List<String> lines = Files.readAllLines(log).stream()
                .filter(line -> line.matches("^(OK|ADVERTISED|BOOTSTRAP_FAILED|PRODUCE_FAILED|CONSUME_FAILED) .*")).toList();
        String advertised = lines.stream().filter(l -> l.startsWith("ADVERTISED ")).findFirst()
                .map(l -> "(advertises " + l.substring("ADVERTISED ".length()) + ") ").orElse("");
        String last = lines.isEmpty() ? "(no result, see " + log + ")" : lines.get(lines.size() - 1);
        return new String[] {String.valueOf(status), advertised + abbreviate(last)};
    }

    /**
     * The generated web producer and consumer carry a click end to end: first in the apps' container
     * namespace with the environment docker-compose.yml gives them, then on the host with none (the dev case).
     */
    private void clicksEndToEnd(ComposeNetwork network, Path dir) throws Exception {
        Path web = project.resolve("web/target");
        Path consumer = project.resolve("consumer/target");
        if (!Files.isRegularFile(web.resolve("web.jar")) || !Files.isRegularFile(consumer.resolve("consumer.jar"))) {
            fail("web/target/web.jar or consumer/target/consumer.jar is missing: build the generated project first");
            return;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");

        // In containers: the environment of docker-compose.yml; the /data volume is a directory of this run.
        Path volume = Files.createDirectories(dir.resolve("click-data-volume"));
        Map<String, String> webEnvironment = appEnvironment("web", path, volume);
        Map<String, String> consumerEnvironment = appEnvironment("consumer", path, volume);
        int webPort = Integer.parseInt(webEnvironment.get("WEB_PORT"));
        Process webApp = network.start(APPS, List.of(ComposeBroker.java(), "-Xmx256m", "-jar", "web.jar"),
                webEnvironment, web, dir.resolve("web-container.log"));
        Process consumerApp = network.start(APPS, List.of(ComposeBroker.java(), "-Xmx256m", "-jar", "consumer.jar"),
                consumerEnvironment, consumer, dir.resolve("consumer-container.log"));
        try {
            click("apps in containers (" + ComposeProject.APP_FILE + " environment: KAFKA_BOOTSTRAP_SERVERS="
                            + webEnvironment.get("KAFKA_BOOTSTRAP_SERVERS") + ")",
                    network, APPS, "http://web:" + webPort + "/api/clicks", volume, dir);
        } finally {
            ComposeNetwork.stopGracefully(webApp);
            ComposeNetwork.stopGracefully(consumerApp);
        }

        // On the host, no environment at all: the apps fall back to the OUTSIDE listener. Only the web port
        // is set if the generated one is taken on this machine, and the consumer's data lands in its
        // working directory, as in dev.
        Map<String, String> hostEnvironment = new LinkedHashMap<>();
        hostEnvironment.put("PATH", path);
        Path hostData = Files.createDirectories(dir.resolve("host-consumer"));
        Map<String, String> hostWebEnvironment = new LinkedHashMap<>(hostEnvironment);
        int hostWebPort = webPort;
        if (!portFree(webPort)) {
            hostWebPort = freePort();
            hostWebEnvironment.put("WEB_PORT", String.valueOf(hostWebPort));
            say("  (port " + webPort + " is taken on this machine: the host's web producer gets WEB_PORT=" + hostWebPort + ")");
        }
        Map<String, String> hostConsumerEnvironment = new LinkedHashMap<>(hostEnvironment);
        int consumerPort = Integer.parseInt(consumerEnvironment.get("CONSUMER_PORT"));
        if (!portFree(consumerPort)) {
            int hostConsumerPort = freePort();
            hostConsumerEnvironment.put("CONSUMER_PORT", String.valueOf(hostConsumerPort));
            say("  (port " + consumerPort + " is taken on this machine: the host's consumer gets CONSUMER_PORT="
                    + hostConsumerPort + ")");
        }
        webApp = network.start(null, List.of(ComposeBroker.java(), "-Xmx256m", "-jar", web.resolve("web.jar").toString()),
                hostWebEnvironment, dir, dir.resolve("web-host.log"));
        consumerApp = network.start(null, List.of(ComposeBroker.java(), "-Xmx256m", "-jar", consumer.resolve("consumer.jar").toString()),
                hostConsumerEnvironment, hostData, dir.resolve("consumer-host.log"));
        try {
            click("apps on the host (no KAFKA_BOOTSTRAP_SERVERS)", network, null,
                    "http://localhost:" + hostWebPort + "/api/clicks", hostData, dir);
        } finally {
            ComposeNetwork.stopGracefully(webApp);
            ComposeNetwork.stopGracefully(consumerApp);
        }
    }

    private Map<String, String> appEnvironment(String service, String path, Path volume) {
        Map<String, String> environment = new LinkedHashMap<>(
                ComposeProject.environment(compose.service(ComposeProject.APP_FILE, service)));
        environment.replaceAll((name, value) -> name.equals("CLICK_DATA_DIR") ? volume.toString() : value);
        environment.put("PATH", path);
        return environment;
    }

    /** POSTs one click until the web producer answers 202, then waits for its eventId in the consumer's files. */
    private void click(String what, ComposeNetwork network, String container, String url, Path dataDir, Path dir)
            throws Exception {
        String user = "listener-check-" + UUID.randomUUID();
        String body = "{\"itemId\":\"listener-check\",\"userId\":\"" + user + "\"}";
        long start = System.nanoTime();
        long deadline = start + CLICK_TIMEOUT.toNanos();
        String eventId = null;
        String lastAnswer = "";
        int attempt = 0;
        while (eventId == null && System.nanoTime() < deadline) {
            Path log = dir.resolve("post-" + (container == null ? "host" : container) + "-" + attempt++ + ".log");
            int status = network.run(container, List.of(ComposeBroker.java(), "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                    probeClasspath, ClientProbe.class.getName(), "post", url, body),
                    Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), dir, log, Duration.ofSeconds(30));
            lastAnswer = Files.readString(log).strip();
            Matcher id = EVENT_ID.matcher(lastAnswer);
            if (status == 0 && id.find()) {
                eventId = id.group(1);
            } else {
                Thread.sleep(1000); // the app may still be starting
            }
        }
        if (eventId == null) {
            fail(what + ": the web producer never answered 202 within " + CLICK_TIMEOUT.toSeconds() + " s; last answer: "
                    + abbreviate(lastAnswer));
            return;
        }
        while (System.nanoTime() < deadline) {
            if (containsEvent(dataDir, eventId)) {
                say(String.format("  %s: click %s reached the consumer's JSON Lines file in %.1f s",
                        what, eventId, (System.nanoTime() - start) / 1e9));
                return;
            }
            Thread.sleep(300);
        }
        fail(what + ": click " + eventId + " was accepted (202) but never reached the consumer's files under " + dataDir);
    }

    private static boolean containsEvent(Path dataDir, String eventId) throws IOException {
        try (Stream<Path> files = Files.walk(dataDir)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                if (Files.readString(file).contains(eventId)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** One doctor run: from where, with which bootstrap address, and what it must say. */
    private record DoctorRun(String container, String bootstrap, boolean shouldPass, String mustSay) {
    }

    /**
     * The listener doctor from the host (next to the compose file, so it reads it too) and from the apps'
     * container, for the good files and each broken variant.
     */
    private void doctor(BrokenVariant variant, ComposeNetwork network, Path dir, int otherPort) throws Exception {
        String inside = layout.inside();
        List<DoctorRun> runs = new ArrayList<>();
        if (variant == null) {
            runs.add(new DoctorRun(null, null, true, "Diagnosis: OK"));
            runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
            runs.add(new DoctorRun(APPS, "localhost:" + layout.outsidePort(), false, "KAFKA_BOOTSTRAP_SERVERS=" + inside));
            runs.add(new DoctorRun(APPS, ComposeBroker.SERVICE + ":" + layout.outsidePort(), false,
                    "you reached the OUTSIDE listener"));
            runs.add(new DoctorRun(null, inside, false, "use the OUTSIDE listener, " + layout.outside()));
        } else {
            switch (variant) {
                case INSIDE_ADVERTISED_AS_LOCALHOST -> {
                    runs.add(new DoctorRun(APPS, null, false, "set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + inside));
                    runs.add(new DoctorRun(null, null, false, "set INSIDE in KAFKA_ADVERTISED_LISTENERS to INSIDE://" + inside));
                }
                case OUTSIDE_ADVERTISED_AS_KAFKA -> {
                    runs.add(new DoctorRun(null, null, false,
                            "set OUTSIDE in KAFKA_ADVERTISED_LISTENERS to OUTSIDE://" + layout.outside()));
                    runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
                }
                case OUTSIDE_MISSING_FROM_PROTOCOL_MAP -> {
                    runs.add(new DoctorRun(null, null, false, "add OUTSIDE:PLAINTEXT to KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"));
                    runs.add(new DoctorRun(APPS, null, false, "docker compose -f docker-compose.broker.yml logs kafka"));
                }
                case OUTSIDE_BOUND_TO_LOOPBACK -> {
                    runs.add(new DoctorRun(null, null, false, "OUTSIDE://0.0.0.0:" + layout.outsidePort()));
                    runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
                }
                case PUBLISHED_PORT_DIFFERS -> {
                    runs.add(new DoctorRun(null, null, false, "same number on both sides"));
                    runs.add(new DoctorRun(null, "localhost:" + otherPort, false, "differs from the advertised one"));
                    runs.add(new DoctorRun(APPS, null, true, "Diagnosis: OK"));
                }
                default -> throw new IllegalStateException("no doctor expectation for " + variant);
            }
        }
        for (DoctorRun run : runs) {
            runDoctor(run, network, dir);
        }
        if (variant == null) {
            documentedHostCommand(network, dir);
        }
    }

    /** The doctor exactly as the generated README tells a user on the host to run it, from the project root. */
    private void documentedHostCommand(ComposeNetwork network, Path dir) throws Exception {
        List<String> command = List.of("./mvnw", "-q", "-pl", "doctor", "compile", "exec:java");
        Map<String, String> environment = new LinkedHashMap<>(System.getenv());
        environment.remove("KAFKA_BOOTSTRAP_SERVERS");
        environment.remove("MAVEN_ARGS");
        Path log = dir.resolve("doctor-host-mvnw.log");
        long start = System.nanoTime();
        int status = network.run(null, command, environment, project, log, Duration.ofMinutes(3));
        String output = Files.readString(log);
        say(String.format("  doctor (host, %s): exit %d in %.1f s", String.join(" ", command), status,
                (System.nanoTime() - start) / 1e9));
        if (status != 0 || !output.contains("Diagnosis: OK")) {
            fail("the documented host command " + String.join(" ", command) + " gave exit " + status + ":\n" + output);
        }
    }

    private void runDoctor(DoctorRun run, ComposeNetwork network, Path dir) throws Exception {
        Path web = project.resolve("web/target");
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        if (run.container() != null) {
            // what `docker compose exec web ...` sees: the service's environment from docker-compose.yml
            environment.putAll(ComposeProject.environment(compose.service(ComposeProject.APP_FILE, "web")));
        }
        if (run.bootstrap() != null) {
            environment.put("KAFKA_BOOTSTRAP_SERVERS", run.bootstrap());
        }
        String where = (run.container() == null ? "host" : "container") + ", KAFKA_BOOTSTRAP_SERVERS="
                + (environment.containsKey("KAFKA_BOOTSTRAP_SERVERS") ? environment.get("KAFKA_BOOTSTRAP_SERVERS") : "(unset)");
        Path log = dir.resolve("doctor-" + (run.container() == null ? "host" : "container") + "-"
                + (run.bootstrap() == null ? "default" : run.bootstrap().replace(':', '-')) + ".log");
        // The container command of the generated README; on the host the same class, from the project's
        // build output, in the directory of the (possibly broken) compose file.
        List<String> command = List.of(ComposeBroker.java(), "-cp", "web.jar:lib/*", javaPackage + ".doctor.ListenerDoctor");
        long start = System.nanoTime();
        int status;
        if (run.container() != null) {
            status = network.run(run.container(), command, environment, web, log, DOCTOR_TIMEOUT);
        } else {
            status = network.run(null, List.of(ComposeBroker.java(), "-cp", web.resolve("web.jar") + ":" + web.resolve("lib") + "/*",
                    javaPackage + ".doctor.ListenerDoctor"), environment, dir, log, DOCTOR_TIMEOUT);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String output = Files.readString(log);
        boolean statusRight = run.shouldPass() ? status == 0 : status != 0 && status != -1;
        boolean saysIt = output.contains(run.mustSay());
        say(String.format("  doctor (%s): exit %d in %.1f s%s", where, status, seconds,
                statusRight && saysIt ? "" : "  <-- expected exit " + (run.shouldPass() ? "0" : "non-zero")
                        + " and \"" + run.mustSay() + "\""));
        output.lines().filter(line -> line.startsWith("  ") && (line.matches("^\\s+\\d+\\. .*") || line.strip().startsWith("Fix:"))
                || line.startsWith("Diagnosis")).forEach(line -> say("      " + line.strip()));
        if (!statusRight || !saysIt) {
            fail("doctor (" + where + ") in " + dir.getFileName() + ": expected exit " + (run.shouldPass() ? "0" : "non-zero")
                    + " and \"" + run.mustSay() + "\", got exit " + status + ":\n" + output);
        }
        if (seconds > 15) {
            fail("doctor (" + where + ") took " + Math.round(seconds) + " s; it must answer in about ten");
        }
    }

    /** "[ip:]host:container[/tcp]" of the compose short syntax, as [host port, container port]. */
    static int[] portMapping(String entry) {
        String[] parts = entry.replaceAll("/(tcp|udp)$", "").split(":");
        int container = Integer.parseInt(parts[parts.length - 1].trim());
        int host = parts.length >= 2 ? Integer.parseInt(parts[parts.length - 2].trim()) : container;
        return new int[] {host, container};
    }

    private void requireFreeHostPort(int port) throws IOException, InterruptedException {
        // The previous scenario's forwarder may take a moment to let go of the port.
        for (int i = 0; i < 40 && !portFree(port); i++) {
            Thread.sleep(500);
        }
        if (!portFree(port)) {
            throw new IOException("127.0.0.1:" + port + " is taken on this machine (a broker or dev mode left"
                    + " running?); the verification publishes the OUTSIDE port there, as compose would");
        }
    }

    private static boolean portFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String text) {
        String line = text.replace('\n', ' ');
        return line.length() > 220 ? line.substring(0, 220) + "..." : line;
    }

    private void say(String line) {
        report.add(line);
        System.out.println("[listeners] " + line);
    }

    private void fail(String problem) {
        failures.add(problem);
        say("  FAILED: " + problem.lines().findFirst().orElse(problem));
    }

    /** By hand: {@code ListenerVerification <generated project> <package> <kafka> <kafka zk-mode> <slf4j> <dependency plugin> [--no-variants]}. */
    public static void main(String[] args) throws Exception {
        Path project = Path.of(args[0]).toAbsolutePath();
        verify(project, args[1], new Versions(args[2], args[3], args[4], args[5]),
                project.resolveSibling("listener-verification"), args.length < 7 || !args[6].equals("--no-variants"));
    }
}
