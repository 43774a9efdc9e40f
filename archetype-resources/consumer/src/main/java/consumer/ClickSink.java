package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;

import java.io.Closeable;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where the consumer puts clicks. The default is {@link JsonLinesClickSink}; a database works the same way if it
 * stores each click's topic, partition and offset with it (in the same transaction), so that
 * {@link #lastOffset} can be answered from the stored data.
 *
 * <p>The sink is the source of truth for "what is stored": the consumer resumes every partition right after
 * {@link #lastOffset}, and commits offsets to Kafka only after {@link #write} returned. A crash between the two
 * therefore redelivers nothing that the sink already has.
 */
public interface ClickSink extends Closeable {

    /**
     * Stores clicks (from one or more partitions, in offset order within each) and returns only once they are
     * durable: a crash of this process right after the call must not lose them. Clicks whose offset is at or
     * below {@link #lastOffset} of their partition are already stored and must not be stored again; neither must a
     * click whose {@code clientEventId} (with its user or session) is among the partition's recently stored ones:
     * that is a browser sending the same click again, after an answer it did not get.
     *
     * @return how many clicks were left out as such repeats
     */
    int write(List<StoredClick> clicks) throws IOException;

    /** The offset of the last click stored for this partition, or empty if none is. */
    OptionalLong lastOffset(TopicPartition partition) throws IOException;

    /**
     * The consumer has been given this partition: called before {@link #lastOffset} or {@link #write} for it.
     * False means another process still writes the partition (its previous owner has not let go yet); the
     * consumer then pauses the partition and asks again, and reads nothing of it meanwhile. A sink shared by
     * several consumers of the group must let only one of them write a partition at a time (the default sink
     * locks the partition's file); one that is not shared has nothing to do.
     */
    default boolean claim(TopicPartition partition) throws IOException {
        return true;
    }

    /** The consumer gave these partitions up (revoked, lost, or closing): another consumer may claim them now. */
    default void release(Collection<TopicPartition> partitions) throws IOException {
    }
}
