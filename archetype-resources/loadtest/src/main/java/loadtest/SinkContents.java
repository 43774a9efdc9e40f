package ${package}.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import ${package}.shared.ClickJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the consumer's JSON Lines sink holds, read whole: how often each eventId occurs, and any line that
 * is not a complete sink line (a write torn by a kill shows up here).
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
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir, topic + "-*.jsonl")) {
            for (Path file : files) {
                long lastOffset = -1;
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
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the sink in " + dataDir, e);
        }
        return new SinkContents(counts, lines, broken, outOfOrder);
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
