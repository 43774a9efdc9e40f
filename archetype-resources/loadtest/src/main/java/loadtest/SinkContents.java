package ${package}.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import ${package}.shared.ClickJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the consumer's JSON Lines sink holds, read whole: how often each eventId occurs, any line that is not a
 * complete sink line (a write torn by a kill shows up here), and offsets out of order within a partition (across
 * its hourly files, in the order of the first offsets in their names).
 */
public record SinkContents(Map<String, Integer> eventIdCounts, long lines, List<String> brokenLines,
                           long outOfOrderOffsets) {

    public static SinkContents read(Path dataDir, String topic) {
        Map<String, Integer> counts = new HashMap<>();
        List<String> broken = new ArrayList<>();
        long lines = 0;
        long outOfOrder = 0;
        if (!Files.isDirectory(dataDir)) {
            return new SinkContents(counts, 0, broken, 0);
        }
        try {
            Map<String, Long> lastOffsets = new HashMap<>();
            for (Path file : files(dataDir, topic)) {
                String partition = partitionOf(file.getFileName().toString(), topic);
                long lastOffset = lastOffsets.getOrDefault(partition, -1L);
                for (String line : Files.readAllLines(file)) {
                    lines++;
                    try {
                        JsonNode node = ClickJson.mapper().readTree(line);
                        String eventId = node.path("click").path("eventId").textValue();
                        long offset = node.path("offset").asLong(-1);
                        if (eventId == null || offset < 0) {
                            broken.add(file.getFileName() + ": " + abbreviate(line));
                            continue;
                        }
                        if (offset <= lastOffset) {
                            outOfOrder++;
                        }
                        lastOffset = offset;
                        counts.merge(eventId, 1, Integer::sum);
                    } catch (IOException e) {
                        broken.add(file.getFileName() + ": " + abbreviate(line));
                    }
                }
                lastOffsets.put(partition, lastOffset);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the sink in " + dataDir, e);
        }
        return new SinkContents(counts, lines, broken, outOfOrder);
    }

    /**
     * The sink's files of a topic, each partition's in order: {@code <topic>-<partition>.jsonl} of earlier versions
     * first, then {@code <topic>/dt=.../hour=.../<topic>-<partition>-<firstOffset>.jsonl} by first offset.
     */
    public static List<Path> files(Path dataDir, String topic) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> legacy = Files.newDirectoryStream(dataDir, topic + "-*.jsonl")) {
            legacy.forEach(files::add);
        }
        Path topicDir = dataDir.resolve(topic);
        if (Files.isDirectory(topicDir)) {
            try (Stream<Path> walk = Files.walk(topicDir)) {
                walk.filter(file -> file.getFileName().toString().endsWith(".jsonl")).forEach(files::add);
            }
        }
        String prefix = topic + "-";
        files.removeIf(file -> {
            String name = file.getFileName().toString();
            return !name.startsWith(prefix) || !name.substring(prefix.length()).matches("\\d+(-\\d+)?\\.jsonl");
        });
        files.sort(Comparator.comparing((Path file) -> partitionOf(file.getFileName().toString(), topic))
                .thenComparingLong(file -> firstOffsetOf(file.getFileName().toString(), topic)));
        return files;
    }

    /** {@code 3} of {@code clicks-3-120.jsonl} and of {@code clicks-3.jsonl}. */
    private static String partitionOf(String name, String topic) {
        String rest = name.substring(topic.length() + 1, name.length() - ".jsonl".length());
        int dash = rest.indexOf('-');
        return dash < 0 ? rest : rest.substring(0, dash);
    }

    /** {@code 120} of {@code clicks-3-120.jsonl}; -1 for a file of earlier versions, which holds the oldest clicks. */
    private static long firstOffsetOf(String name, String topic) {
        String rest = name.substring(topic.length() + 1, name.length() - ".jsonl".length());
        int dash = rest.indexOf('-');
        return dash < 0 ? -1 : Long.parseLong(rest.substring(dash + 1));
    }

    public int count(String eventId) {
        return eventIdCounts.getOrDefault(eventId, 0);
    }

    /** Event ids stored more than once, counted once per extra copy. */
    public long duplicates() {
        return eventIdCounts.values().stream().mapToLong(n -> n - 1L).filter(n -> n > 0).sum();
    }

    private static String abbreviate(String line) {
        return line.length() <= 160 ? line : line.substring(0, 160) + "...";
    }
}
