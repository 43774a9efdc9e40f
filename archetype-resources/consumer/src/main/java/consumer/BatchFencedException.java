package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.util.Set;

/**
 * Another consumer stored clicks of these partitions after this one claimed them, so this consumer's clicks of them
 * are not stored (none of them): it no longer owns them, or has not noticed yet that it lost them (a long GC pause,
 * a frozen VM past the group's session timeout). A sink shared by hosts detects this by storing each partition's
 * position only where it still holds the value this consumer started from. The consumer drops the batch, commits
 * nothing, and claims its partitions again, which re-reads their positions from the sink.
 */
public class BatchFencedException extends IOException {

    private final Set<TopicPartition> partitions;

    public BatchFencedException(Set<TopicPartition> partitions, String message) {
        super(message);
        this.partitions = Set.copyOf(partitions);
    }

    public Set<TopicPartition> partitions() {
        return partitions;
    }
}
