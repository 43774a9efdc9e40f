package ${package}.consumer;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

import java.io.Closeable;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where the consumer puts clicks: {@link JsonLinesClickSink} (files), or a database that stores each click's topic,
 * partition and offset with it, and each partition's position in the same transaction, so that
 * {@link #lastOffset} is answered from the stored data.
 *
 * <p>The sink is the source of truth for "what is stored": the consumer resumes every partition right after
 * {@link #lastOffset}, and commits offsets to Kafka only after {@link #write} returned. A crash between the two
 * therefore redelivers nothing that the sink already has.
 */
public interface ClickSink extends Closeable {

    /** {@link #recordsPerBatch()} unless a sink says otherwise. */
    int DEFAULT_RECORDS_PER_BATCH = 2000;

    /**
     * Stores clicks (from one or more partitions, in offset order within each) and returns only once they are
     * durable: a crash of this process right after the call must not lose them. Clicks whose offset is at or
     * below {@link #lastOffset} of their partition are already stored and must not be stored again; neither must a
     * click whose {@code clientEventId} (with its user or session) is among the partition's recently stored ones:
     * that is a browser sending the same click again, after an answer it did not get.
     *
     * <p>A sink may store each partition's clicks on its own (a database sink may store them at once, one
     * transaction each). When it throws, some partitions of the batch may have been stored: the consumer then claims
     * every partition again, and resumes each after its {@link #lastOffset}.
     *
     * @return how many clicks were left out as such repeats
     * @throws SinkUnavailableException the sink cannot store now: try again later
     * @throws BatchFencedException nothing of these partitions was stored: another consumer stored clicks of them
     *                              since this one claimed them
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

    /**
     * The id Kafka has for the topic now: called after {@link #claim} of its partitions, in every rebalance. A sink
     * records the id with what it stores and refuses another one by throwing {@link IllegalStateException} with
     * what to do: the topic was deleted and created again, its offsets start over, and clicks of the new topic
     * would be taken for clicks stored already (or stored under offsets the old clicks have).
     */
    default void checkTopicId(String topic, Uuid topicId) throws IOException {
    }

    /** The consumer gave these partitions up (revoked, lost, or closing): another consumer may claim them now. */
    default void release(Collection<TopicPartition> partitions) throws IOException {
    }

    /**
     * The most records one {@link #write} should get: the consumer's {@code max.poll.records}. Each write has a fixed
     * cost (an fsync, a commit) that a bigger batch shares, while its clicks take heap until it returns: 2,000 is a
     * few MB.
     */
    default int recordsPerBatch() {
        return DEFAULT_RECORDS_PER_BATCH;
    }
}
