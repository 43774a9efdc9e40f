package io.github.clicklog.archetype.listeners;

import io.github.clicklog.archetype.ComposeProject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Topics the way the generated compose files make them, automatic creation being off: the one-shot
 * {@code click-topics} service of docker-compose.broker.yml runs its own command (entrypoint and command as
 * compose interpolates them) in a container namespace of its own, with the image's topic tool standing in for
 * the image: {@code kafka-topics.sh} of apache/kafka (called by its absolute path /opt/kafka/bin) and
 * {@code kafka-topics} of cp-kafka (on the image's PATH) both run {@code org.apache.kafka.tools.TopicCommand}
 * from kafka-tools of the broker's version, which is what those scripts run in the images.
 */
final class ComposeTopics {

    static final String SERVICE = "click-topics";
    private static final String IMAGE_BIN = "/opt/kafka/bin/";
    private static final Pattern LEADER = Pattern.compile("Partition:\\s*(\\d+)\\s+Leader:\\s*(-?\\d+)");

    /** The exit status of the service and its output. */
    record Outcome(int exitStatus, String output) {
        boolean worked() {
            return exitStatus == 0;
        }

        /** Partition to leader id, from the {@code --describe} the service ends with. */
        Map<Integer, Integer> leaders() {
            Map<Integer, Integer> leaders = new TreeMap<>();
            Matcher leader = LEADER.matcher(output);
            while (leader.find()) {
                leaders.put(Integer.parseInt(leader.group(1)), Integer.parseInt(leader.group(2)));
            }
            return leaders;
        }
    }

    private ComposeTopics() {
    }

    /** Runs the click-topics service to its end, as {@code docker compose up} does once every node is healthy. */
    static Outcome runService(ComposeProject compose, ComposeNetwork network, String classpath, Path workDir)
            throws IOException, InterruptedException {
        Map<String, Object> service = compose.service(ComposeProject.BROKER_FILE, SERVICE);
        List<String> command = new ArrayList<>();
        for (String key : List.of("entrypoint", "command")) {
            Object part = service.get(key);
            if (part instanceof List<?> list) {
                list.forEach(word -> command.add(String.valueOf(word).replace(IMAGE_BIN, "")));
            } else if (part != null) {
                throw new AssertionError(SERVICE + "'s " + key + " is not a list; the verification runs the list forms only");
            }
        }
        Map<String, String> environment = new LinkedHashMap<>(ComposeProject.environment(service));
        environment.put("PATH", toolDir(classpath, workDir) + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        Path log = workDir.resolve(SERVICE + ".log");
        int status = network.run(SERVICE, command, environment, workDir, log, Duration.ofSeconds(90));
        return new Outcome(status, Files.readString(log));
    }

    /**
     * Creates a topic for the verification's own probes from inside {@code node}'s container, over its
     * loopback: setup that must not depend on the advertised listeners under test (a broken variant should
     * fail at its probes, not at their topic).
     */
    static Outcome create(ComposeNetwork network, String node, int insidePort, String topic, int partitions,
                          int replicas, String classpath, Path workDir) throws IOException, InterruptedException {
        Path log = workDir.resolve("topic-" + topic + ".log");
        int status = network.run(node, List.of(toolDir(classpath, workDir).resolve("kafka-topics.sh").toString(),
                        "--bootstrap-server", "localhost:" + insidePort, "--create", "--topic", topic,
                        "--partitions", String.valueOf(partitions), "--replication-factor", String.valueOf(replicas)),
                Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), workDir, log, Duration.ofSeconds(60));
        return new Outcome(status, Files.readString(log));
    }

    /** The images' two names of the topic tool, as scripts running TopicCommand from the broker's classpath. */
    private static Path toolDir(String classpath, Path workDir) throws IOException {
        Path bin = Files.createDirectories(workDir.resolve("kafka-bin"));
        String script = "#!/bin/sh\nexec '" + ComposeBroker.java() + "' -Xmx128m -XX:TieredStopAtLevel=1"
                + " -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp '" + classpath + "'"
                + " org.apache.kafka.tools.TopicCommand \"$@\"\n";
        // Written aside and moved into place: the click-topics service and the probe topic are created at once, and
        // rewriting the script in place (truncate, write) while the other's shell reads it left that shell an empty or
        // partial script (one run failed with no output at all).
        for (String name : List.of("kafka-topics.sh", "kafka-topics")) {
            Path written = Files.createTempFile(bin, name, ".tmp");
            Files.writeString(written, script);
            Files.setPosixFilePermissions(written, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(written, bin.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return bin;
    }
}
