package io.github.clicklog.archetype.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The users the probe picks for the clicks of each partition land there by the producer's own partitioner:
 * otherwise the end-to-end check of a cluster would write to fewer leaders than it claims.
 */
class ClientProbeTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7})
    void the_user_picked_for_a_partition_is_keyed_to_that_partition(int partitions) {
        for (int partition = 0; partition < partitions; partition++) {
            String user = ClientProbe.userFor(partition, partitions, "listener-check-test-");
            assertEquals(partition, BuiltInPartitioner.partitionForKey(user.getBytes(StandardCharsets.UTF_8), partitions), user);
        }
    }
}
