package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where the JSON Lines sink keeps a partition's clicks:
 * {@code <dataDir>/<topic>/dt=YYYY-MM-DD/hour=HH/<topic>-<partition>-<firstOffset>.jsonl}, by the UTC hour of each
 * click's server {@code timestamp} (Hive-style folders, which query engines read as partitions).
 *
 * <p>A file is named after the offset of its first click, and only a partition's newest file (the highest first
 * offset) is ever appended to: a click of another hour starts a new file. So the files of a partition cut its
 * offsets into runs, in the order of their first offsets, and the newest one ends with the last click stored.
 *
 * <p>Before hourly files there was one file per partition at the root, {@code <dataDir>/<topic>-<partition>.jsonl}.
 * Such a {@link #legacyFile legacy file} is still read (it holds the oldest clicks of its partition), never
 * appended to, and deleted whole by retention once its newest click has expired.
 */
final class ClickFiles {

    static final String SUFFIX = ".jsonl";
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("'dt='yyyy-MM-dd");
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("'hour='HH");

    /** One file of a partition; the legacy file has first offset -1 (it comes before every hourly file). */
    record ClickFile(Path path, long firstOffset, long hour) {
        boolean legacy() {
            return firstOffset < 0;
        }
    }

    private ClickFiles() {
    }

    /** Hours since the epoch (UTC) of an instant: what names a click's folder. */
    static long hourOf(Instant time) {
        return Math.floorDiv(time.getEpochSecond(), 3600);
    }

    static Path topicDir(Path dataDir, String topic) {
        return dataDir.resolve(topic);
    }

    static Path hourDir(Path dataDir, String topic, long hour) {
        LocalDateTime start = LocalDateTime.ofEpochSecond(hour * 3600, 0, ZoneOffset.UTC);
        return topicDir(dataDir, topic).resolve(DAY.format(start)).resolve(HOUR.format(start));
    }

    static Path file(Path dataDir, TopicPartition partition, long hour, long firstOffset) {
        return hourDir(dataDir, partition.topic(), hour).resolve(prefix(partition) + firstOffset + SUFFIX);
    }

    /** The one file per partition of earlier versions. */
    static Path legacyFile(Path dataDir, TopicPartition partition) {
        return dataDir.resolve(partition.topic() + "-" + partition.partition() + SUFFIX);
    }

    /**
     * The partition's files, oldest first (the legacy file, then by first offset): one directory listing per hour
     * folder, no file is read.
     */
    static List<ClickFile> filesOf(Path dataDir, TopicPartition partition) throws IOException {
        List<ClickFile> files = new ArrayList<>();
        Path legacy = legacyFile(dataDir, partition);
        if (Files.isRegularFile(legacy)) {
            files.add(new ClickFile(legacy, -1, Long.MIN_VALUE));
        }
        String prefix = prefix(partition);
        for (Path hourDir : hourDirs(dataDir, partition.topic())) {
            long hour = hourOf(hourDir);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(hourDir, prefix + "*" + SUFFIX)) {
                for (Path file : entries) {
                    String name = file.getFileName().toString();
                    String offset = name.substring(prefix.length(), name.length() - SUFFIX.length());
                    if (!offset.isEmpty() && offset.chars().allMatch(Character::isDigit)) {
                        files.add(new ClickFile(file, Long.parseLong(offset), hour));
                    }
                }
            } catch (NoSuchFileException e) {
                // removed meanwhile by retention: it held no file of this partition that counts
            }
        }
        files.sort(Comparator.comparingLong(ClickFile::firstOffset));
        return files;
    }

    /** The {@code dt=.../hour=...} folders of a topic, oldest first; other entries (an operator's) are left alone. */
    static List<Path> hourDirs(Path dataDir, String topic) throws IOException {
        List<Path> hours = new ArrayList<>();
        for (Path day : sortedChildren(topicDir(dataDir, topic), "dt=[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")) {
            hours.addAll(sortedChildren(day, "hour=[0-2][0-9]"));
        }
        return hours;
    }

    /** The hour a {@code .../dt=YYYY-MM-DD/hour=HH} folder stands for. */
    static long hourOf(Path hourDir) {
        LocalDateTime start = LocalDateTime.parse(hourDir.getParent().getFileName().toString().substring(3)
                + "T" + hourDir.getFileName().toString().substring(5) + ":00:00");
        return hourOf(start.toInstant(ZoneOffset.UTC));
    }

    /** Every file of clicks in the directory, of every topic and partition, legacy files included. */
    static List<Path> allFiles(Path dataDir) throws IOException {
        List<Path> files = new ArrayList<>(sortedChildren(dataDir, "*" + SUFFIX));
        for (Path topic : sortedChildren(dataDir, "*")) {
            if (Files.isDirectory(topic)) {
                for (Path day : sortedChildren(topic, "dt=*")) {
                    for (Path hour : sortedChildren(day, "hour=*")) {
                        files.addAll(sortedChildren(hour, "*" + SUFFIX));
                    }
                }
            }
        }
        files.removeIf(file -> !Files.isRegularFile(file));
        return files;
    }

    private static String prefix(TopicPartition partition) {
        return partition.topic() + "-" + partition.partition() + "-";
    }

    private static List<Path> sortedChildren(Path dir, String glob) throws IOException {
        List<Path> children = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return children;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, glob)) {
            entries.forEach(children::add);
        } catch (NoSuchFileException e) {
            return children;
        }
        children.sort(Comparator.naturalOrder());
        return children;
    }
}
